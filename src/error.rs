//! The errors that reach the command line, each knowing its exit code.

use std::path::PathBuf;

use crate::engine::EngineError;

use crate::journal::StoreError;
use crate::runbook::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Runbook(#[from] LoadError),
    #[error("{0}")]
    Journal(#[from] StoreError),
    #[error("the run stopped: {0}")]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Theme(#[from] crate::tui::theme::ThemeError),
    #[error("example-api: {0}")]
    Example(#[from] crate::example_api::ExampleError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    /// A conductor process that could not start, in its own words.
    #[error("{why}")]
    Conductor { code: i32, why: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Bad input is 2, as the CLI contract says; anything that broke mid-way is 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Runbook(_) | Error::Theme(_) | Error::Usage(_) => 2,
            Error::Journal(
                StoreError::NoRuns { .. } | StoreError::NoSuchRun { .. } | StoreError::NoJournal { .. },
            ) => 2,
            Error::Journal(StoreError::Address(bad)) if bad.is_bad_input() => 2,
            Error::Conductor { code, .. } => *code,
            _ => 1,
        }
    }
}
