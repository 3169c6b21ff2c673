//! The Lambda handler, in process: every input record of an event ends
//! delivered, dropped, reported failed or dead-lettered, and the response
//! names exactly the records Lambda must retry.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tributary::lambda::Response;

use crate::support::events::{
    dynamodb_entry, gzip, kinesis_entry, kinesis_event, kinesis_event_of, raw_kinesis_entry,
    sequence,
};
use crate::support::handler::{Harness, identifiers};
use crate::support::root;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/fixtures/events").join(name)).unwrap()
}

const DEAD_LETTER: &str = "on_error = \"dead-letter\"\ndead_letter = \"dlq\"";

#[test]
fn the_aws_sample_kinesis_event_is_delivered() {
    let mut harness = Harness::new("", "type = \"kinesis\"\ncodec = \"text\"", &[]);
    let invocation = harness
        .invoke(&fixture("example-kinesis-event.json"))
        .unwrap();
    assert_eq!(
        serde_json::to_value(&invocation.response).unwrap(),
        json!({"batchItemFailures": []})
    );
    assert_eq!(harness.out(), ["\"Hello World\"", "\"Hello World\""]);
    assert_eq!(invocation.totals.delivered, 2);
}

/// A small model of Lambda's rules, independent of the pipeline's code: per
/// shard, everything from the first record to retry on is redelivered.
fn expected_fates(markers: &[(&str, &str)], on_error: &str) -> (Vec<&'static str>, Vec<String>) {
    let mut fates = Vec::new();
    let mut stopped: Vec<&str> = Vec::new();
    let mut identifiers = Vec::new();
    for (i, (shard, marker)) in markers.iter().enumerate() {
        let fate = if stopped.contains(shard) {
            "failed"
        } else if marker.contains("FAIL") {
            match on_error {
                "retry" => {
                    stopped.push(shard);
                    identifiers.push(sequence(i));
                    "failed"
                }
                "skip" => "skipped",
                _ => "dead-lettered",
            }
        } else if marker.contains("DROP") {
            "dropped"
        } else {
            "delivered"
        };
        fates.push(fate);
    }
    (fates, identifiers)
}

#[test]
fn injected_failures_end_as_the_policy_says_and_lambda_is_told_the_first_of_each_shard() {
    // A fixed pseudo-random sequence of batches: two shards, interleaved,
    // with drops and failures at varying positions.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    for case in 0..40 {
        let size = 1 + next(16) as usize;
        let markers: Vec<(&str, String)> = (0..size)
            .map(|i| {
                let shard = if next(2) == 0 {
                    "shardId-000000000000"
                } else {
                    "shardId-000000000001"
                };
                let marker = match next(6) {
                    0 => "FAIL",
                    1 => "DROP",
                    _ => "ok",
                };
                (shard, format!("{{\"i\":{i},\"m\":\"{marker}\"}}"))
            })
            .collect();
        let records: Vec<(&str, &str)> = markers.iter().map(|(s, m)| (*s, m.as_str())).collect();
        for on_error in ["retry", "skip", "dead-letter"] {
            let pipeline = match on_error {
                "dead-letter" => DEAD_LETTER.to_owned(),
                other => format!("on_error = \"{other}\""),
            };
            let mut harness = Harness::new(&pipeline, "type = \"kinesis\"", &["type = \"marked\""]);
            let invocation = harness.invoke(&kinesis_event_of(&records)).unwrap();
            let (fates, expected_identifiers) = expected_fates(&records, on_error);
            let context = format!("case {case}, on_error {on_error}, records {records:?}");
            assert_eq!(identifiers(&invocation), expected_identifiers, "{context}");
            let count = |fate: &str| fates.iter().filter(|f| **f == fate).count() as u64;
            let totals = invocation.totals;
            assert_eq!(
                (
                    totals.delivered,
                    totals.dropped,
                    totals.failed,
                    totals.skipped,
                    totals.dead_lettered
                ),
                (
                    count("delivered"),
                    count("dropped"),
                    count("failed"),
                    count("skipped"),
                    count("dead-lettered")
                ),
                "{context}"
            );
            let delivered: Vec<&str> = records
                .iter()
                .zip(&fates)
                .filter(|(_, fate)| **fate == "delivered")
                .map(|((_, data), _)| *data)
                .collect();
            assert_eq!(harness.out(), delivered, "{context}");
            let dead: Vec<String> = harness
                .dead_letters()
                .iter()
                .map(|letter| letter["sequence"].as_str().unwrap().to_owned())
                .collect();
            let expected_dead: Vec<String> = fates
                .iter()
                .enumerate()
                .filter(|(_, fate)| **fate == "dead-lettered")
                .map(|(i, _)| sequence(i))
                .collect();
            assert_eq!(dead, expected_dead, "{context}");
        }
    }
}

