//! Who may do what on a run: the runbook's `[roles]`, each a name, the logins of its people, and
//! what they may do beyond signing the gates that name the role.

use serde::{Deserialize, Serialize};

/// What a role's people may do besides signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum May {
    /// Answer prompts, confirm, skip, retry, abort, note, stop, take over the lead.
    Drive,
    /// Pull the rollback.
    Rollback,
}

impl May {
    pub const ALL: &[(&str, May)] = &[("drive", May::Drive), ("rollback", May::Rollback)];

    pub fn name(self) -> &'static str {
        match self {
            May::Drive => "drive",
            May::Rollback => "roll back",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    /// Logins: OS accounts on the conductor's machine, or database logins.
    pub people: Vec<String>,
    pub may: Vec<May>,
}

/// The roles of a runbook; none at all means the lead does everything, as without `[roles]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles(pub Vec<Role>);

impl Roles {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&Role> {
        self.0.iter().find(|r| r.name == name)
    }

    /// Whether `login` is among the people of a role that may do `what`.
    pub fn allows(&self, login: &str, what: May) -> bool {
        self.0.iter().any(|r| r.may.contains(&what) && r.people.iter().any(|p| p == login))
    }

    /// Whether `login` may sign for `role`.
    pub fn signs_for(&self, login: &str, role: &str) -> bool {
        self.get(role).is_some_and(|r| r.people.iter().any(|p| p == login))
    }

    /// The people who may do `what`, for telling someone whom to ask.
    pub fn who_may(&self, what: May) -> Vec<&str> {
        let mut people: Vec<&str> = self
            .0
            .iter()
            .filter(|r| r.may.contains(&what))
            .flat_map(|r| r.people.iter().map(String::as_str))
            .collect();
        people.dedup();
        people
    }
}
