//! The JSON Schema of the pipeline file, for editors (taplo, Even Better
//! TOML) to complete and check pipelines.
//!
//! It is put together from the config structs themselves, so it cannot drift
//! from what the loader accepts: the `[pipeline]` and `[deploy]` tables, one
//! variant a source type, a processor type (including a user's own) and a
//! sink type.

use schemars::Schema;
use serde_json::{Map, Value, json};
use tributary_config::{DeploySection, PipelineSection};
use tributary_connectors::sinks::{ROUTE, SinkConfig};
use tributary_connectors::sources::SourceConfig;
use tributary_processors::Registry;

/// The JSON Schema of a pipeline file whose processors come from `registry`.
pub fn pipeline_schema(registry: &Registry) -> Value {
    let mut defs = Map::new();
    let mut variants = |schemas: Vec<(&str, Schema)>, with_id: bool| -> Value {
        let one_of: Vec<Value> = schemas
            .into_iter()
            .map(|(kind, schema)| component_variant(kind, schema, with_id, &mut defs))
            .collect();
        json!({ "oneOf": one_of })
    };
    let sources = variants(SourceConfig::schemas(), false);
    let processors = variants(
        registry
            .registrations()
            .iter()
            .map(|r| (r.kind, r.schema()))
            .collect(),
        true,
    );
    let mut sinks = variants(SinkConfig::schemas(), false);
    add_route(&mut sinks, &mut defs);
    let pipeline = lift_defs(schemars::schema_for!(PipelineSection), &mut defs);
    let deploy = lift_defs(schemars::schema_for!(DeploySection), &mut defs);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "tributary pipeline",
        "description": "A tributary pipeline: a source, processors in order, and one or more sinks.",
        "type": "object",
        "additionalProperties": false,
        "required": ["pipeline", "source", "sinks"],
        "properties": {
            "pipeline": pipeline,
            "source": sources,
            "processors": {
                "description": "The processors, in the order they run.",
                "type": "array",
                "items": processors
            },
            "sinks": {
                "description": "The sinks, by name. Every sink receives the pipeline's output (or, with `when`, the records it picks), except the dead-letter sink.",
                "type": "object",
                "minProperties": 1,
                "additionalProperties": sinks
            },
            "deploy": deploy,
            "tests": {
                "description": "Tests of the pipeline, run by `tributary test`.",
                "type": "array",
                "items": schemars::schema_for!(tributary::declared_tests::TestCase)
            }
        },
        "$defs": defs
    })
}

/// One `oneOf` variant: the component's schema with its `type` (and `id`).
fn component_variant(
    kind: &str,
    schema: Schema,
    with_id: bool,
    defs: &mut Map<String, Value>,
) -> Value {
    let mut value = lift_defs(schema, defs);
    let object = value
        .as_object_mut()
        .expect("a struct's schema is an object");
    object.remove("title");
    let properties = object
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("properties is an object");
    properties.insert(
        "type".into(),
        json!({ "const": kind, "description": "The component type." }),
    );
    if with_id {
        properties.insert(
            "id".into(),
            json!({ "type": "string", "description": "A name for this step, unique in the pipeline, used in logs and metrics." }),
        );
    }
    let required = object.entry("required").or_insert_with(|| json!([]));
    if let Some(required) = required.as_array_mut() {
        required.insert(0, json!("type"));
    }
    value
}

/// Gives each sink variant its route, `when`: the pipeline reads it, not
/// the sink's config.
fn add_route(sinks: &mut Value, defs: &mut Map<String, Value>) {
    let mut route = lift_defs(
        schemars::schema_for!(tributary_processors::filter::PatternSource),
        defs,
    );
    if let Some(object) = route.as_object_mut() {
        object.remove("title");
        object.insert(
            "description".into(),
            json!("Take only the records matching this EventBridge event pattern (an inline table, or a JSON string); a sink without `when` takes every record. `[pipeline] unrouted` decides what becomes of a record no sink takes. Not on the dead-letter sink."),
        );
    }
    let variants = sinks["oneOf"].as_array_mut().into_iter().flatten();
    for variant in variants {
        if let Some(properties) = variant["properties"].as_object_mut() {
            properties.insert(ROUTE.into(), route.clone());
        }
    }
}

/// Moves a schema's `$defs` into the shared ones, dropping its `$schema`.
fn lift_defs(schema: Schema, defs: &mut Map<String, Value>) -> Value {
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.remove("$schema");
        if let Some(Value::Object(own)) = object.remove("$defs") {
            defs.extend(own);
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_component_type_with_its_documented_options() {
        let schema = pipeline_schema(&Registry::builtin());
        let kinds = |path: &str| -> Vec<String> {
            schema
                .pointer(path)
                .and_then(Value::as_array)
                .unwrap()
                .iter()
                .map(|v| {
                    v["properties"]["type"]["const"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        };
        assert_eq!(
            kinds("/properties/source/oneOf"),
            ["dynamodb_streams", "eventbridge", "kinesis"]
        );
        assert_eq!(
            kinds("/properties/sinks/additionalProperties/oneOf"),
            ["jsonl", "opensearch", "s3"]
        );
        let kinesis = &schema["properties"]["source"]["oneOf"][2];
        assert_eq!(kinesis["additionalProperties"], false);
        assert!(
            kinesis["properties"]["batch_size"]["description"]
                .as_str()
                .unwrap()
                .contains("from 1 to 10000")
        );
        assert_eq!(
            schema["properties"]["pipeline"]["required"],
            json!(["name"])
        );
    }
}