#[test]
fn bad_records_fail_alone_with_a_clear_reason() {
    let deep_array = format!(
        "{{\"kind\":\"x\",\"deep\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let huge = format!(
        "{{\"kind\":\"x\",\"text\":\"{}\"}}",
        "y".repeat(5 * 1024 * 1024)
    );
    let entries = vec![
        kinesis_entry("shardId-0", &sequence(0), b"{\"kind\":\"x\",\"n\":0}"),
        raw_kinesis_entry("shardId-0", &sequence(1), "%%% not base64 %%%"),
        kinesis_entry("shardId-0", &sequence(2), b"not json at all"),
        kinesis_entry(
            "shardId-0",
            &sequence(3),
            b"{\"kind\":\"x\",\"bad\":\"\xff\xfe\"}",
        ),
        kinesis_entry("shardId-0", &sequence(4), deep_array.as_bytes()),
        kinesis_entry("shardId-0", &sequence(5), huge.as_bytes()),
        json!({"kinesis": {"sequenceNumber": sequence(6), "data": 42}, "eventID": format!("shardId-0:{}", sequence(6))}),
        kinesis_entry("shardId-0", &sequence(7), b"{\"kind\":\"x\",\"n\":7}"),
    ];
    let filter = "type = \"filter\"\npattern = '{\"kind\": [\"x\"]}'\ninvert = false";
    let mut harness = Harness::new(DEAD_LETTER, "type = \"kinesis\"", &[filter]);
    let invocation = harness.invoke(&kinesis_event(entries)).unwrap();
    assert!(identifiers(&invocation).is_empty());
    assert_eq!(invocation.totals.records_in, 8);
    let out = harness.out();
    assert_eq!(
        out.len(),
        3,
        "the good records and the huge one are delivered"
    );
    assert_eq!(out[0], "{\"kind\":\"x\",\"n\":0}");
    assert_eq!(out[1].len(), huge.len());
    assert_eq!(out[2], "{\"kind\":\"x\",\"n\":7}");
    let letters = harness.dead_letters();
    let reasons: Vec<(String, String)> = letters
        .iter()
        .map(|l| {
            (
                l["sequence"].as_str().unwrap().to_owned(),
                l["error"]["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let sequences: Vec<&str> = reasons.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        sequences,
        [
            sequence(1),
            sequence(2),
            sequence(3),
            sequence(4),
            sequence(6)
        ]
    );
    assert!(reasons[0].1.contains("not valid base64"), "{reasons:?}");
    assert!(reasons[1].1.contains("not valid JSON"), "{reasons:?}");
    assert!(reasons[2].1.contains("invalid UTF-8"), "{reasons:?}");
    // Valid JSON, but nested past what any reader takes (the filter skips
    // it without recursing; the check before the sinks refuses it).
    assert!(
        reasons[3].1.contains("nested more than 128 deep"),
        "{reasons:?}"
    );
    assert!(reasons[4].1.contains("could not be read"), "{reasons:?}");
    for letter in &letters {
        assert_eq!(letter["shard"], "shardId-0");
    }
}

#[test]
fn compressed_payloads_that_do_not_decompress_fail_alone() {
    let bomb = gzip(&vec![b' '; 80 * 1024 * 1024]);
    let mut truncated = gzip(b"{\"n\":3}");
    truncated.truncate(10);
    let entries = vec![
        kinesis_entry("shardId-0", &sequence(0), &gzip(b"{\"n\":0}")),
        kinesis_entry("shardId-0", &sequence(1), b"{\"n\":1}"),
        kinesis_entry("shardId-0", &sequence(2), &bomb),
        kinesis_entry("shardId-0", &sequence(3), &truncated),
        kinesis_entry("shardId-0", &sequence(4), &gzip(b"{\"n\":4}")),
    ];
    let mut harness = Harness::new(
        DEAD_LETTER,
        "type = \"kinesis\"\ncodec = \"gzip-json\"",
        &[],
    );
    let invocation = harness.invoke(&kinesis_event(entries)).unwrap();
    assert_eq!(harness.out(), ["{\"n\":0}", "{\"n\":4}"]);
    let reasons: Vec<String> = harness
        .dead_letters()
        .iter()
        .map(|l| l["error"]["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("not gzip"), "{reasons:?}");
    assert!(
        reasons[1].contains("decompresses to more than"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("not gzip"), "{reasons:?}");
    assert_eq!(invocation.totals.dead_lettered, 3);
}

#[test]
fn text_that_is_not_utf8_fails_alone() {
    let entries = vec![
        kinesis_entry("shardId-0", &sequence(0), b"caf\xc3\xa9"),
        kinesis_entry("shardId-0", &sequence(1), b"caf\xe9"),
        kinesis_entry("shardId-0", &sequence(2), b"ok"),
    ];
    let mut harness = Harness::new(DEAD_LETTER, "type = \"kinesis\"\ncodec = \"text\"", &[]);
    harness.invoke(&kinesis_event(entries)).unwrap();
    assert_eq!(harness.out(), ["\"café\"", "\"ok\""]);
    let letters = harness.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        letters[0]["error"]["message"],
        "payload is not UTF-8 text: invalid byte at offset 3"
    );
    assert_eq!(letters[0]["data_base64"], "Y2Fm6Q==");
}

#[test]
fn cloudwatch_logs_subscriptions_give_one_record_per_log_event() {
    // The AWS sample's payload is what a subscription writes to Kinesis.
    let sample: Value =
        serde_json::from_str(&fixture("example-cloudwatch_logs-event.json")).unwrap();
    let data = sample["awslogs"]["data"].as_str().unwrap();
    let entries = vec![raw_kinesis_entry("shardId-0", &sequence(0), data)];
    let mut harness = Harness::new("", "type = \"kinesis\"\ncodec = \"cloudwatch-logs\"", &[]);
    let invocation = harness.invoke(&kinesis_event(entries)).unwrap();
    let events: Vec<Value> = harness
        .out()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["message"], "[ERROR] First test message");
    assert_eq!(events[1]["id"], "eventId2");
    assert_eq!(events[1]["logGroup"], "testLogGroup");
    assert_eq!(
        (invocation.totals.records_in, invocation.totals.delivered),
        (2, 2),
        "each log event is accounted as a record"
    );
}

/// A CloudWatch Logs subscription message of `messages`, gzipped, as a
/// subscription writes it to Kinesis.
fn log_message(messages: &[String]) -> Vec<u8> {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, message)| json!({"id": i.to_string(), "timestamp": 1_700_000_000_000u64 + i as u64, "message": message}))
        .collect();
    let message = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/f",
        "logStream": "s", "subscriptionFilters": ["all"], "logEvents": events});
    gzip(message.to_string().as_bytes())
}

