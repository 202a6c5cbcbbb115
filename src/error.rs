//! The errors that reach the command line, each knowing its exit code.

use std::path::PathBuf;

use crate::engine::EngineError;

use crate::folders::FolderError;
use crate::journal::StoreError;
use crate::runbook::LoadError;

/// The exit code of a run (or command) ended by its journal failing.
pub const JOURNAL_FAILED: i32 = 6;

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
    #[error("{0}")]
    Import(#[from] crate::import::ImportError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Folder(#[from] FolderError),
    #[error("{0}")]
    Usage(String),
    /// A conductor process that could not start, in its own words.
    #[error("{why}")]
    Conductor { code: i32, why: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Bad input is 2, as the CLI contract says (a folder of tminus's own that another account
    /// could use is one); a journal that failed is 6, apart from a failed step (1); anything
    /// else that broke mid-way is 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Runbook(_) | Error::Theme(_) | Error::Usage(_) | Error::Import(_) => 2,
            Error::Journal(
                StoreError::NoRuns { .. }
                | StoreError::NoSuchRun { .. }
                | StoreError::NoJournal { .. }
                | StoreError::AmbiguousRun { .. }
                | StoreError::NeedsOwner { .. }
                | StoreError::NoCreate { .. }
                | StoreError::NoSchema { .. },
            ) => 2,
            Error::Journal(StoreError::NotDriver { .. }) => crate::session::remote::REFUSED,
            Error::Journal(StoreError::Address(bad)) if bad.is_bad_input() => 2,
            Error::Folder(FolderError::Untrusted { .. })
            | Error::Journal(StoreError::Folder { source: FolderError::Untrusted { .. }, .. }) => 2,
            Error::Journal(_) | Error::Engine(EngineError::Journal(_)) => JOURNAL_FAILED,
            Error::Conductor { code, .. } => *code,
            _ => 1,
        }
    }
}
