//! The stack's CloudWatch dashboard: the function as Lambda sees it
//! (invocations, errors, throttles, duration, and a stream source's iterator
//! age) and the pipeline as it reports itself (the fate of its records,
//! latency, the age of its oldest record, each sink's throttling, retries,
//! rejections and delivery time, and dead letters by stage).
//!
//! The graphs are built once, as data ([`Graph`]s of [`Line`]s): the
//! dashboard's body is written from them, and [`Dashboard::metrics`] lists
//! the metrics they refer to, so that the list cannot drift from the body.
//!
//! The body is a JSON string under `Fn::Sub`, which fills in the region and
//! the function's name; every other `${` in it (a sink named so) is escaped
//! as `${!`, which `Fn::Sub` writes back as `${`. (A string that is exactly
//! `${AWS::Region}` or `${Function}`, say a sink named so, would be filled
//! in too.)

use serde_json::{Value, json};
use tributary::Plan;
use tributary::lambda::metrics::names;
use tributary_config::PipelineConfig;
use tributary_connectors::sources::SourceConfig;

use super::metrics::{self, Metric, MetricReference};

/// The stack's logical id of the dashboard.
pub const DASHBOARD: &str = "Dashboard";

/// Where `Fn::Sub` puts the stack's region.
const REGION: &str = "${AWS::Region}";
/// Where `Fn::Sub` puts the function's name.
const FUNCTION: &str = "${Function}";

/// Every graph is 12 of the dashboard's 24 columns wide, 6 rows high: two
/// to a row.
const GRAPH_WIDTH: u32 = 12;
const GRAPH_HEIGHT: u32 = 6;
/// The period of every graph, in seconds.
const PERIOD_SECS: u32 = 60;

/// The dashboard of a pipeline's function.
#[derive(Debug)]
pub struct Dashboard {
    title: String,
    graphs: Vec<Graph>,
}

/// One graph: a title and its lines.
#[derive(Debug)]
struct Graph {
    title: &'static str,
    lines: Vec<Line>,
}

/// One line of a graph: a metric, the statistic drawn, and its label.
#[derive(Debug)]
struct Line {
    metric: Metric,
    stat: &'static str,
    label: String,
}

impl Line {
    fn new(metric: Metric, stat: &'static str, label: impl Into<String>) -> Self {
        Line {
            metric,
            stat,
            label: label.into(),
        }
    }
}

impl Dashboard {
    /// The dashboard of a valid pipeline, as `config` (read as the function
    /// reads it) and its `plan` describe it.
    pub fn new(config: &PipelineConfig, plan: &Plan) -> Self {
        let namespace = metrics::namespace(&config.deploy);
        let pipeline = config.pipeline.name.as_str();
        let mut graphs = function_graphs(plan.source());
        graphs.extend(pipeline_graphs(namespace, pipeline));
        graphs.extend(sink_graphs(namespace, pipeline, plan));
        if let Some(dead_letter) = config.pipeline.dead_letter.as_deref() {
            graphs.push(dead_letter_graph(namespace, config, plan, dead_letter));
        }
        Dashboard {
            title: format!("tributary pipeline {pipeline}"),
            graphs,
        }
    }

    /// Every metric the dashboard draws, once each, sorted.
    pub fn metrics(&self) -> Vec<MetricReference> {
        let mut references: Vec<MetricReference> = self
            .graphs
            .iter()
            .flat_map(|graph| &graph.lines)
            .map(|line| line.metric.reference())
            .collect();
        references.sort();
        references.dedup();
        references
    }

    /// The `AWS::CloudWatch::Dashboard` resource. Its name is the function's
    /// and the region's: dashboards are named across the account's regions.
    pub fn resource(&self) -> Value {
        json!({
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                "DashboardName": { "Fn::Sub": format!("{FUNCTION}-{REGION}") },
                "DashboardBody": { "Fn::Sub": self.body() },
            }
        })
    }

    /// The stack's outputs naming the dashboard, and where to see it.
    pub fn outputs() -> Vec<(&'static str, Value)> {
        vec![
            ("DashboardName", json!({ "Ref": DASHBOARD })),
            (
                "DashboardUrl",
                json!({ "Fn::Sub": format!(
                    "https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards:name=${{{DASHBOARD}}}"
                ) }),
            ),
        ]
    }

    /// The body, for `Fn::Sub`.
    fn body(&self) -> String {
        let mut widgets = vec![json!({
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 1,
            "properties": { "markdown": format!("## {}", self.title) },
        })];
        for (n, graph) in self.graphs.iter().enumerate() {
            let n = n as u32;
            widgets.push(json!({
                "type": "metric",
                "x": (n % 2) * GRAPH_WIDTH,
                "y": 1 + (n / 2) * GRAPH_HEIGHT,
                "width": GRAPH_WIDTH,
                "height": GRAPH_HEIGHT,
                "properties": graph.properties(),
            }));
        }
        let mut body = json!({ "widgets": widgets });
        escape_for_sub(&mut body);
        body.to_string()
    }
}

