//! The Lambda function, with the built-in processors: it runs the pipeline
//! in `pipeline.toml` beside it, or in the file `$TRIBUTARY_PIPELINE` names.

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tributary::lambda::run(tributary_processors::Registry::builtin())
}
