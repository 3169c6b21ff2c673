//! `tributary package` and `tributary deploy`: every example packages into
//! a template cfn-lint accepts; the bootstrap `cargo lambda` builds starts
//! on provided.al2023 and fits the size budget; and a deployment against
//! moto (CloudFormation, IAM, Lambda, S3, Kinesis, DynamoDB, EventBridge in
//! server mode) creates the stack, then updates it.
//!
//! Lambda cannot run functions here (moto's Lambda needs Docker): these
//! tests check what is deployed and with which settings; the handler itself
//! is tested through `cargo lambda watch` (lambda_runtime.rs).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::support::{moto, root, run, tributary};

/// What `tributary package` made of examples/search with a real `cargo
/// lambda build`, once per test binary: its output folder.
fn built_package() -> &'static Path {
    static PACKAGE: OnceLock<PathBuf> = OnceLock::new();
    PACKAGE.get_or_init(|| {
        let out = root().join("target/test-package/search");
        let (output, stdout, stderr) = run(tributary().args([
            "package",
            "examples/search/pipeline.toml",
            "--out",
            out.to_str().unwrap(),
        ]));
        assert!(output.status.success(), "{stdout}{stderr}");
        out
    })
}

/// The bootstrap `cargo lambda` built, for packaging the other pipelines.
fn lambda_bootstrap() -> PathBuf {
    built_package().join("build/bootstrap/bootstrap")
}

fn pipelines() -> Vec<PathBuf> {
    let mut pipelines: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.is_dir())
        .flat_map(|dir| crate::support::files_in(&dir, "toml"))
        .collect();
    pipelines.sort();
    pipelines
}

#[test]
fn every_example_packages_into_a_template_cfn_lint_accepts() {
    let bootstrap = lambda_bootstrap();
    let examples = pipelines();
    assert!(examples.len() >= 6, "{examples:?}");
    let out = tempfile::tempdir().unwrap();
    for (i, pipeline) in examples.iter().enumerate() {
        package_and_lint(pipeline, &bootstrap, &out.path().join(i.to_string()));
    }
}

/// What each example is packaged with on top of its own settings: alarms
/// that notify a topic (the dashboard is on by default), and enhanced
/// fan-out for a Kinesis source.
const WATCHED: &str = "\n[deploy.alarms]\niterator_age_secs = 600\n\
     sns_topic_arn = \"arn:aws:sns:eu-west-1:123456789012:on-call\"\n";

#[test]
fn every_example_with_its_dashboard_alarms_and_enhanced_fan_out_passes_cfn_lint() {
    let bootstrap = lambda_bootstrap();
    let out = tempfile::tempdir().unwrap();
    let mut consumers = 0;
    for (i, pipeline) in pipelines().iter().enumerate() {
        // A copy of the example's folder, for the files its pipeline names.
        let folder = out.path().join(format!("example{i}"));
        std::fs::create_dir(&folder).unwrap();
        for entry in std::fs::read_dir(pipeline.parent().unwrap()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, folder.join(path.file_name().unwrap())).unwrap();
            }
        }
        let text = std::fs::read_to_string(pipeline).unwrap();
        let watched = text.replace(
            "type = \"kinesis\"\n",
            "type = \"kinesis\"\nconsumer = \"efo\"\n",
        ) + WATCHED;
        let variant = folder.join(pipeline.file_name().unwrap());
        std::fs::write(&variant, &watched).unwrap();
        let dir = out.path().join(i.to_string());
        package_and_lint(&variant, &bootstrap, &dir);

        let template: Value =
            serde_json::from_slice(&std::fs::read(dir.join("template.json")).unwrap()).unwrap();
        let resources = &template["Resources"];
        let name = pipeline.display();
        assert_eq!(
            resources["Dashboard"]["Type"], "AWS::CloudWatch::Dashboard",
            "{name}"
        );
        assert_eq!(
            resources["ErrorsAlarm"]["Properties"]["AlarmActions"],
            json!(["arn:aws:sns:eu-west-1:123456789012:on-call"]),
            "{name}"
        );
        if watched != text + WATCHED {
            consumers += 1;
            assert_eq!(
                resources["StreamConsumer"]["Type"], "AWS::Kinesis::StreamConsumer",
                "{name}"
            );
            assert_eq!(
                resources["EventSourceMapping"]["Properties"]["EventSourceArn"],
                json!({ "Ref": "StreamConsumer" }),
                "{name}"
            );
        }
    }
    assert!(consumers >= 4, "the Kinesis examples: {consumers}");
}