#[test]
fn each_log_event_is_accounted_and_lambda_is_answered_per_kinesis_record() {
    let busy: Vec<String> = (0..1000)
        .map(|i| {
            if i == 500 {
                "FAIL".to_owned()
            } else {
                format!("line {i}")
            }
        })
        .collect();
    let entries = vec![
        kinesis_entry(
            "shardId-0",
            &sequence(0),
            &log_message(&["keep".into(), "DROP".into(), "DROP".into()]),
        ),
        kinesis_entry("shardId-0", &sequence(1), &log_message(&busy)),
        kinesis_entry("shardId-0", &sequence(2), &log_message(&["after".into()])),
    ];
    let source = "type = \"kinesis\"\ncodec = \"cloudwatch-logs\"";
    let mut harness = Harness::new("", source, &["type = \"marked\""]);
    let invocation = harness.invoke(&kinesis_event(entries.clone())).unwrap();
    let totals = invocation.totals;
    assert_eq!(totals.records_in, 1004, "{totals:?}");
    assert_eq!((totals.delivered, totals.dropped), (1, 2), "{totals:?}");
    // The failed event's whole Kinesis record is redelivered, and what follows it.
    assert_eq!(totals.failed, 1001, "{totals:?}");
    assert_eq!(identifiers(&invocation), [sequence(1)]);

    // Dead-lettered, the event comes back alone when its letter is replayed.
    let mut harness = Harness::new(DEAD_LETTER, source, &["type = \"marked\""]);
    let invocation = harness.invoke(&kinesis_event(entries)).unwrap();
    let totals = invocation.totals;
    assert_eq!(
        (totals.delivered, totals.dropped, totals.dead_lettered),
        (1001, 2, 1),
        "{totals:?}"
    );
    let letters = harness.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (&letters[0]["sequence"], &letters[0]["sub_sequence"]),
        (&json!(sequence(1)), &json!(500))
    );
    let data = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        letters[0]["data_base64"].as_str().unwrap(),
    )
    .unwrap();
    let mut replayed = Harness::new("", source, &[]);
    let again = replayed
        .invoke(&kinesis_event(vec![kinesis_entry(
            "shardId-0",
            &sequence(1),
            &data,
        )]))
        .unwrap();
    assert_eq!(again.totals.delivered, 1);
    let event: Value = serde_json::from_str(&replayed.out()[0]).unwrap();
    assert_eq!(
        (&event["message"], &event["id"], &event["logGroup"]),
        (&json!("FAIL"), &json!("500"), &json!("/aws/lambda/f"))
    );
}

