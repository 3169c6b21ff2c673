//! The OpenSearch sink against a real OpenSearch node (scripts/opensearch-node),
//! directly and through a fault-injecting proxy.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::SystemTime;

use base64::Engine as _;
use serde_json::{Value, json};
use tributary::Plan;
use tributary::lambda::{Handler, Invocation};

use crate::support::events::{dynamodb_entry, kinesis_entry, kinesis_event};
use crate::support::fault_proxy::{FaultProxy, Faults};
use crate::support::handler::identifiers;
use crate::support::opensearch;
use crate::support::processors::registry;
use crate::support::{generate_recording, root, run, tributary};

mod versions;

/// A pipeline with an `opensearch` sink at `endpoint` (options in
/// `sink`), a `dlq` jsonl sink for dead letters in `dir`, and `source`.
fn pipeline(dir: &std::path::Path, source: &str, endpoint: &str, sink: &str) -> String {
    format!(
        "[pipeline]\nname = \"os\"\non_error = \"dead-letter\"\ndead_letter = \"dlq\"\n[source]\n{source}\n\
         [sinks.search]\ntype = \"opensearch\"\nendpoint = \"{endpoint}\"\nauth = \"none\"\n{sink}\n\
         [sinks.dlq]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.join("dlq.jsonl").display()
    )
}

fn handler(text: &str) -> Handler {
    let plan = Plan::parse("os.toml", text, &registry()).unwrap_or_else(|e| panic!("{e}"));
    Handler::new(plan.start().unwrap())
}