/// Packages `pipeline` with `bootstrap` into `dir`, runs cfn-lint on the
/// template, and checks the zip holds the pipeline file as written.
fn package_and_lint(pipeline: &Path, bootstrap: &Path, dir: &Path) {
    let (output, stdout, stderr) = run(tributary()
        .arg("package")
        .arg(pipeline)
        .arg("--bootstrap")
        .arg(bootstrap)
        .arg("--out")
        .arg(dir));
    assert!(
        output.status.success(),
        "{}: {stdout}{stderr}",
        pipeline.display()
    );
    assert!(stdout.contains("filter push-down: "), "{stdout}");
    let lint = Command::new("cfn-lint")
        .arg(dir.join("template.json"))
        .output()
        .expect("cfn-lint runs (pip install cfn-lint)");
    assert!(
        lint.status.success(),
        "cfn-lint on the template of {}:\n{}{}",
        pipeline.display(),
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let zip = std::fs::read(dir.join("bootstrap.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut packaged = String::new();
    archive
        .by_name("pipeline.toml")
        .unwrap()
        .read_to_string(&mut packaged)
        .unwrap();
    assert_eq!(packaged, std::fs::read_to_string(pipeline).unwrap());
}

/// One metric a dashboard graph or an EMF line names: namespace, metric
/// name, and its dimensions (name and value) in order.
type MetricName = (String, String, Vec<(String, String)>);

/// The metrics the graphs of a packaged template's dashboard name, with
/// `${Function}` and `${AWS::Region}` as the template leaves them.
fn dashboard_metrics(template: &Value) -> Vec<MetricName> {
    let body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("the dashboard body is a Fn::Sub string");
    let body: Value = serde_json::from_str(body).unwrap();
    let mut names = Vec::new();
    for widget in body["widgets"].as_array().unwrap() {
        for metric in widget["properties"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let parts: Vec<&str> = metric
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(
                !parts.contains(&"."),
                "no `.` shorthand to resolve: {metric}"
            );
            let dimensions = parts[2..]
                .chunks(2)
                .map(|pair| (pair[0].to_owned(), pair[1].to_owned()))
                .collect();
            names.push((parts[0].to_owned(), parts[1].to_owned(), dimensions));
        }
    }
    names
}

/// The metrics the EMF lines of one real invocation (`tributary invoke
/// --metrics`, the handler the function runs) carry.
fn emitted_metrics(pipeline: &Path, event: &Path) -> Vec<MetricName> {
    let out = tempfile::tempdir().unwrap();
    let (output, _, stderr) = run(tributary()
        .env("OPENSEARCH_ENDPOINT", crate::support::opensearch::url())
        .env("TRIBUTARY_OUT", out.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .arg("invoke")
        .arg(pipeline)
        .arg("--event")
        .arg(event)
        .arg("--metrics"));
    assert!(output.status.success(), "{stderr}");
    let mut names = Vec::new();
    for line in stderr.lines().filter(|line| line.starts_with("{\"_aws\"")) {
        let line: Value = serde_json::from_str(line).unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        let dimensions: Vec<(String, String)> = directive["Dimensions"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| {
                let name = name.as_str().unwrap();
                (name.to_owned(), line[name].as_str().unwrap().to_owned())
            })
            .collect();
        for metric in directive["Metrics"].as_array().unwrap() {
            let namespace = directive["Namespace"].as_str().unwrap().to_owned();
            let name = metric["Name"].as_str().unwrap().to_owned();
            names.push((namespace, name, dimensions.clone()));
        }
    }
    assert!(!names.is_empty(), "no EMF lines: {stderr}");
    names
}

#[test]
fn every_dashboard_graph_of_the_pipeline_names_a_metric_a_real_invocation_writes() {
    let bootstrap = lambda_bootstrap();
    let out = tempfile::tempdir().unwrap();
    // The examples with a Lambda event beside them; the OpenSearch sink of
    // cloudwatch-logs writes to the tests' node. Clickstream's event reaches
    // every sink and dead-letters a record, so there each sink, processor
    // and stage the dashboard names is checked against its lines too;
    // cloudwatch-logs dead-letters nothing, so its dead-letter sink writes
    // no line, and there only the pipeline's name is checked.
    let examples = [("clickstream", true), ("cloudwatch-logs", false)];
    let mut runs = Vec::new();
    for (example, every_sink) in examples {
        let dir = root().join("examples").join(example);
        let pipeline = dir.join("pipeline.toml");
        let packaged = out.path().join(example);
        let (output, stdout, stderr) = run(tributary()
            .arg("package")
            .arg(&pipeline)
            .arg("--bootstrap")
            .arg(&bootstrap)
            .arg("--out")
            .arg(&packaged));
        assert!(output.status.success(), "{stdout}{stderr}");
        let template: Value =
            serde_json::from_slice(&std::fs::read(packaged.join("template.json")).unwrap())
                .unwrap();
        let graphed = dashboard_metrics(&template);
        let emitted = emitted_metrics(&pipeline, &dir.join("event.json"));
        runs.push((example, every_sink, graphed, emitted));
    }
    // What the function writes: each metric by namespace, name and
    // dimension names, over every invocation.
    let written: Vec<(&str, &str, Vec<&str>)> = runs
        .iter()
        .flat_map(|(_, _, _, emitted)| emitted)
        .map(|(namespace, name, dimensions)| {
            let names = dimensions.iter().map(|(n, _)| n.as_str()).collect();
            (namespace.as_str(), name.as_str(), names)
        })
        .collect();
    for (example, every_sink, graphed, emitted) in &runs {
        let emitted_value = |dimension: &str| -> Vec<&str> {
            emitted
                .iter()
                .flat_map(|(_, _, dims)| dims)
                .filter(|(name, _)| name == dimension)
                .map(|(_, value)| value.as_str())
                .collect()
        };
        let mut checked = 0;
        for (namespace, name, dimensions) in graphed {
            if namespace == "AWS/Lambda" {
                continue;
            }
            let names: Vec<&str> = dimensions.iter().map(|(n, _)| n.as_str()).collect();
            assert!(
                written.contains(&(namespace.as_str(), name.as_str(), names.clone())),
                "{example}: the dashboard graphs {namespace}/{name} {names:?}, which no EMF line carries"
            );
            for (dimension, value) in dimensions {
                if !every_sink && dimension != "Pipeline" {
                    continue;
                }
                let known: Vec<&str> = match dimension.as_str() {
                    // A stage is the source, a processor or a sink.
                    "Stage" => ["source"]
                        .into_iter()
                        .chain(emitted_value("Processor"))
                        .chain(emitted_value("Sink"))
                        .collect(),
                    other => emitted_value(other),
                };
                assert!(
                    known.contains(&value.as_str()),
                    "{example}: {name} graphs {dimension} = {value}, and the function writes {known:?}"
                );
            }
            checked += 1;
        }
        assert!(
            checked >= 15,
            "{example}: {checked} pipeline metrics graphed"
        );
    }
}

#[test]
fn the_packaged_bootstrap_starts_on_al2023_and_the_zip_fits_in_6_mb() {
    let package = built_package();
    let zip = std::fs::read(package.join("bootstrap.zip")).unwrap();
    assert!(zip.len() <= 6_000_000, "the zip is {} bytes", zip.len());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut entry = archive.by_name("bootstrap").unwrap();
    assert_eq!(entry.unix_mode().unwrap() & 0o111, 0o111, "executable");
    let mut bootstrap = Vec::new();
    entry.read_to_end(&mut bootstrap).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bootstrap).unwrap();
    // binutils' objdump, not tributary's own reader, lists the versions.
    let output = Command::new("objdump")
        .arg("-T")
        .arg(file.path())
        .output()
        .expect("objdump runs (binutils)");
    assert!(output.status.success());
    let symbols = String::from_utf8_lossy(&output.stdout);
    let highest = symbols
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .max()
        .expect("the bootstrap links glibc");
    assert!(
        highest <= (2, 34),
        "the bootstrap needs GLIBC_{}.{}",
        highest.0,
        highest.1
    );
}

/// Runs tests/fixtures/moto/lambda_stack.py against the shared moto server.
fn aws(args: &[&str]) -> Value {
    let output = Command::new("python3")
        .arg(root().join("tests/fixtures/moto/lambda_stack.py"))
        .arg(moto::url())
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "lambda_stack.py {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// What the moto deployments read: set up once.
fn moto_setup() -> &'static Value {
    static SETUP: OnceLock<Value> = OnceLock::new();
    SETUP.get_or_init(|| aws(&["setup"]))
}

fn deploy(pipeline: &Path, out: &Path, extra: &[&str]) -> (bool, String, String) {
    let (output, stdout, stderr) = run(moto::tributary()
        .arg("deploy")
        .arg(pipeline)
        .args(["--bucket", "tributary-artifacts", "--region", "eu-west-1"])
        .args(["--endpoint-url", moto::url()])
        .arg("--bootstrap")
        .arg(lambda_bootstrap())
        .arg("--out")
        .arg(out)
        .args(extra));
    (output.status.success(), stdout, stderr)
}

#[test]
fn deploy_creates_the_kinesis_stack_then_updates_it() {
    moto_setup();
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(root().join("examples/search/pipeline.toml")).unwrap();
    std::fs::write(&pipeline, &text).unwrap();

    let (ok, stdout, stderr) = deploy(&pipeline, &dir.path().join("out"), &["--dry-run"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("dry run: would create or update stack `tributary-clickstream-search`"),
        "{stdout}"
    );
    assert_eq!(
        aws(&["stack", "tributary-clickstream-search"]),
        json!({}),
        "a dry run deploys nothing"
    );

    let (ok, stdout, stderr) = deploy(&pipeline, &dir.path().join("out"), &[]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("stack `tributary-clickstream-search` created (CREATE_COMPLETE)"),
        "{stdout}"
    );
    assert!(stdout.contains("EventSourceMappingId"), "{stdout}");
    let deployed = aws(&["function", "clickstream-search"]);
    let function = &deployed["function"];
    assert_eq!(function["Runtime"], "provided.al2023");
    assert_eq!(function["Handler"], "bootstrap");
    assert_eq!(function["MemorySize"], 512);
    assert_eq!(function["Timeout"], 120);
    let role = function["Role"].as_str().unwrap();
    assert!(
        role.starts_with("arn:aws:iam::123456789012:role/"),
        "{role}"
    );
    // deploy wrote the role into the collection's data access policy.
    let policy: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/aoss-data-access-policy.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(policy[0]["Principal"], json!([role]));
    assert_eq!(
        policy[0]["Rules"][0]["Resource"],
        json!(["index/clickstream/clicks-*"])
    );
    assert!(
        stdout.contains("--name clickstream-search --policy file://"),
        "{stdout}"
    );
    assert_eq!(
        function["Environment"]["Variables"]["OPENSEARCH_ENDPOINT"],
        "https://abc123def456.eu-west-1.aoss.amazonaws.com"
    );
    let mappings = deployed["mappings"].as_array().unwrap();
    assert_eq!(mappings.len(), 1, "{mappings:?}");
    let mapping = &mappings[0];
    assert_eq!(
        mapping["EventSourceArn"],
        "arn:aws:kinesis:eu-west-1:123456789012:stream/clickstream"
    );
    assert_eq!(mapping["BatchSize"], 500);
    assert_eq!(mapping["MaximumBatchingWindowInSeconds"], 1);
    assert_eq!(mapping["StartingPosition"], "TRIM_HORIZON");
    assert_eq!(mapping["ParallelizationFactor"], 2);
    assert_eq!(mapping["BisectBatchOnFunctionError"], true);
    assert_eq!(mapping["MaximumRetryAttempts"], 5);
    assert_eq!(mapping["MaximumRecordAgeInSeconds"], 3600);
    assert_eq!(
        mapping["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        mapping["DestinationConfig"]["OnFailure"]["Destination"],
        "arn:aws:sqs:eu-west-1:123456789012:clickstream-failed"
    );
    assert_eq!(
        mapping["FilterCriteria"]["Filters"][0]["Pattern"],
        r#"{"data":{"type":["click","purchase"]}}"#
    );
    assert_eq!(
        mapping["MetricsConfig"],
        json!({ "Metrics": ["EventCount"] })
    );
    // The dashboard's body, as CloudFormation filled in the region and the
    // function's name. (moto's CloudFormation skips AWS::CloudWatch::Alarm:
    // the alarms are checked in their unit tests and by cfn-lint.)
    let dashboard = aws(&["dashboard", "clickstream-search-eu-west-1"]);
    let widgets = dashboard["widgets"].as_array().unwrap();
    assert!(
        widgets
            .iter()
            .skip(1)
            .all(|w| w["properties"]["region"] == "eu-west-1")
    );
    assert_eq!(
        widgets[1]["properties"]["metrics"][0],
        json!(["AWS/Lambda", "Invocations", "FunctionName", "clickstream-search", { "stat": "Sum", "label": "Invocations" }])
    );
    assert!(stdout.contains("DashboardUrl"), "{stdout}");
    let first_code = function["CodeSha256"].clone();

    // A change to the pipeline: more memory, smaller batches, another filter.
    let changed = text
        .replace("memory_mb = 512", "memory_mb = 1024")
        .replace("batch_size = 500", "batch_size = 100")
        .replace(r#"type = ["click", "purchase"]"#, r#"type = ["purchase"]"#);
    assert_ne!(changed, text);
    std::fs::write(&pipeline, &changed).unwrap();
    let (ok, stdout, stderr) = deploy(&pipeline, &dir.path().join("out"), &[]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("stack `tributary-clickstream-search` updated (UPDATE_COMPLETE)"),
        "{stdout}"
    );
    let updated = aws(&["function", "clickstream-search"]);
    assert_eq!(updated["function"]["MemorySize"], 1024);
    assert_ne!(
        updated["function"]["CodeSha256"], first_code,
        "the zip holds the new pipeline"
    );
    let mapping = &updated["mappings"][0];
    assert_eq!(
        mapping["UUID"], mappings[0]["UUID"],
        "the mapping is updated in place"
    );
    assert_eq!(mapping["BatchSize"], 100);
    assert_eq!(
        mapping["FilterCriteria"]["Filters"][0]["Pattern"],
        r#"{"data":{"type":["purchase"]}}"#
    );

    let (ok, stdout, stderr) = deploy(&pipeline, &dir.path().join("out"), &[]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("stack `tributary-clickstream-search` unchanged"),
        "{stdout}"
    );
}

#[test]
fn deploy_finds_a_tables_stream_and_builds_an_eventbridge_rule() {
    let setup = moto_setup();
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = deploy(
        &root().join("examples/orders/pipeline.toml"),
        &dir.path().join("orders"),
        &[],
    );
    assert!(ok, "{stdout}{stderr}");
    let orders = aws(&["function", "orders-search"]);
    assert_eq!(
        orders["mappings"][0]["EventSourceArn"],
        setup["orders_stream_arn"]
    );
    assert_eq!(orders["mappings"][0]["MaximumRetryAttempts"], 10);
    assert!(
        orders["mappings"][0]
            .get("FilterCriteria")
            .is_none_or(Value::is_null)
    );

    let (ok, stdout, stderr) = deploy(
        &root().join("examples/alerts/pipeline.toml"),
        &dir.path().join("alerts"),
        &[],
    );
    assert!(ok, "{stdout}{stderr}");
    let alerts = aws(&["rules", "orders", "payment-alerts"]);
    let rules = alerts["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{rules:?}");
    let pattern: Value = serde_json::from_str(rules[0]["EventPattern"].as_str().unwrap()).unwrap();
    assert_eq!(
        pattern,
        json!({ "source": ["shop.payments"], "detail-type": ["Payment Failed"] })
    );
    // moto's CloudFormation has no AWS::Lambda::EventInvokeConfig (it skips
    // the resource); its retries and destination are checked in the
    // template's unit tests and by cfn-lint.
    let function_arn = aws(&["function", "payment-alerts"])["function"]["FunctionArn"].clone();
    assert_eq!(rules[0]["targets"][0]["Arn"], function_arn);
    let statement = &alerts["policy"]["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(statement["Action"], "lambda:InvokeFunction");
    assert_eq!(
        statement["Condition"]["ArnLike"]["AWS:SourceArn"],
        rules[0]["Arn"]
    );
}

#[test]
fn deploy_refuses_a_keys_only_stream_for_a_pipeline_that_delivers_items() {
    let setup = moto_setup();
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(root().join("examples/orders/pipeline.toml"))
        .unwrap()
        .replace("name = \"orders-search\"", "name = \"order-keys\"")
        .replace("table = \"orders\"", "table = \"order-keys\"");
    std::fs::write(&pipeline, &text).unwrap();
    let (ok, stdout, stderr) = deploy(&pipeline, &dir.path().join("out"), &[]);
    assert!(!ok, "{stdout}{stderr}");
    assert!(
        stderr.contains("error: the stream of table `order-keys` is KEYS_ONLY"),
        "{stderr}"
    );
    assert!(
        stderr.contains("NEW_IMAGE or NEW_AND_OLD_IMAGES"),
        "{stderr}"
    );
    assert!(stderr.contains("payload = \"change\""), "{stderr}");
    assert!(
        !stderr.contains("uploading"),
        "nothing is uploaded: {stderr}"
    );
    assert_eq!(aws(&["stack", "tributary-order-keys"]), json!({}));

    // Whole changes need no images.
    let text = text.replace(
        "type = \"dynamodb_streams\"",
        "type = \"dynamodb_streams\"\npayload = \"change\"",
    );
    std::fs::write(&pipeline, text).unwrap();
    let (ok, stdout, stderr) = deploy(&pipeline, &dir.path().join("out"), &[]);
    assert!(ok, "{stdout}{stderr}");
    let function = aws(&["function", "order-keys"]);
    assert_eq!(
        function["mappings"][0]["EventSourceArn"],
        setup["order_keys_stream_arn"]
    );
}

#[test]
fn a_stack_that_cannot_be_created_fails_the_deploy_with_the_reason() {
    moto_setup();
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(root().join("examples/search/pipeline.toml"))
        .unwrap()
        .replace("name = \"clickstream-search\"", "name = \"no-such-stream\"")
        .replace("stream = \"clickstream\"", "stream = \"no-such-stream\"");
    std::fs::write(&pipeline, text).unwrap();
    let (ok, stdout, stderr) = deploy(&pipeline, &dir.path().join("out"), &[]);
    assert!(!ok, "{stdout}{stderr}");
    // moto refuses the mapping in CreateStack itself; AWS would report it
    // as the stack's failed event, which `deploy` prints the same way.
    assert!(stderr.contains("error: creating the stack: "), "{stderr}");
    assert!(stderr.contains("Invalid EventSourceArn"), "{stderr}");
}

#[test]
fn an_arm64_function_needs_an_arm64_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("arm.toml");
    std::fs::write(
        &pipeline,
        "[pipeline]\nname = \"arm\"\n[source]\ntype = \"kinesis\"\nstream = \"s\"\n\
         [sinks.out]\ntype = \"jsonl\"\n[deploy]\narchitecture = \"arm64\"\n",
    )
    .unwrap();
    let (output, _, stderr) = run(tributary()
        .arg("package")
        .arg(&pipeline)
        .arg("--bootstrap")
        .arg(lambda_bootstrap())
        .arg("--out")
        .arg(dir.path().join("out")));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is built for x86_64, and the function is `arm64`"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("out/bootstrap.zip").exists(),
        "nothing is zipped"
    );

    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("aarch64-unknown-linux-gnu"))
        .unwrap_or(false);
    if !installed {
        // Where the target is installed this would build for arm64 instead.
        let (output, _, stderr) = run(tributary()
            .arg("package")
            .arg(&pipeline)
            .arg("--out")
            .arg(dir.path().join("out")));
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("rustup target add aarch64-unknown-linux-gnu"),
            "{stderr}"
        );
    }
}

#[test]
fn outside_a_cargo_project_package_says_how_to_get_a_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let (output, _, stderr) = run(tributary()
        .args(["package", "examples/search/pipeline.toml", "--project"])
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("out")));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not in a Cargo project"), "{stderr}");
    assert!(stderr.contains("--bootstrap FILE"), "{stderr}");
}

/// A stand-in for a bootstrap, for packaging without `cargo lambda`: the
/// 64-byte header of an x86-64 Linux executable that links no glibc, all
/// `tributary package` reads of a bootstrap. It would not run.
fn stand_in_bootstrap(dir: &Path) -> PathBuf {
    let mut header = vec![0u8; 64];
    header[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00"); // 64-bit, little-endian, version 1
    header[16..18].copy_from_slice(&2u16.to_le_bytes()); // an executable
    header[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
    header[20..24].copy_from_slice(&1u32.to_le_bytes()); // version 1
    header[52..54].copy_from_slice(&64u16.to_le_bytes()); // the header's size
    header[58..60].copy_from_slice(&64u16.to_le_bytes()); // a section header's size
    let path = dir.join("bootstrap");
    std::fs::write(&path, header).unwrap();
    path
}

/// The bytes of each entry of a zip, by name.
fn zip_entries(zip: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(zip).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().to_string(), content)
        })
        .collect()
}

