//! A fault-injecting HTTP proxy between a sink and its service: the
//! OpenSearch sink and the node, or the S3 sink and moto.
//!
//! It forwards each request upstream and, as its seeded plan says, answers
//! instead with 429, 402 or 503 (for S3, 503 `SlowDown` with S3's XML
//! error), resets the connection, forwards the request and then resets the
//! connection instead of answering (stored, but the client cannot know),
//! answers only after the client's timeout, or, for a bulk request, fails
//! some of its items inside a 200 answer: a seeded share with 429, and every
//! item whose document holds a chosen marker with 400
//! `mapper_parsing_exception` (those items are taken out of the request
//! before it goes to the node, so they are really not stored). The same
//! seed gives the same faults. It also keeps every request it saw, for the
//! signature test. HTTP/1.1 with `Content-Length` bodies, as the sinks send
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
    /// S3's throttling: 503 `SlowDown`.
    pub slow_down: f64,
    /// The request goes upstream, and the connection is reset instead of
    /// answering.
    pub lost_answer: f64,
    /// The items of a bulk request whose document holds this text are
    /// refused with 400 `mapper_parsing_exception`, every time.
    pub refuse_documents_with: Option<String>,
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

/// What the proxy stands before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upstream {
    /// An OpenSearch node: requests go up with their body uncompressed and
    /// only their content type; answers are JSON.
    Opensearch,
    /// An S3 service: requests go up and answers come back with all their
    /// headers; errors are S3's XML.
    S3,
}

struct State {
    upstream: Upstream,
    faults: Faults,
    seed: u64,
    seen: Vec<Seen>,
    injected: u64,
}

impl FaultProxy {
    /// Starts a proxy to the OpenSearch node at `upstream`
    /// (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, faults: Faults, seed: u64) -> Self {
        Self::start_before(Upstream::Opensearch, upstream, faults, seed)
    }

    /// Starts a proxy to the S3 service (moto) at `upstream`.
    pub fn start_s3(upstream: &str, faults: Faults, seed: u64) -> Self {
        Self::start_before(Upstream::S3, upstream, faults, seed)
    }

    fn start_before(kind: Upstream, upstream: &str, faults: Faults, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let state = Arc::new(Mutex::new(State {
            upstream: kind,
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
    SlowDown,
    Reset,
    LostAnswer,
    Slow(Duration),
    ItemFailures,
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
        } else if self.random() < faults.slow_down {
            Plan::SlowDown
        } else if self.random() < faults.reset {
            Plan::Reset
        } else if self.random() < faults.lost_answer {
            Plan::LostAnswer
        } else if let Some((p, wait)) = faults.slow.filter(|(p, _)| self.random() < *p) {
            let _ = p;
            Plan::Slow(wait)
        } else if faults.item_failures > 0.0 || faults.refuse_documents_with.is_some() {
            Plan::ItemFailures
        } else {
            Plan::Forward
        };
        if !matches!(plan, Plan::Forward | Plan::ItemFailures) {
            self.injected += 1;
        }
        plan
    }
}

/// An answer to send back: status, headers (without `content-length`) and
/// body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, body: Vec<u8>) -> Self {
        let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        Answer {
            status,
            headers,
            body,
        }
    }

    /// An injected error, as the upstream would write it.
    fn error(upstream: Upstream, status: u16, code: &str) -> Self {
        match upstream {
            Upstream::Opensearch => Answer::json(
                status,
                json!({"error": {"type": "injected", "reason": format!("injected {status}")}, "status": status})
                    .to_string()
                    .into_bytes(),
            ),
            Upstream::S3 => Answer {
                status,
                headers: vec![("content-type".to_owned(), "application/xml".to_owned())],
                body: format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                     <Message>injected {status} {code}</Message><RequestId>injected</RequestId></Error>"
                )
                .into_bytes(),
            },
        }
    }
}