impl Graph {
    fn properties(&self) -> Value {
        let metrics: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let mut entry = vec![json!(line.metric.namespace), json!(line.metric.name)];
                for (name, value) in &line.metric.dimensions {
                    entry.push(json!(name));
                    entry.push(json!(value));
                }
                entry.push(json!({ "stat": line.stat, "label": line.label }));
                Value::Array(entry)
            })
            .collect();
        json!({
            "title": self.title,
            "region": REGION,
            "view": "timeSeries",
            "stacked": false,
            "period": PERIOD_SECS,
            "metrics": metrics,
        })
    }
}

/// Lambda's graphs of the function; the iterator age for stream sources.
fn function_graphs(source: &SourceConfig) -> Vec<Graph> {
    let lambda = |name| Metric::lambda(name, FUNCTION);
    let mut graphs = vec![
        Graph {
            title: "Invocations, errors and throttles",
            lines: vec![
                Line::new(lambda("Invocations"), "Sum", "Invocations"),
                Line::new(lambda("Errors"), "Sum", "Errors"),
                Line::new(lambda("Throttles"), "Sum", "Throttles"),
            ],
        },
        Graph {
            title: "Duration (ms)",
            lines: vec![
                Line::new(lambda("Duration"), "Average", "Average"),
                Line::new(lambda("Duration"), "p99", "p99"),
                Line::new(lambda("Duration"), "Maximum", "Maximum"),
            ],
        },
    ];
    if reads_a_stream(source) {
        graphs.push(Graph {
            title: "Iterator age (ms): the oldest record not yet read",
            lines: vec![Line::new(lambda("IteratorAge"), "Maximum", "Maximum")],
        });
    }
    graphs
}

/// Whether Lambda reads the source as a stream, and so reports its
/// iterator age.
pub fn reads_a_stream(source: &SourceConfig) -> bool {
    match source {
        SourceConfig::Kinesis(_) | SourceConfig::DynamodbStreams(_) => true,
        SourceConfig::Eventbridge(_) => false,
    }
}

/// The pipeline's graphs of its records.
fn pipeline_graphs(namespace: &str, pipeline: &str) -> Vec<Graph> {
    let metric = |name| Metric::pipeline(namespace, name, pipeline);
    let fates = [
        names::RECORDS_IN.name,
        names::DELIVERED.name,
        names::DROPPED.name,
        names::FAILED.name,
        names::SKIPPED.name,
        names::AGGREGATED.name,
        names::DEAD_LETTERED.name,
    ];
    vec![
        Graph {
            title: "Records by fate",
            lines: fates
                .into_iter()
                .map(|name| Line::new(metric(name), "Sum", name))
                .collect(),
        },
        Graph {
            title: "Latency (ms): from the stream to delivery",
            lines: ["p50", "p90", "p99"]
                .into_iter()
                .map(|stat| Line::new(metric(names::LATENCY.name), stat, stat))
                .collect(),
        },
        Graph {
            title: "Oldest record's age (ms) when an invocation starts",
            lines: vec![Line::new(
                metric(names::OLDEST_RECORD_AGE.name),
                "Maximum",
                "Maximum",
            )],
        },
    ]
}

/// One graph per sink metric worth watching, one line per sink (the
/// dead-letter sink among them).
fn sink_graphs(namespace: &str, pipeline: &str, plan: &Plan) -> Vec<Graph> {
    let per_sink = |metrics: &[(&'static str, &'static str)], stat: &'static str| -> Vec<Line> {
        plan.sinks()
            .flat_map(|(sink, _)| {
                metrics.iter().map(move |(name, what)| {
                    let metric = Metric::of_part(namespace, name, pipeline, names::SINK, sink);
                    let label = if what.is_empty() {
                        sink.to_owned()
                    } else {
                        format!("{sink} {what}")
                    };
                    Line::new(metric, stat, label)
                })
            })
            .collect()
    };
    vec![
        Graph {
            title: "Sinks: items throttled",
            lines: per_sink(&[(names::SINK_THROTTLED.name, "")], "Sum"),
        },
        Graph {
            title: "Sinks: items retried",
            lines: per_sink(&[(names::SINK_RETRIES.name, "")], "Sum"),
        },
        Graph {
            title: "Sinks: records rejected, and failed for now",
            lines: per_sink(
                &[
                    (names::SINK_REJECTED.name, "rejected"),
                    (names::SINK_FAILED.name, "failed"),
                ],
                "Sum",
            ),
        },
        Graph {
            title: "Sinks: delivery time (ms)",
            lines: per_sink(&[(names::SINK_DELIVERY_TIME.name, "")], "Average"),
        },
    ]
}