#[test]
fn the_zip_holds_each_remap_program_beside_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = stand_in_bootstrap(dir.path());
    let example = root().join("examples/cloudwatch-logs");
    let (output, stdout, stderr) = run(tributary()
        .arg("package")
        .arg(example.join("pipeline.toml"))
        .arg("--bootstrap")
        .arg(&bootstrap)
        .arg("--out")
        .arg(dir.path().join("out")));
    assert!(output.status.success(), "{stdout}{stderr}");
    let entries = zip_entries(&dir.path().join("out/bootstrap.zip"));
    assert_eq!(
        entries.keys().collect::<Vec<_>>(),
        ["bootstrap", "parse.vrl", "pipeline.toml"]
    );
    assert_eq!(entries["bootstrap"], std::fs::read(&bootstrap).unwrap());
    assert_eq!(
        entries["pipeline.toml"],
        std::fs::read(example.join("pipeline.toml")).unwrap()
    );
    assert_eq!(
        entries["parse.vrl"],
        std::fs::read(example.join("parse.vrl")).unwrap()
    );
}

#[test]
fn a_remap_program_outside_the_pipelines_folder_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = stand_in_bootstrap(dir.path());
    std::fs::write(dir.path().join("shared.vrl"), ".seen = true\n").unwrap();
    let folder = dir.path().join("pipelines");
    std::fs::create_dir(&folder).unwrap();
    let pipeline = folder.join("p.toml");
    std::fs::write(
        &pipeline,
        "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\nstream = \"s\"\n\
         [[processors]]\ntype = \"remap\"\nfile = \"../shared.vrl\"\n\
         [sinks.out]\ntype = \"jsonl\"\n",
    )
    .unwrap();
    let (output, stdout, stderr) = run(tributary()
        .arg("package")
        .arg(&pipeline)
        .arg("--bootstrap")
        .arg(&bootstrap)
        .arg("--out")
        .arg(dir.path().join("out")));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("--> {}:8:8", pipeline.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("`../shared.vrl` is outside the pipeline file's folder"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("out/bootstrap.zip").exists(),
        "nothing is zipped"
    );
}
