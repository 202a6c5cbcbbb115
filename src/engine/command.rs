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
    /// running step and stop. Only the OS delivers one: from a client it is refused.
    Interrupt { signal: String },
    /// Become the lead: for someone whose role may drive.
    TakeOver,
    /// A screen attached to the run: said by the socket of its own connection, so no client
    /// can write it.
    #[serde(skip)]
    Attach,
    /// A screen left; `lost` when its connection dropped without a word.
    #[serde(skip)]
    Detach { lost: bool },
    /// What the shared journal's inbox held that is no command tminus knows: never read from
    /// a client as such; the inbox's reader says it, so the rights table refuses it on the
    /// record, with the login that wrote it.
    #[serde(skip)]
    Unreadable { what: String },
    /// The conductor's own notifier says what became of a notification. Never read from a
    /// client: only the conductor process itself sends it.
    #[serde(skip)]
    Notified { receiver: String, notice: String, error: Option<String> },
}

/// How a command reached the conductor: what proved who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The conductor's own process: the lead's stdin headless, the OS's signals, its notifier.
    Own,
    /// The conductor's socket: the kernel's peer credentials name an OS account.
    Socket,
    /// A shared PostgreSQL journal's inbox: the database names the login that wrote the row.
    Inbox,
}

/// Which accounts a run's people are: the one identity rule, decided by the journal alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// A file journal: OS accounts, proved by the conductor's socket.
    OsAccounts,
    /// A shared PostgreSQL journal: database logins, proved by its inbox.
    DatabaseLogins,
}

impl Identity {
    /// Whether `via` proves who someone is under this rule. The conductor's own process
    /// always speaks for the lead.
    pub fn proved_by(self, via: Via) -> bool {
        matches!(
            (self, via),
            (_, Via::Own) | (Identity::OsAccounts, Via::Socket) | (Identity::DatabaseLogins, Via::Inbox)
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub by: Who,
    pub act: Act,
    pub via: Via,
}