#[test]
fn the_deadline_guard_stops_work_and_fails_what_is_left() {
    let mut harness = Harness::new(
        "deadline_margin_ms = 100",
        "type = \"kinesis\"",
        &["type = \"sleep\"\nmillis = 300", "type = \"marked\""],
    );
    let records = [
        ("shardId-0", "{\"n\":0}"),
        ("shardId-0", "{\"n\":1}"),
        ("shardId-1", "{\"n\":2}"),
    ];
    let deadline = SystemTime::now() + Duration::from_millis(250);
    let invocation = harness
        .invoke_by(&kinesis_event_of(&records), Some(deadline))
        .unwrap();
    assert_eq!(invocation.totals.failed, 3);
    assert_eq!(identifiers(&invocation), [sequence(0), sequence(2)]);
    assert!(harness.out().is_empty());

    // With time to spare, the same batch goes through.
    let deadline = SystemTime::now() + Duration::from_secs(30);
    let invocation = harness
        .invoke_by(&kinesis_event_of(&records), Some(deadline))
        .unwrap();
    assert_eq!(invocation.totals.delivered, 3);
    assert!(identifiers(&invocation).is_empty());
}

#[test]
fn tumbling_window_invocations_answer_with_state_and_failures() {
    let mut event: Value = serde_json::from_str(&kinesis_event_of(&[
        ("shardId-000000000006", "{\"n\":0}"),
        ("shardId-000000000006", "{\"m\":\"FAIL\"}"),
    ]))
    .unwrap();
    event["window"] = json!({"start": "2026-11-27T10:00:00Z", "end": "2026-11-27T10:01:00Z"});
    event["state"] = json!({"count": "41"});
    event["shardId"] = json!("shardId-000000000006");
    event["eventSourceARN"] = json!(crate::support::events::STREAM);
    event["isFinalInvokeForWindow"] = json!(false);
    event["isWindowTerminatedEarly"] = json!(false);
    let mut harness = Harness::new("", "type = \"kinesis\"", &["type = \"marked\""]);
    let invocation = harness.invoke(&event.to_string()).unwrap();
    assert_eq!(
        serde_json::to_value(&invocation.response).unwrap(),
        json!({"state": {"count": "41"}, "batchItemFailures": [{"itemIdentifier": sequence(1)}]})
    );
}

