//! What a client asks of a run's conductor, and who asked: the name they go by and the
//! account their transport proved. A client never says who it is; the transport does.

use serde::{Deserialize, Serialize};

use crate::journal::Decision;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    /// The display name (`--operator`), shown next to the login.
    pub name: String,
    /// The OS account (local socket) or database login that sent the command.
    pub login: String,
}

impl Who {
    /// Someone at this process's own keyboard: the account this process runs as.
    pub fn local(name: &str) -> Who {
        Who { name: name.to_string(), login: os_login(nix::unistd::getuid()) }
    }
}

/// The account name of a user id, or the id itself when it has no name.
pub fn os_login(uid: nix::unistd::Uid) -> String {
    nix::unistd::User::from_uid(uid).ok().flatten().map(|u| u.name).unwrap_or_else(|| format!("uid {uid}"))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "snake_case")]
pub enum Act {
    /// An answer to the prompt journaled as event `to`: an answer to a prompt that has
    /// already gone (another screen answered first) changes nothing.
    Answer {
        to: i64,
        decision: Decision,
        reason: Option<String>,
        /// Answered by `--yes` rather than typed.
        #[serde(default)]
        auto: bool,
    },
    /// A note for the journal, at any moment.
    Note { text: String },
    /// Roll back now: from a prompt, or in the middle of a running step.
    Rollback { reason: Option<String> },
    /// End the running step now; the run goes on to its next decision.
    Abort,
    /// End the run: the running step is ended, and the run stops as aborted.
    Stop { reason: String },
    /// A signal to the conductor (`SIGINT` for Ctrl-C of one in the foreground): end the
    /// running step and stop.
    Interrupt { signal: String },
    /// Become the lead: for someone whose role may drive.
    TakeOver,
    /// A screen attached to the run (said by the transport, never by a client).
    Attach,
    /// A screen left; `lost` when its connection dropped without a word.
    Detach { lost: bool },
    /// The conductor's own notifier says what became of a notification. Never read from a
    /// client: only the conductor process itself sends it.
    #[serde(skip)]
    Notified { receiver: String, notice: String, error: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub by: Who,
    pub act: Act,
}