/// Dead letters by the stage that failed: the source, each processor, each
/// sink but the dead-letter sink.
fn dead_letter_graph(
    namespace: &str,
    config: &PipelineConfig,
    plan: &Plan,
    dead_letter: &str,
) -> Graph {
    let pipeline = config.pipeline.name.as_str();
    let processors = (0..config.processors.len()).map(|index| config.processor_label(index));
    let sinks = plan
        .sinks()
        .map(|(name, _)| name.to_owned())
        .filter(|name| name != dead_letter);
    let stages = std::iter::once("source".to_owned())
        .chain(processors)
        .chain(sinks);
    Graph {
        title: "Dead letters by stage",
        lines: stages
            .map(|stage| {
                let metric = Metric::of_part(
                    namespace,
                    names::DEAD_LETTERS.name,
                    pipeline,
                    names::STAGE,
                    &stage,
                );
                Line::new(metric, "Sum", stage)
            })
            .collect(),
    }
}

/// Escapes every `${` of the body's strings for `Fn::Sub`, but in the
/// region and the function's name, which `Fn::Sub` fills in.
fn escape_for_sub(value: &mut Value) {
    match value {
        Value::String(text) if text == REGION || text == FUNCTION => {}
        Value::String(text) => {
            if text.contains("${") {
                *text = text.replace("${", "${!");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(escape_for_sub),
        Value::Object(entries) => entries.values_mut().for_each(escape_for_sub),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::metrics::off_contract;
    use crate::deploy::planned;

    /// A Kinesis pipeline with two processors, two sinks and a dead-letter
    /// sink; `deploy` is its `[deploy]` table.
    fn pipeline(deploy: &str) -> String {
        format!(
            "[pipeline]\nname = \"clicks\"\non_error = \"dead-letter\"\ndead_letter = \"failed\"\n\
             [source]\ntype = \"kinesis\"\nstream = \"s\"\n\
             [[processors]]\ntype = \"filter\"\nid = \"only-clicks\"\npattern = {{ type = [\"click\"] }}\n\
             [[processors]]\ntype = \"sample\"\nrate = 2\n\
             [sinks.search]\ntype = \"jsonl\"\n[sinks.archive]\ntype = \"jsonl\"\n\
             [sinks.failed]\ntype = \"jsonl\"\n[deploy]\n{deploy}\n"
        )
    }

    fn dashboard(text: &str) -> Dashboard {
        let (config, plan) = planned(text);
        Dashboard::new(&config, &plan)
    }

    /// The body as CloudFormation hands it to CloudWatch, in `eu-west-1`
    /// for function `clicks-fn`.
    fn substituted_body(dashboard: &Dashboard) -> Value {
        let resource = dashboard.resource();
        let body = resource["Properties"]["DashboardBody"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .replace(REGION, "eu-west-1")
            .replace(FUNCTION, "clicks-fn")
            .replace("${!", "${");
        serde_json::from_str(&body).unwrap()
    }

    /// Each metric widget's title and its entries.
    fn graphs(body: &Value) -> Vec<(String, Vec<Value>)> {
        body["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|widget| widget["type"] == "metric")
            .map(|widget| {
                let properties = &widget["properties"];
                assert_eq!(properties["region"], "eu-west-1");
                (
                    properties["title"].as_str().unwrap().to_owned(),
                    properties["metrics"].as_array().unwrap().clone(),
                )
            })
            .collect()
    }

    fn graph<'a>(graphs: &'a [(String, Vec<Value>)], title: &str) -> &'a [Value] {
        &graphs
            .iter()
            .find(|(t, _)| t.starts_with(title))
            .unwrap_or_else(|| panic!("no graph {title}"))
            .1
    }

    #[test]
    fn every_pipeline_metric_on_the_dashboard_is_one_the_function_emits() {
        for text in [
            pipeline(""),
            pipeline("environment = { TRIBUTARY_METRICS_NAMESPACE = \"shop\" }"),
            "[pipeline]\nname = \"alerts\"\n[source]\ntype = \"eventbridge\"\n[sinks.out]\ntype = \"jsonl\"\n"
                .to_owned(),
        ] {
            let metrics = dashboard(&text).metrics();
            assert_eq!(off_contract(&metrics), Vec::<String>::new(), "{text}");
            assert!(
                metrics.iter().any(|m| m.name == names::SINK_THROTTLED.name),
                "{metrics:?}"
            );
        }
        let metrics = dashboard(&pipeline("")).metrics();
        for name in [
            "Invocations",
            "Errors",
            "Throttles",
            "Duration",
            "IteratorAge",
        ] {
            assert!(
                metrics.contains(&MetricReference {
                    namespace: "AWS/Lambda".into(),
                    name,
                    dimensions: vec!["FunctionName"],
                }),
                "{name}: {metrics:?}"
            );
        }
        for name in [
            names::DELIVERED.name,
            names::DROPPED.name,
            names::FAILED.name,
            names::SKIPPED.name,
            names::AGGREGATED.name,
            names::DEAD_LETTERED.name,
            names::LATENCY.name,
            names::OLDEST_RECORD_AGE.name,
            names::SINK_RETRIES.name,
            names::SINK_REJECTED.name,
            names::SINK_DELIVERY_TIME.name,
            names::DEAD_LETTERS.name,
        ] {
            assert!(
                metrics
                    .iter()
                    .any(|m| m.name == name && m.namespace == "tributary"),
                "{name}: {metrics:?}"
            );
        }
    }

    #[test]
    fn the_graphs_show_the_function_each_sink_and_each_stage() {
        let body = substituted_body(&dashboard(&pipeline("")));
        let graphs = graphs(&body);
        assert_eq!(
            graph(&graphs, "Iterator age"),
            [
                json!(["AWS/Lambda", "IteratorAge", "FunctionName", "clicks-fn", { "stat": "Maximum", "label": "Maximum" }])
            ]
        );
        assert_eq!(
            graph(&graphs, "Latency")
                .iter()
                .map(|line| line[4]["stat"].clone())
                .collect::<Vec<_>>(),
            ["p50", "p90", "p99"]
        );
        assert_eq!(
            graph(&graphs, "Latency")[0],
            json!(["tributary", "Latency", "Pipeline", "clicks", { "stat": "p50", "label": "p50" }])
        );
        assert_eq!(
            graph(&graphs, "Sinks: items retried")
                .iter()
                .map(|line| line[5].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["archive", "search", "failed"],
            "one line per sink, the dead-letter sink last"
        );
        assert_eq!(
            graph(&graphs, "Sinks: records rejected")[3],
            json!(["tributary", "SinkFailed", "Pipeline", "clicks", "Sink", "search", { "stat": "Sum", "label": "search failed" }])
        );
        assert_eq!(
            graph(&graphs, "Dead letters by stage")
                .iter()
                .map(|line| line[5].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["source", "only-clicks", "sample#1", "archive", "search"]
        );
        // Two graphs to a row, under the title.
        let widgets = body["widgets"].as_array().unwrap();
        assert_eq!(widgets[0]["type"], "text");
        assert_eq!(
            (widgets[2]["x"].as_u64(), widgets[2]["y"].as_u64()),
            (Some(12), Some(1))
        );
        assert_eq!(
            (widgets[3]["x"].as_u64(), widgets[3]["y"].as_u64()),
            (Some(0), Some(7))
        );
    }

    #[test]
    fn a_pipeline_without_a_stream_or_dead_letters_has_no_graphs_of_them() {
        let body = substituted_body(&dashboard(
            "[pipeline]\nname = \"alerts\"\n[source]\ntype = \"eventbridge\"\n[sinks.out]\ntype = \"jsonl\"\n",
        ));
        let titles: Vec<String> = graphs(&body).into_iter().map(|(title, _)| title).collect();
        assert!(
            !titles.iter().any(|t| t.starts_with("Iterator age")),
            "{titles:?}"
        );
        assert!(
            !titles.iter().any(|t| t.starts_with("Dead letters")),
            "{titles:?}"
        );
        assert!(
            titles.iter().any(|t| t.starts_with("Sinks: delivery time")),
            "{titles:?}"
        );
    }

    #[test]
    fn the_namespace_is_the_one_the_function_is_given() {
        let shop = dashboard(&pipeline(
            "environment = { TRIBUTARY_METRICS_NAMESPACE = \"shop/pipelines\" }",
        ));
        let namespaces: std::collections::BTreeSet<String> = shop
            .metrics()
            .into_iter()
            .map(|metric| metric.namespace)
            .collect();
        assert_eq!(
            namespaces.into_iter().collect::<Vec<_>>(),
            ["AWS/Lambda", "shop/pipelines"]
        );
    }

    #[test]
    fn a_dollar_brace_in_a_name_is_escaped_for_fn_sub() {
        let text = pipeline("").replace("[sinks.archive]", "[sinks.\"$${archive}\"]");
        let resource = dashboard(&text).resource();
        let body = resource["Properties"]["DashboardBody"]["Fn::Sub"]
            .as_str()
            .unwrap();
        assert!(body.contains("\"${!archive}\""), "{body}");
        assert!(body.contains("\"region\":\"${AWS::Region}\""), "{body}");
        let lines = graphs(&substituted_body(&dashboard(&text)));
        assert_eq!(graph(&lines, "Sinks: items throttled")[0][5], "${archive}");
        assert_eq!(
            resource["Properties"]["DashboardName"],
            json!({ "Fn::Sub": "${Function}-${AWS::Region}" })
        );
    }
}