fn invoke(runtime: &tokio::runtime::Runtime, handler: &mut Handler, event: &str) -> Invocation {
    let deadline = SystemTime::now() + std::time::Duration::from_secs(120);
    let invocation = runtime
        .block_on(handler.handle(event, Some(deadline)))
        .unwrap();
    assert!(invocation.totals.balanced(), "{:?}", invocation.totals);
    invocation
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn dead_letters(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("dlq.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_hundred_thousand_replayed_documents_are_all_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let recording = generate_recording(dir.path(), 100_000, 4, 3, &["--malformed-every", "0"]);
    let file = dir.path().join("p.toml");
    let sink =
        "index = \"replayed-%Y.%m.%d\"\ndocument_id = \"field:event_id\"\nmax_documents = 2000";
    std::fs::write(
        &file,
        pipeline(
            dir.path(),
            "type = \"kinesis\"\nbatch_size = 1000",
            opensearch::url(),
            sink,
        ),
    )
    .unwrap();
    let (output, stdout, stderr) = run(tributary()
        .arg("replay")
        .arg(&file)
        .arg("--recording")
        .arg(&recording)
        .arg("--no-progress"));
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("delivered          100000"), "{stderr}");
    assert_eq!(opensearch::count("replayed-*"), 100_000);
}

#[test]
fn mapping_conflicts_are_dead_lettered_not_retried() {
    opensearch::create_index("typed", json!({"n": {"type": "integer"}}));
    let proxy = FaultProxy::start(opensearch::url(), Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let mut handler = handler(&pipeline(
        dir.path(),
        "type = \"kinesis\"",
        &proxy.url,
        "index = \"typed\"\ndocument_id = \"field:id\"",
    ));
    let entries = vec![
        kinesis_entry("shardId-0", "1", br#"{"id":"a","n":1}"#),
        kinesis_entry("shardId-0", "2", br#"{"id":"b","n":"not a number"}"#),
        kinesis_entry("shardId-0", "3", br#"{"id":"c","n":3}"#),
    ];
    let invocation = invoke(&runtime(), &mut handler, &kinesis_event(entries));
    assert!(identifiers(&invocation).is_empty());
    assert_eq!(
        (invocation.totals.delivered, invocation.totals.dead_lettered),
        (2, 1)
    );
    assert_eq!(proxy.seen().len(), 1, "a mapping error is not retried");
    let letters = dead_letters(dir.path());
    assert_eq!(letters[0]["sequence"], "2");
    let reason = letters[0]["error"]["message"].as_str().unwrap();
    assert!(
        reason.contains("400") && reason.contains("mapper_parsing_exception"),
        "{reason}"
    );
    assert_eq!(opensearch::count("typed"), 2);
}

#[test]
fn a_dynamodb_remove_deletes_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut handler = handler(&pipeline(
        dir.path(),
        "type = \"dynamodb_streams\"",
        opensearch::url(),
        "index = \"items\"",
    ));
    let runtime = runtime();
    let key = |id: &str| json!({"pk": {"S": id}});
    let item = |id: &str| json!({"pk": {"S": id}, "v": {"N": "1"}});
    let inserts = json!({"Records": [
        dynamodb_entry("INSERT", "1", key("k1"), Some(item("k1")), None),
        dynamodb_entry("INSERT", "2", key("k2"), Some(item("k2")), None),
    ]});
    invoke(&runtime, &mut handler, &inserts.to_string());
    assert_eq!(opensearch::count("items"), 2);
    let remove =
        json!({"Records": [dynamodb_entry("REMOVE", "3", key("k1"), None, Some(item("k1")))]});
    let invocation = invoke(&runtime, &mut handler, &remove.to_string());
    assert_eq!(invocation.totals.delivered, 1);
    assert_eq!(opensearch::ids("items"), ["k2"]);
}

#[test]
fn collection_rules_are_checked_when_the_pipeline_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let text = pipeline(
        dir.path(),
        "type = \"kinesis\"",
        "https://abc.us-east-1.aoss.amazonaws.com",
        "collection_type = \"timeseries\"\nindex = \"logs\"\ndocument_id = \"field:id\"",
    );
    let error = Plan::parse("os.toml", &text, &registry())
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("os.toml:13:15"), "{error}");
    assert!(
        error.contains("time series and vector search collections assign their own document ids"),
        "{error}"
    );
    let text = pipeline(
        dir.path(),
        "type = \"dynamodb_streams\"",
        "https://abc.us-east-1.aoss.amazonaws.com",
        "collection_type = \"timeseries\"\nindex = \"logs\"",
    );
    let error = Plan::parse("os.toml", &text, &registry())
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("needs a search collection, to delete by id"),
        "{error}"
    );
}

/// Runs `total` records on three shards through a sink behind a proxy with
/// `faults`, as Lambda would: each batch's reported failures (from the first
/// failed record of its shard on) are collected and, once the faults are
/// healed, sent again. Every record must then be in the index exactly once.
fn zero_loss_under(name: &str, faults: Faults, seed: u64) {
    let index = format!("faults-{name}");
    opensearch::create_index(&index, json!({"n": {"type": "integer"}}));
    let proxy = FaultProxy::start(opensearch::url(), faults, seed);
    let dir = tempfile::tempdir().unwrap();
    let sink = format!(
        "index = \"{index}\"\ndocument_id = \"field:id\"\nmax_documents = 25\nmax_in_flight = 2\nmax_attempts = 3\ninitial_backoff_ms = 5\nmax_backoff_ms = 40\ntimeout_ms = 400\ngzip = {}",
        seed.is_multiple_of(2)
    );
    let mut handler = handler(&pipeline(
        dir.path(),
        "type = \"kinesis\"",
        &proxy.url,
        &sink,
    ));
    let runtime = runtime();
    let total = 600;
    let shards = [
        "shardId-000000000000",
        "shardId-000000000001",
        "shardId-000000000002",
    ];
    let record = |i: usize| {
        (
            shards[i % 3],
            format!("{:06}", i),
            format!(r#"{{"id":"r{i}","n":{i}}}"#),
        )
    };
    let event_of = |batch: &[usize]| {
        let entries = batch
            .iter()
            .map(|i| {
                let (s, q, d) = record(*i);
                kinesis_entry(s, &q, d.as_bytes())
            })
            .collect();
        kinesis_event(entries)
    };
    let mut to_retry: Vec<usize> = Vec::new();
    let (mut delivered, mut failed) = (0, 0);
    for shard in shards {
        let mine: Vec<usize> = (0..total).filter(|i| record(*i).0 == shard).collect();
        for batch in mine.chunks(100) {
            let invocation = invoke(&runtime, &mut handler, &event_of(batch));
            delivered += invocation.totals.delivered;
            failed += invocation.totals.failed;
            // Lambda retries the shard from the first failed record.
            if let Some(first) = identifiers(&invocation).first() {
                let from = batch.iter().position(|i| &record(*i).1 == first).unwrap();
                to_retry.extend(&batch[from..]);
            }
        }
    }
    assert!(proxy.injected() > 0, "{name}: no fault was injected");
    assert_eq!(
        dead_letters(dir.path()).len(),
        0,
        "{name}: faults are not the records' fault"
    );
    proxy.heal();
    for (shard, retry) in shards.iter().map(|s| {
        (
            s,
            to_retry
                .iter()
                .filter(|i| record(**i).0 == *s)
                .copied()
                .collect::<Vec<_>>(),
        )
    }) {
        for batch in retry.chunks(100) {
            let invocation = invoke(&runtime, &mut handler, &event_of(batch));
            assert!(
                identifiers(&invocation).is_empty(),
                "{name}: {shard} failed again once healed"
            );
        }
    }
    let ids: BTreeSet<String> = opensearch::ids(&index).into_iter().collect();
    let expected: BTreeSet<String> = (0..total).map(|i| format!("r{i}")).collect();
    assert_eq!(ids, expected, "{name}: every record, each once");
    assert_eq!(
        opensearch::count(&index),
        total as u64,
        "{name}: no duplicates"
    );
    assert_eq!(
        delivered + failed,
        total as u64,
        "{name}: accounted in the first pass ({delivered} + {failed})"
    );
}

#[test]
fn no_record_is_lost_under_429_storms() {
    zero_loss_under(
        "429",
        Faults {
            too_many_requests: 0.6,
            ..Faults::default()
        },
        11,
    );
}

#[test]
fn no_record_is_lost_when_the_ocu_limit_answers_402() {
    zero_loss_under(
        "402",
        Faults {
            ocu_limit: 0.5,
            ..Faults::default()
        },
        12,
    );
}

#[test]
fn no_record_is_lost_under_503s() {
    zero_loss_under(
        "503",
        Faults {
            unavailable: 0.5,
            ..Faults::default()
        },
        13,
    );
}

#[test]
fn no_record_is_lost_when_connections_reset() {
    zero_loss_under(
        "reset",
        Faults {
            reset: 0.4,
            ..Faults::default()
        },
        14,
    );
}

#[test]
fn no_record_is_lost_when_answers_come_after_the_timeout() {
    zero_loss_under(
        "slow",
        Faults {
            slow: Some((0.3, std::time::Duration::from_millis(700))),
            ..Faults::default()
        },
        15,
    );
}

#[test]
fn no_record_is_lost_when_items_fail_inside_200_answers() {
    zero_loss_under(
        "items",
        Faults {
            item_failures: 0.3,
            ..Faults::default()
        },
        16,
    );
}

#[test]
fn no_record_is_lost_under_every_fault_at_once() {
    let faults = Faults {
        too_many_requests: 0.15,
        ocu_limit: 0.1,
        unavailable: 0.1,
        reset: 0.1,
        slow: Some((0.1, std::time::Duration::from_millis(700))),
        item_failures: 0.15,
        ..Faults::default()
    };
    zero_loss_under("all", faults, 18);
}

#[test]
fn requests_are_signed_as_botocore_signs_them() {
    let proxy = FaultProxy::start(opensearch::url(), Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    let text = format!(
        "[pipeline]\nname = \"signed\"\n[source]\ntype = \"kinesis\"\n[sinks.search]\ntype = \"opensearch\"\n\
         endpoint = \"{}\"\nindex = \"signed\"\nmax_documents = 1\ngzip = true\n",
        proxy.url
    );
    std::fs::write(&file, text).unwrap();
    let event = dir.path().join("event.json");
    let entries = vec![
        kinesis_entry("shardId-0", "1", br#"{"id":"a"}"#),
        kinesis_entry("shardId-0", "2", br#"{"id":"b","text":"caf\u00e9 & more"}"#),
    ];
    std::fs::write(&event, kinesis_event(entries)).unwrap();
    let (access_key, secret_key, token) = (
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "FQoGZXIvYXdzEXAMPLETOKEN",
    );
    let (output, stdout, stderr) = run(tributary()
        .env("AWS_ACCESS_KEY_ID", access_key)
        .env("AWS_SECRET_ACCESS_KEY", secret_key)
        .env("AWS_SESSION_TOKEN", token)
        .env("AWS_REGION", "eu-west-1")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .args(["invoke"])
        .arg(&file)
        .arg("--event")
        .arg(&event));
    assert!(output.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.trim(), r#"{"batchItemFailures":[]}"#);
    let seen = proxy.seen();
    assert_eq!(
        seen.len(),
        2,
        "one request per document (max_documents = 1)"
    );
    assert!(
        seen.iter()
            .all(|s| s.method == "POST" && s.path == "/_bulk"),
        "no other request, no GET / probe"
    );
    let requests: Vec<Value> = seen
        .iter()
        .map(|s| {
            let headers: serde_json::Map<String, Value> = s.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            json!({"method": s.method, "url": format!("{}{}", proxy.url, s.path), "headers": headers,
                   "body_base64": base64::engine::general_purpose::STANDARD.encode(&s.body)})
        })
        .collect();
    for request in &requests {
        let auth = request["headers"]["authorization"].as_str().unwrap();
        assert!(
            auth.contains("/eu-west-1/aoss/aws4_request"),
            "service aoss: {auth}"
        );
        assert!(request["headers"]["x-amz-content-sha256"].is_string());
    }
    let spec = json!({"access_key": access_key, "secret_key": secret_key, "token": token, "region": "eu-west-1",
                      "service": "aoss", "requests": requests});
    let mut verify = Command::new("python3")
        .arg(root().join("tests/fixtures/sigv4/verify.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    verify
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    let output = verify.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report.matches("same signature").count(), 2, "{report}");
    assert_eq!(opensearch::count("signed"), 2);
}

/// With `collapse = false`, each of 100 items changes three times in one
/// batch, and a share of the bulk items is refused with 429 inside 200
/// answers. The batch is redelivered as Lambda would (from the first failed
/// record) until it goes through. Every document must then hold its item's
/// last change: a change that was sent again is never stored after a later
/// change of the same item.
#[test]
fn a_mirror_without_collapse_ends_at_each_items_last_change_under_429s() {
    let proxy = FaultProxy::start(
        opensearch::url(),
        Faults {
            item_failures: 0.3,
            ..Faults::default()
        },
        23,
    );
    let dir = tempfile::tempdir().unwrap();
    let sink =
        "index = \"mirror-order\"\nmax_attempts = 8\ninitial_backoff_ms = 1\nmax_backoff_ms = 10";
    let mut handler = handler(&pipeline(
        dir.path(),
        "type = \"dynamodb_streams\"\ncollapse = false",
        &proxy.url,
        sink,
    ));
    let runtime = runtime();
    let change = |n: usize| {
        let (item, version) = (n % 100, n / 100 + 1);
        let key = json!({"pk": {"S": format!("item-{item}")}});
        let image = json!({"pk": {"S": format!("item-{item}")}, "v": {"N": version.to_string()}});
        let name = if version == 1 { "INSERT" } else { "MODIFY" };
        dynamodb_entry(name, &format!("{n:06}"), key, Some(image), None)
    };
    let mut from = 0;
    let mut invocations = 0;
    while from < 300 {
        invocations += 1;
        assert!(invocations < 50, "the batch never went through");
        let event = json!({"Records": (from..300).map(change).collect::<Vec<_>>()});
        let invocation = invoke(&runtime, &mut handler, &event.to_string());
        match identifiers(&invocation).first() {
            Some(first) => from = first.parse().unwrap(),
            None => from = 300,
        }
    }
    assert!(proxy.injected() > 0, "no fault was injected");
    opensearch::call("POST", "/mirror-order/_refresh", None);
    let (status, found) = opensearch::call(
        "POST",
        "/mirror-order/_search",
        Some(json!({"size": 200, "query": {"match_all": {}}})),
    );
    assert_eq!(status, 200, "{found}");
    let hits = found["hits"]["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 100);
    let stale: Vec<&Value> = hits.iter().filter(|h| h["_source"]["v"] != 3).collect();
    assert!(
        stale.is_empty(),
        "{} documents at an older change: {stale:?}",
        stale.len()
    );
}