#[test]
fn an_event_of_the_wrong_kind_fails_the_whole_invocation() {
    let mut harness = Harness::new("", "type = \"kinesis\"", &[]);
    let error = harness
        .invoke(&fixture("example-eventbridge-event-obj.json"))
        .unwrap_err();
    assert!(
        error.to_string().starts_with(
            "the event is an EventBridge event, and the pipeline's [source] is `type = \"kinesis\"`"
        ),
        "{error}"
    );
    assert_eq!(error.diagnostic().error_type, "tributary.EventError");
    // An event of no known kind keeps serde's reason.
    let error = harness.invoke("{\"Records\": 3}").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("the event is not a kinesis event: invalid type"),
        "{error}"
    );
    // An entry with no sequence number cannot be reported back: all of it is retried.
    let entries = vec![
        kinesis_entry("shardId-0", &sequence(0), b"{}"),
        json!({"kinesis": {"data": "e30="}}),
    ];
    let error = harness.invoke(&kinesis_event(entries)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("record 1 of the event has no sequence number"),
        "{error}"
    );
}

#[test]
fn dynamodb_changes_become_plain_json_items() {
    let mut harness = Harness::new("", "type = \"dynamodb_streams\"", &[]);
    let invocation = harness
        .invoke(&fixture("example-dynamodb-event.json"))
        .unwrap();
    assert!(identifiers(&invocation).is_empty());
    let items: Vec<Value> = harness
        .out()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The AWS sample has every attribute type.
    let item = &items[0];
    assert_eq!(item["String"], "Hello");
    assert_eq!(
        (item["IntegerNumber"].as_i64(), item["FloatNumber"].as_f64()),
        (Some(123), Some(123.45))
    );
    assert_eq!(item["Boolean"], true);
    assert_eq!(item["Null"], Value::Null);
    assert_eq!(item["Binary"], "AAEqQQ==");
    assert_eq!(item["Map"], json!({"Name": "Joe", "Age": 35}));
    assert_eq!(
        (&item["List"][0], &item["List"][1]),
        (&json!("Cookies"), &json!("Coffee"))
    );
    assert!(item["List"][2].is_f64());
    assert_eq!(item["StringSet"], json!(["Giraffe", "Zebra"]));
    assert_eq!(item["NumberSet"], json!([1234, 567.8]));
    assert_eq!(item["BinarySet"], json!(["AAEqQQ==", "AAEqQQ=="]));
    assert_eq!(item["EmptyStringSet"], json!([]));
    assert_eq!(invocation.totals.records_in, 2);
}

