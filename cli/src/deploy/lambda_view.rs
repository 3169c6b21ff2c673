//! The pipeline file as the deployed function reads it.
//!
//! The zip carries the file as written, and the function interpolates its
//! `${VAR}`s with its own environment: the `[deploy] environment` table, and
//! nothing of the shell that ran `tributary package`. So the template is made
//! from the file read that way, and a variable set here but not there is
//! pointed out, with what to write instead.

use std::collections::BTreeSet;

use tributary_config::{ConfigError, Diagnostic, LAMBDA_VARIABLES, PipelineConfig, SourceFile};

use super::DeployError;

/// Reads `local` (the file as read here, with `here` for its variables) as
/// the function will read it; with a note when the two readings differ. Its
/// `[deploy]` table stays the local one: only `package` reads it.
pub fn read(
    local: &PipelineConfig,
    here: impl Fn(&str) -> Option<String>,
) -> Result<(PipelineConfig, Option<String>), DeployError> {
    let environment = &local.deploy.environment;
    // Lambda's own variables (`AWS_REGION`, ...) are set there too: read as here.
    let lookup = |var: &str| {
        if LAMBDA_VARIABLES.contains(&var) {
            here(var).or_else(|| Some(format!("(Lambda's {var})")))
        } else {
            environment.get(var).cloned()
        }
    };
    let parsed = SourceFile::new(local.file.name(), local.file.original(), lookup)
        .and_then(PipelineConfig::parse)
        .map_err(|error| DeployError::Invalid(in_lambda(error)))?;
    let mut config = parsed;
    config.deploy = local.deploy.clone();
    let note = (config.file.text() != local.file.text()).then(|| {
        let names: BTreeSet<&str> = local.file.variables().collect();
        let differing: Vec<String> = names
            .into_iter()
            .filter(|var| !LAMBDA_VARIABLES.contains(var))
            .filter(|var| here(var) != environment.get(*var).cloned())
            .map(|var| format!("`${{{var}}}`"))
            .collect();
        format!(
            "in Lambda, where only `[deploy] environment` is set, the pipeline reads {} otherwise than here; \
             the template follows what the function reads. To pass a value on, write \
             environment = {{ VAR = \"${{VAR}}\" }}",
            differing.join(", ")
        )
    });
    Ok((config, note))
}

/// Says where each problem is met: in Lambda's reading of the file.
fn in_lambda(error: ConfigError) -> ConfigError {
    ConfigError {
        omitted: error.omitted,
        diagnostics: error
            .diagnostics
            .into_iter()
            .map(|diagnostic| Diagnostic {
                message: format!("in Lambda, {}", diagnostic.message),
                hint: Some(format!(
                    "the function reads the file with only `[deploy] environment` set; add the \
                     variable there, as environment = {{ VAR = \"${{VAR}}\" }}{}",
                    diagnostic
                        .hint
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_default()
                )),
                ..diagnostic
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(env: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |var| {
            env.iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| v.to_string())
        }
    }

    /// Reads a file here, then as Lambda does.
    fn read_both(
        text: &str,
        env: &[(&str, &str)],
    ) -> Result<(PipelineConfig, Option<String>), DeployError> {
        let here =
            PipelineConfig::parse(SourceFile::new("p.toml", text, lookup(env)).unwrap()).unwrap();
        read(&here, lookup(env))
    }

    const PIPELINE: &str = "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\nstream = \"${STREAM:-clicks}\"\n[sinks.out]\ntype = \"jsonl\"\n";

    #[test]
    fn variables_set_only_here_are_named_and_lambdas_reading_wins() {
        let (lambda, note) = read_both(PIPELINE, &[("STREAM", "orders")]).unwrap();
        assert!(lambda.file.text().contains("stream = \"clicks\""));
        let note = note.expect("the readings differ");
        assert!(note.contains("`${STREAM}`"), "{note}");
    }

    #[test]
    fn the_deploy_environment_passes_values_on() {
        let text = format!("{PIPELINE}[deploy]\nenvironment = {{ STREAM = \"${{STREAM}}\" }}\n");
        let (lambda, note) = read_both(&text, &[("STREAM", "orders")]).unwrap();
        assert!(lambda.file.text().contains("stream = \"orders\""));
        assert_eq!(note, None);
    }

    #[test]
    fn a_variable_lambda_lacks_is_an_error_at_its_place() {
        let text = PIPELINE.replace("${STREAM:-clicks}", "${STREAM}");
        let error = read_both(&text, &[("STREAM", "orders")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("in Lambda, "), "{error}");
        assert!(error.contains("p.toml:5:"), "{error}");
        assert!(error.contains("[deploy] environment"), "{error}");
    }

    #[test]
    fn lambdas_own_variables_are_set_there() {
        let text = PIPELINE.replace("${STREAM:-clicks}", "${AWS_REGION}");
        let (lambda, note) = read_both(&text, &[("AWS_REGION", "eu-west-1")]).unwrap();
        assert!(lambda.file.text().contains("stream = \"eu-west-1\""));
        assert_eq!(note, None);
    }
}
