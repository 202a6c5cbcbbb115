//! The doing: a conductor that decides (sans I/O), units that act (shell commands, HTTP and SQL
//! checks), and the driver loop between them and the journal. It knows nothing of terminals;
//! clients send [`Command`]s and read the events it journals.

mod check;
mod command;
mod conductor;
mod driver;
pub mod group;
mod http;
mod output;
mod plan;
mod process;
mod sql;
pub mod start;
mod units;
mod verdict;

pub use command::{Act, Command, Identity, Via, Who, os_login};
pub use conductor::{Conductor, Machine};
pub use driver::{Driver, EngineError};
pub use output::FLUSH_BYTES;
pub use plan::{detail, run_info};
