//! A fault-injecting HTTP proxy between the OpenSearch sink and the node.
//!
//! It forwards each request to the node and, as its seeded plan says,
//! answers instead with 429, 402 or 503, resets the connection, answers
//! only after the client's timeout, or fails a share of the items of a bulk
//! request inside a 200 answer (those items are taken out of the request
//! before it goes to the node, so they are really not stored). The same
//! seed gives the same faults. It also keeps every request it saw, for the
//! signature test. HTTP/1.1 with `Content-Length` bodies, as the sink sends
//! them; written for the tests, not for anything else.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

/// Which faults to inject, each with its probability per request.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub too_many_requests: f64,
    pub ocu_limit: f64,
    pub unavailable: f64,
    pub reset: f64,
    /// Answers after this long (set it past the sink's timeout).
    pub slow: Option<(f64, Duration)>,
    /// The share of a bulk request's items failed with 429 inside a 200.
    pub item_failures: f64,
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A running proxy.
pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

struct State {
    faults: Faults,
    seed: u64,
    seen: Vec<Seen>,
    injected: u64,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, faults: Faults, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let state = Arc::new(Mutex::new(State {
            faults,
            seed: seed | 1,
            seen: Vec::new(),
            injected: 0,
        }));
        let shared = state.clone();
        thread::spawn(move || {
            for connection in listener.incoming().flatten() {
                let (state, upstream) = (shared.clone(), upstream.clone());
                thread::spawn(move || serve(connection, &upstream, &state));
            }
        });
        FaultProxy { url, state }
    }

    /// Stops injecting faults; requests pass through.
    pub fn heal(&self) {
        self.state.lock().unwrap().faults = Faults::default();
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// How many faults were injected.
    pub fn injected(&self) -> u64 {
        self.state.lock().unwrap().injected
    }
}

enum Plan {
    Forward,
    Status(u16),
    Reset,
    Slow(Duration),
    ItemFailures(f64),
}

impl State {
    fn random(&mut self) -> f64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed >> 11) as f64 / (1u64 << 53) as f64
    }

    fn plan(&mut self) -> Plan {
        let faults = self.faults.clone();
        let plan = if self.random() < faults.too_many_requests {
            Plan::Status(429)
        } else if self.random() < faults.ocu_limit {
            Plan::Status(402)
        } else if self.random() < faults.unavailable {
            Plan::Status(503)
        } else if self.random() < faults.reset {
            Plan::Reset
        } else if let Some((p, wait)) = faults.slow.filter(|(p, _)| self.random() < *p) {
            let _ = p;
            Plan::Slow(wait)
        } else if faults.item_failures > 0.0 {
            Plan::ItemFailures(faults.item_failures)
        } else {
            Plan::Forward
        };
        if !matches!(plan, Plan::Forward | Plan::ItemFailures(_)) {
            self.injected += 1;
        }
        plan
    }
}

fn serve(connection: TcpStream, upstream: &str, state: &Mutex<State>) {
    let mut reader = BufReader::new(connection.try_clone().unwrap());
    let mut writer = connection;
    while let Some(request) = read_request(&mut reader) {
        state.lock().unwrap().seen.push(request.clone());
        let plan = state.lock().unwrap().plan();
        let (status, body) = match plan {
            Plan::Reset => return,
            Plan::Status(status) => (status, json!({"error": {"type": "injected", "reason": format!("injected {status}")}, "status": status}).to_string().into_bytes()),
            Plan::Slow(wait) => {
                thread::sleep(wait);
                forward(upstream, &request)
            }
            Plan::Forward => forward(upstream, &request),
            Plan::ItemFailures(share) => fail_items(upstream, request, share, state),
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|_| writer.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.push((name.trim().to_lowercase(), value.trim().to_owned()));
    }
    let length: usize = header(&headers, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Sends the request to the node, uncompressed, and gives its answer.
fn forward(upstream: &str, request: &Seen) -> (u16, Vec<u8>) {
    let body = plain_body(request);
    let mut stream = TcpStream::connect(upstream).unwrap();
    let content_type = header(&request.headers, "content-type").unwrap_or("application/json");
    let head = format!(
        "{} {} HTTP/1.1\r\nhost: {upstream}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        request.method,
        request.path,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status_line = String::from_utf8_lossy(&answer[..split])
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (status, answer[split + 4..].to_vec())
}

fn plain_body(request: &Seen) -> Vec<u8> {
    if header(&request.headers, "content-encoding") == Some("gzip") {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&request.body[..])
            .read_to_end(&mut plain)
            .unwrap();
        plain
    } else {
        request.body.clone()
    }
}

/// Fails a share of a bulk request's items: they are left out of what the
/// node gets, and answered with 429 in their places.
fn fail_items(
    upstream: &str,
    mut request: Seen,
    share: f64,
    state: &Mutex<State>,
) -> (u16, Vec<u8>) {
    if !request.path.starts_with("/_bulk") {
        return forward(upstream, &request);
    }
    let body = plain_body(&request);
    let text = String::from_utf8(body).unwrap();
    let mut lines = text.lines();
    // Each item: its action line, and its document line unless a delete.
    let mut items: Vec<(Value, Vec<&str>)> = Vec::new();
    while let Some(action) = lines.next() {
        let parsed: Value = serde_json::from_str(action).unwrap();
        let mut item_lines = vec![action];
        if parsed.get("delete").is_none() {
            item_lines.push(lines.next().unwrap());
        }
        items.push((parsed, item_lines));
    }
    let failed: Vec<bool> = {
        let mut state = state.lock().unwrap();
        let failed: Vec<bool> = items.iter().map(|_| state.random() < share).collect();
        state.injected += failed.iter().filter(|f| **f).count() as u64;
        failed
    };
    let mut forwarded = String::new();
    for ((_, item_lines), failed) in items.iter().zip(&failed) {
        if !failed {
            for line in item_lines {
                forwarded.push_str(line);
                forwarded.push('\n');
            }
        }
    }
    let answered = if forwarded.is_empty() {
        Vec::new()
    } else {
        request.body = forwarded.into_bytes();
        request.headers.retain(|(n, _)| n != "content-encoding");
        let (status, answer) = forward(upstream, &request);
        if status != 200 {
            return (status, answer);
        }
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        answer["items"].as_array().unwrap().clone()
    };
    let mut answered = answered.into_iter();
    let mut items_out = Vec::new();
    for ((action, _), failed) in items.iter().zip(failed) {
        if failed {
            let (name, meta) = action.as_object().unwrap().iter().next().unwrap();
            items_out.push(json!({name: {"_index": meta["_index"], "status": 429,
                "error": {"type": "es_rejected_execution_exception", "reason": "injected item failure"}}}));
        } else {
            items_out.push(answered.next().unwrap());
        }
    }
    (
        200,
        json!({"took": 1, "errors": true, "items": items_out})
            .to_string()
            .into_bytes(),
    )
}
