//! What a client and a conductor say to each other on the conductor's socket: one JSON object
//! per line. A client says who it wants to be called, never who it is: the socket's peer
//! credentials say that.

use serde::{Deserialize, Serialize};

use crate::engine::Act;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "say", rename_all = "snake_case")]
pub enum ClientSays {
    /// First, once: the display name, and whether this is a screen (its coming and going is
    /// journaled) or a one-off command.
    Hello {
        name: String,
        screen: bool,
    },
    Act {
        act: Act,
    },
    /// The screen is leaving on purpose: journaled as detached, not lost.
    Bye,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "say", rename_all = "snake_case")]
pub enum ConductorSays {
    Welcome {
        run_id: String,
        login: String,
    },
    Refused {
        why: String,
    },
    /// What every screen should show about the conductor itself (the journal is unavailable),
    /// or `None` once all is well again.
    Health {
        trouble: Option<String>,
    },
}
