//! tminus: a terminal conductor for deployment day.
//!
//! The runbook is parsed once into a plan ([`runbook`]); the [`engine`] drives it, taking
//! commands and appending events to the [`journal`]; everything anyone sees — the headless
//! lines, the report — is a fold of those events.

mod allocator;
pub mod cli;
pub mod engine;
pub mod error;
pub mod example_api;
pub mod folders;
pub mod headless;
mod http_client;
pub mod import;
pub mod journal;
mod logging;
mod notify;
pub mod report;
pub mod runbook;
pub mod sanitize;
pub mod session;
pub mod tui;