#[test]
fn several_changes_to_one_item_collapse_to_the_last_and_ttl_removals_are_marked() {
    let key = |id: &str| json!({"pk": {"S": id}});
    let image = |id: &str, n: &str| json!({"pk": {"S": id}, "n": {"N": n}});
    let mut ttl_removal = dynamodb_entry("REMOVE", "400", key("c"), None, Some(image("c", "9")));
    ttl_removal["userIdentity"] =
        json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
    let event = json!({"Records": [
        dynamodb_entry("INSERT", "100", key("a"), Some(image("a", "1")), None),
        dynamodb_entry("INSERT", "200", key("b"), Some(image("b", "1")), None),
        dynamodb_entry("MODIFY", "300", key("a"), Some(image("a", "2")), Some(image("a", "1"))),
        ttl_removal,
        dynamodb_entry("REMOVE", "500", key("b"), None, Some(image("b", "1"))),
    ]});
    let mut harness = Harness::new("", "type = \"dynamodb_streams\"\npayload = \"change\"", &[]);
    let invocation = harness.invoke(&event.to_string()).unwrap();
    let changes: Vec<Value> = harness
        .out()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String, bool)> = changes
        .iter()
        .map(|c| {
            (
                c["eventName"].as_str().unwrap().to_owned(),
                c["sequenceNumber"].as_str().unwrap().to_owned(),
                c["removedByTtl"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("MODIFY".to_owned(), "300".to_owned(), false),
            ("REMOVE".to_owned(), "400".to_owned(), true),
            ("REMOVE".to_owned(), "500".to_owned(), false),
        ]
    );
    assert_eq!(changes[0]["newImage"], json!({"pk": "a", "n": 2}));
    assert_eq!(changes[0]["keys"], json!({"pk": "a"}));
    assert_eq!(
        (invocation.totals.dropped, invocation.totals.delivered),
        (2, 3)
    );
}

#[test]
fn order_per_item_holds_across_batches() {
    // Batch 1: b fails, so a's later change is not processed; Lambda
    // redelivers from b, and a's changes are applied in order.
    let key = |id: &str| json!({"pk": {"S": id}});
    let image = |id: &str, v: &str| json!({"pk": {"S": id}, "v": {"S": v}});
    let first = json!({"Records": [
        dynamodb_entry("INSERT", "1", key("a"), Some(image("a", "a1")), None),
        dynamodb_entry("INSERT", "2", key("b"), Some(image("b", "FAIL")), None),
        dynamodb_entry("MODIFY", "3", key("a"), Some(image("a", "a2")), None),
    ]});
    let mut harness = Harness::new("", "type = \"dynamodb_streams\"", &["type = \"marked\""]);
    let invocation = harness.invoke(&first.to_string()).unwrap();
    assert_eq!(identifiers(&invocation), ["2"]);
    let redelivered = json!({"Records": [
        dynamodb_entry("INSERT", "2", key("b"), Some(image("b", "b1")), None),
        dynamodb_entry("MODIFY", "3", key("a"), Some(image("a", "a2")), None),
    ]});
    let invocation = harness.invoke(&redelivered.to_string()).unwrap();
    assert!(identifiers(&invocation).is_empty());
    let applied: Vec<Value> = harness
        .out()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let a: Vec<&str> = applied
        .iter()
        .filter(|i| i["pk"] == "a")
        .map(|i| i["v"].as_str().unwrap())
        .collect();
    assert_eq!(
        a,
        ["a2"],
        "a1 was superseded by a2 in the first batch, and a2 applied once, after b"
    );
}

#[test]
fn a_dynamodb_entry_that_cannot_be_read_fails_alone() {
    let mut broken = dynamodb_entry("INSERT", "2", json!({"pk": {"S": "b"}}), None, None);
    broken["dynamodb"]["NewImage"] = json!({"pk": {"UNKNOWN": 1}});
    let event = json!({"Records": [
        dynamodb_entry("INSERT", "1", json!({"pk": {"S": "a"}}), Some(json!({"pk": {"S": "a"}})), None),
        broken.clone(),
    ]});
    let mut harness = Harness::new(DEAD_LETTER, "type = \"dynamodb_streams\"", &[]);
    harness.invoke(&event.to_string()).unwrap();
    assert_eq!(harness.out(), ["{\"pk\":\"a\"}"]);
    let letters = harness.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["sequence"], "2");
    assert!(
        letters[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not be read")
    );
    // The letter holds the change as a recording does: its `dynamodb`
    // object, with its event name and arrival time beside it.
    assert_eq!(letters[0]["data"], broken["dynamodb"]);
    assert_eq!(letters[0]["event_name"], "INSERT");
    assert_eq!(letters[0]["arrival_ms"], 1_700_000_000_000_i64);
}

/// An INSERT or MODIFY of `pk` on a stream of view type `view`, with only
/// the images that view carries.
fn change_on(view: &str, event_name: &str, sequence: &str, pk: &str) -> Value {
    let keys = json!({"pk": {"S": pk}});
    let image = json!({"pk": {"S": pk}, "v": {"S": sequence}});
    let new_image = matches!(view, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES").then(|| image.clone());
    let old_image = (matches!(view, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES") && event_name != "INSERT")
        .then_some(image);
    let mut entry = dynamodb_entry(event_name, sequence, keys, new_image, old_image);
    entry["dynamodb"]["StreamViewType"] = json!(view);
    entry
}

#[test]
fn dynamodb_changes_without_a_new_image_fail_alone_instead_of_wiping_documents() {
    let event = json!({"Records": [
        change_on("NEW_AND_OLD_IMAGES", "INSERT", "1", "a"),
        change_on("KEYS_ONLY", "INSERT", "2", "b"),
        change_on("OLD_IMAGE", "MODIFY", "3", "c"),
        change_on("KEYS_ONLY", "REMOVE", "4", "d"),
        change_on("NEW_IMAGE", "MODIFY", "5", "e"),
    ]});
    let mut harness = Harness::new(DEAD_LETTER, "type = \"dynamodb_streams\"", &[]);
    let invocation = harness.invoke(&event.to_string()).unwrap();
    assert!(identifiers(&invocation).is_empty());
    // No `{}` replaces a document: the others are delivered, a REMOVE on a
    // keys-only stream as its keys.
    assert_eq!(
        harness.out(),
        [
            r#"{"pk":"a","v":"1"}"#,
            r#"{"pk":"d"}"#,
            r#"{"pk":"e","v":"5"}"#
        ]
    );
    let letters = harness.dead_letters();
    let failed: Vec<(&str, &str)> = letters
        .iter()
        .map(|l| {
            (
                l["sequence"].as_str().unwrap(),
                l["event_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(failed, [("2", "INSERT"), ("3", "MODIFY")]);
    for (letter, view) in letters.iter().zip(["KEYS_ONLY", "OLD_IMAGE"]) {
        let message = letter["error"]["message"].as_str().unwrap();
        assert!(message.contains("has no `NewImage`"), "{message}");
        assert!(message.contains(view), "{message}");
        assert!(
            message.contains("NEW_IMAGE or NEW_AND_OLD_IMAGES"),
            "{message}"
        );
        assert_eq!(letter["error"]["stage"], "source");
        assert_eq!(
            letter["keys"],
            json!({"pk": letter["data"]["Keys"]["pk"]["S"]})
        );
    }
    let totals = invocation.totals;
    assert_eq!(
        (totals.records_in, totals.delivered, totals.dead_lettered),
        (5, 3, 2)
    );

    // Under `retry`, the first such change is reported, and nothing after it
    // in the shard is delivered before it.
    let mut retrying = Harness::new("", "type = \"dynamodb_streams\"", &[]);
    let invocation = retrying.invoke(&event.to_string()).unwrap();
    assert_eq!(identifiers(&invocation), ["2"]);
    assert_eq!(retrying.out(), [r#"{"pk":"a","v":"1"}"#]);

    // The whole change needs no image.
    let mut changes = Harness::new("", "type = \"dynamodb_streams\"\npayload = \"change\"", &[]);
    let invocation = changes.invoke(&event.to_string()).unwrap();
    assert!(identifiers(&invocation).is_empty());
    assert_eq!(invocation.totals.delivered, 5);
}

#[test]
fn dynamodb_changes_with_empty_or_missing_keys_fail_alone() {
    let mut missing = change_on("NEW_IMAGE", "INSERT", "2", "b");
    missing["dynamodb"].as_object_mut().unwrap().remove("Keys");
    let mut empty = change_on("NEW_IMAGE", "MODIFY", "3", "c");
    empty["dynamodb"]["Keys"] = json!({});
    let event = json!({"Records": [
        change_on("NEW_IMAGE", "INSERT", "1", "a"),
        missing,
        empty,
        change_on("NEW_IMAGE", "INSERT", "4", "d"),
    ]});
    for payload in ["item", "change"] {
        let source = format!("type = \"dynamodb_streams\"\npayload = \"{payload}\"");
        let mut harness = Harness::new(DEAD_LETTER, &source, &[]);
        let invocation = harness.invoke(&event.to_string()).unwrap();
        assert_eq!(harness.out().len(), 2, "{payload}: {:?}", harness.out());
        let letters = harness.dead_letters();
        let sequences: Vec<&str> = letters
            .iter()
            .map(|l| l["sequence"].as_str().unwrap())
            .collect();
        assert_eq!(sequences, ["2", "3"], "{payload}");
        for letter in &letters {
            let message = letter["error"]["message"].as_str().unwrap();
            assert!(message.contains("`Keys` are missing or empty"), "{message}");
        }
        let totals = invocation.totals;
        assert_eq!(
            (totals.delivered, totals.dead_lettered),
            (2, 2),
            "{payload}"
        );
    }
}

#[test]
fn a_dynamodb_record_without_a_sequence_number_fails_the_invocation() {
    let mut missing = change_on("NEW_IMAGE", "INSERT", "2", "b");
    missing["dynamodb"]
        .as_object_mut()
        .unwrap()
        .remove("SequenceNumber");
    let empty = change_on("NEW_IMAGE", "INSERT", "", "c");
    for (bad, reason) in [
        (missing, "has no `SequenceNumber`"),
        (empty, "`SequenceNumber` is empty"),
    ] {
        let event = json!({"Records": [change_on("NEW_IMAGE", "INSERT", "1", "a"), bad]});
        for on_error in ["", DEAD_LETTER, "on_error = \"skip\""] {
            let mut harness = Harness::new(on_error, "type = \"dynamodb_streams\"", &[]);
            // Never `"itemIdentifier": ""`, which would fail the batch in
            // Lambda anyway, and never delivered: the invocation fails, so
            // Lambda retries the batch.
            let error = harness.invoke(&event.to_string()).unwrap_err();
            let message = error.to_string();
            assert!(
                message.starts_with("record 1 of the event has no sequence number"),
                "{message}"
            );
            assert!(message.contains(reason), "{message}");
            assert!(harness.out().is_empty(), "{on_error}");
            assert!(harness.dead_letters().is_empty(), "{on_error}");
        }
    }
}

#[test]
fn an_eventbridge_event_is_one_record_and_a_failure_is_an_error() {
    let mut harness = Harness::new("", "type = \"eventbridge\"", &["type = \"marked\""]);
    let invocation = harness
        .invoke(&fixture("example-eventbridge-event-obj.json"))
        .unwrap();
    assert_eq!(invocation.response, Response::Event(()));
    let out: Value = serde_json::from_str(&harness.out()[0]).unwrap();
    assert_eq!(out["detail"]["instance-id"], "i-abcd1111");

    let failing = json!({"id": "e-1", "detail-type": "t", "source": "s", "detail": {"m": "FAIL"}});
    let error = harness.invoke(&failing.to_string()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "event e-1 was not delivered (the log says why); Lambda retries it"
    );

    let mut skipping = Harness::new(
        "on_error = \"skip\"",
        "type = \"eventbridge\"",
        &["type = \"marked\""],
    );
    let invocation = skipping.invoke(&failing.to_string()).unwrap();
    assert_eq!(invocation.totals.skipped, 1);
}

#[test]
fn every_aws_sample_event_is_handled() {
    let samples = [
        (
            "example-kinesis-event.json",
            "type = \"kinesis\"\ncodec = \"text\"",
            2,
            2,
        ),
        (
            "example-kinesis-event-encrypted.json",
            "type = \"kinesis\"\ncodec = \"text\"",
            2,
            2,
        ),
        // Two changes to one item: the first is superseded.
        (
            "example-dynamodb-event.json",
            "type = \"dynamodb_streams\"",
            2,
            1,
        ),
        // A change with null keys and images names no item: it fails, and
        // the change after it waits for its retry.
        (
            "example-dynamodb-event-null-items.json",
            "type = \"dynamodb_streams\"",
            2,
            0,
        ),
        (
            "example-eventbridge-event-obj.json",
            "type = \"eventbridge\"",
            1,
            1,
        ),
        (
            "example-eventbridge-schedule.json",
            "type = \"eventbridge\"",
            1,
            1,
        ),
    ];
    for (name, source, records_in, delivered) in samples {
        let mut harness = Harness::new("", source, &[]);
        let invocation = harness
            .invoke(&fixture(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let totals = invocation.totals;
        assert_eq!(
            (totals.records_in, totals.delivered),
            (records_in, delivered),
            "{name}"
        );
        assert_eq!(harness.out().len() as u64, delivered, "{name}");
    }
}