fn serve(connection: TcpStream, upstream: &str, state: &Mutex<State>) {
    let mut reader = BufReader::new(connection.try_clone().unwrap());
    let mut writer = connection;
    while let Some(request) = read_request(&mut reader) {
        state.lock().unwrap().seen.push(request.clone());
        let (kind, plan) = {
            let mut state = state.lock().unwrap();
            (state.upstream, state.plan())
        };
        let answer = match plan {
            Plan::Reset => return,
            Plan::LostAnswer => {
                forward(kind, upstream, &request);
                return;
            }
            Plan::Status(status) => Answer::error(kind, status, "InjectedError"),
            Plan::SlowDown => Answer::error(kind, 503, "SlowDown"),
            Plan::Slow(wait) => {
                thread::sleep(wait);
                forward(kind, upstream, &request)
            }
            Plan::Forward => forward(kind, upstream, &request),
            Plan::ItemFailures => fail_items(upstream, request, state),
        };
        let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", answer.body.len()));
        if writer
            .write_all(head.as_bytes())
            .and_then(|_| writer.write_all(&answer.body))
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

/// Sends the request upstream and gives its answer: to an OpenSearch node
/// uncompressed with its content type alone, to S3 as it came.
fn forward(kind: Upstream, upstream: &str, request: &Seen) -> Answer {
    let mut stream = TcpStream::connect(upstream).unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {upstream}\r\n",
        request.method, request.path
    );
    let body = match kind {
        Upstream::Opensearch => {
            let content_type =
                header(&request.headers, "content-type").unwrap_or("application/json");
            head.push_str(&format!("content-type: {content_type}\r\n"));
            plain_body(request)
        }
        Upstream::S3 => {
            for (name, value) in &request.headers {
                if !is_hop_by_hop(name) {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
            }
            request.body.clone()
        }
    };
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = match kind {
        Upstream::Opensearch => vec![("content-type".to_owned(), "application/json".to_owned())],
        Upstream::S3 => lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
            .filter(|(name, _)| !is_hop_by_hop(name))
            .collect(),
    };
    Answer {
        status,
        headers,
        body: answer[split + 4..].to_vec(),
    }
}

/// Headers of one connection, which the proxy sets itself.
fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "host" | "connection" | "content-length" | "transfer-encoding" | "keep-alive"
    )
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

/// Fails some of a bulk request's items: those whose document holds the
/// refusal marker with 400, and a seeded share of the others with 429. They
/// are left out of what the node gets, and answered in their places.
fn fail_items(upstream: &str, mut request: Seen, state: &Mutex<State>) -> Answer {
    if !request.path.starts_with("/_bulk") {
        return forward(Upstream::Opensearch, upstream, &request);
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
    // Each item's injected answer: its status, error type and reason.
    let failed: Vec<Option<(u16, &str, &str)>> = {
        let mut state = state.lock().unwrap();
        let (share, marker) = (
            state.faults.item_failures,
            state.faults.refuse_documents_with.clone(),
        );
        let failed: Vec<_> = items
            .iter()
            .map(|(_, item_lines)| {
                let marked = marker
                    .as_deref()
                    .is_some_and(|m| item_lines.get(1).is_some_and(|d| d.contains(m)));
                if marked {
                    Some((
                        400,
                        "mapper_parsing_exception",
                        "injected refusal of a marked document",
                    ))
                } else if state.random() < share {
                    Some((
                        429,
                        "es_rejected_execution_exception",
                        "injected item failure",
                    ))
                } else {
                    None
                }
            })
            .collect();
        state.injected += failed.iter().filter(|f| f.is_some()).count() as u64;
        failed
    };
    let mut forwarded = String::new();
    for ((_, item_lines), failed) in items.iter().zip(&failed) {
        if failed.is_none() {
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
        let answer = forward(Upstream::Opensearch, upstream, &request);
        if answer.status != 200 {
            return answer;
        }
        let answer: Value = serde_json::from_slice(&answer.body).unwrap();
        answer["items"].as_array().unwrap().clone()
    };
    let mut answered = answered.into_iter();
    let mut items_out = Vec::new();
    for ((action, _), failed) in items.iter().zip(failed) {
        match failed {
            Some((status, kind, reason)) => {
                let (name, meta) = action.as_object().unwrap().iter().next().unwrap();
                items_out.push(json!({name: {"_index": meta["_index"], "status": status,
                    "error": {"type": kind, "reason": reason}}}));
            }
            None => items_out.push(answered.next().unwrap()),
        }
    }
    Answer::json(
        200,
        json!({"took": 1, "errors": true, "items": items_out})
            .to_string()
            .into_bytes(),
    )
}
