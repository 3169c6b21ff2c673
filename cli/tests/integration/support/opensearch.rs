//! A real OpenSearch node for the tests, started once per test binary by
//! `scripts/opensearch-node run` (the launcher in tools/opensearch-node),
//! and a few calls to it.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

/// The node: it stops when this process ends, as its stdin closes.
struct Node {
    url: String,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

static NODE: OnceLock<Node> = OnceLock::new();

/// The URL of the test node, starting it on first use. Fails the test, with
/// the node's log, when it cannot start: the suite needs it.
pub fn url() -> &'static str {
    &NODE.get_or_init(start).url
}

fn start() -> Node {
    let root = super::root();
    let log_path = root.join("target/opensearch-node/test-node.log");
    std::fs::create_dir_all(log_path.parent().unwrap()).unwrap();
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(root.join("scripts/opensearch-node"))
        .arg("run")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("scripts/opensearch-node runs (it needs Java 17 and Maven)");
    let stdin = child.stdin.take().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    if !url.starts_with("http://127.0.0.1:") {
        let status = child.wait();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        panic!("the OpenSearch node did not start ({status:?}); its log:\n{log}");
    }
    Node {
        url,
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

/// Sends a request to the node; gives the status and the JSON answer.
pub fn call(method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", url());
    let agent = agent();
    let response = match (method, body) {
        ("GET", _) => agent.get(&url).call(),
        ("DELETE", _) => agent.delete(&url).call(),
        ("PUT", Some(body)) => agent.put(&url).send_json(body),
        ("PUT", None) => agent.put(&url).send_empty(),
        ("POST", Some(body)) => agent.post(&url).send_json(body),
        ("POST", None) => agent.post(&url).send_empty(),
        _ => panic!("{method} is not used"),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Creates an index with no replicas (a single node) and these mappings.
pub fn create_index(name: &str, properties: Value) {
    let body = json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": {"properties": properties}});
    let (status, answer) = call("PUT", &format!("/{name}"), Some(body));
    assert_eq!(status, 200, "{answer}");
}

/// Makes what was indexed searchable, then counts the documents of an
/// index pattern.
pub fn count(pattern: &str) -> u64 {
    call("POST", &format!("/{pattern}/_refresh"), None);
    let (status, answer) = call("GET", &format!("/{pattern}/_count"), None);
    assert_eq!(status, 200, "{answer}");
    answer["count"].as_u64().unwrap()
}

/// Every document id of an index pattern (up to 10,000 a call, scrolled).
pub fn ids(pattern: &str) -> Vec<String> {
    call("POST", &format!("/{pattern}/_refresh"), None);
    let mut ids = Vec::new();
    let (_, mut answer) = call(
        "POST",
        &format!("/{pattern}/_search?scroll=1m"),
        Some(json!({"size": 10000, "_source": false, "sort": ["_doc"]})),
    );
    loop {
        let hits = answer["hits"]["hits"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if hits.is_empty() {
            return ids;
        }
        ids.extend(hits.iter().map(|h| h["_id"].as_str().unwrap().to_owned()));
        let scroll_id = answer["_scroll_id"].as_str().unwrap().to_owned();
        answer = call(
            "POST",
            "/_search/scroll",
            Some(json!({"scroll": "1m", "scroll_id": scroll_id})),
        )
        .1;
    }
}

/// Makes what was indexed searchable, then counts the documents of an
/// index pattern that match a query (the query DSL's `query`).
pub fn count_matching(pattern: &str, query: Value) -> u64 {
    call("POST", &format!("/{pattern}/_refresh"), None);
    let (status, answer) = call(
        "POST",
        &format!("/{pattern}/_count"),
        Some(json!({ "query": query })),
    );
    assert_eq!(status, 200, "{query}: {answer}");
    answer["count"].as_u64().unwrap()
}

/// The names of the indices an index pattern matches, sorted.
pub fn indices(pattern: &str) -> Vec<String> {
    let (status, answer) = call("GET", &format!("/_cat/indices/{pattern}?format=json"), None);
    assert_eq!(status, 200, "{answer}");
    let mut names: Vec<String> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|index| index["index"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}
