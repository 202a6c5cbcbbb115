//! Where events live. The engine and every reader talk to this trait, never to a database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::event::Event;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Address(#[from] super::address::AddressError),
    #[error("journal {location}: {source}")]
    Database {
        location: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("journal {location}: cannot prepare it: {source}")]
    Migrate {
        location: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("journal {location}: {source}")]
    Folder {
        location: String,
        #[source]
        source: crate::folders::FolderError,
    },
    #[error("journal {location}: event {seq} of run {run_id} is unreadable: {source}")]
    Corrupt {
        location: String,
        run_id: String,
        seq: i64,
        #[source]
        source: serde_json::Error,
    },
    #[error("journal {location}: no run `{run_id}`")]
    NoSuchRun { location: String, run_id: String },
    #[error("no journal at {location}: nothing has run there yet (or give --journal)")]
    NoJournal { location: String },
    #[error("journal {location}: no runs yet")]
    NoRuns { location: String },
    /// A run id prefix that more than one run starts with.
    #[error("run id `{prefix}` is ambiguous: it begins {}; give more of the id", list_runs(candidates))]
    AmbiguousRun { prefix: String, candidates: Vec<String> },
    #[error(
        "journal {location}: grants are for a shared PostgreSQL journal; a file journal is kept by its file's permissions"
    )]
    NotShared { location: String },
    /// A journal older than this tminus, opened by a login that may not change its tables.
    #[error(
        "journal {location} needs migrating by its owner ({owner}): run `tminus grant {login} drive` as them"
    )]
    NeedsOwner { location: String, owner: String, login: String },
    /// No journal yet, and this login may not make one.
    #[error(
        "journal {location}: schema {schema} holds no journal yet, and {login} may not create one there: run `tminus grant {login} drive` as the schema's owner ({owner})"
    )]
    NoCreate { location: String, schema: String, owner: String, login: String },
    #[error(
        "journal {location}: no schema on its search_path ({search_path}) exists: create one, or name one that does"
    )]
    NoSchema { location: String, search_path: String },
    /// A login below `drive` opened the journal to conduct a run.
    #[error(
        "journal {location}: {login} may not conduct runs here: run `tminus grant {login} drive` as the journal's owner ({owner})"
    )]
    NotDriver { location: String, owner: String, login: String },
    /// Someone kept the migrator's lock longer than a migration waits for it.
    #[error(
        "journal {location}: its migration lock is still held by {holder} after {waited}s, so nothing was migrated: try again once they let go of it"
    )]
    MigrationLock { location: String, holder: String, waited: u64 },
    /// Another conductor holds the run now: this one must do nothing more.
    #[error("run {run_id} was taken over by {by}: this conductor stops without touching it")]
    LeaseTaken { run_id: String, by: String },
    /// An event this conductor did not write holds the next sequence number.
    #[error("someone else wrote event {seq} of run {run_id}{}: the run stops; `tminus verify {run_id}` checks its journal", by.as_deref().map(|b| format!(" (by {b})")).unwrap_or_default())]
    Forged { run_id: String, seq: i64, by: Option<String> },
}

/// A row of `tminus runs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub runbook: String,
    pub path: String,
    pub operator: String,
    pub host: String,
    pub mode: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

/// The run whose id is `id`, or the one run whose id begins with it.
pub fn find_run(mut runs: Vec<RunRecord>, id: &str, location: String) -> Result<RunRecord, StoreError> {
    let no_such = |location| StoreError::NoSuchRun { location, run_id: id.to_string() };
    if id.is_empty() {
        return Err(no_such(location));
    }
    if let Some(exact) = runs.iter().position(|r| r.id == id) {
        return Ok(runs.swap_remove(exact));
    }
    let mut matching: Vec<RunRecord> = runs.into_iter().filter(|r| r.id.starts_with(id)).collect();
    match matching.len() {
        0 => Err(no_such(location)),
        1 => Ok(matching.remove(0)),
        _ => Err(StoreError::AmbiguousRun {
            prefix: id.to_string(),
            candidates: matching.into_iter().map(|r| r.id).collect(),
        }),
    }
}

/// Run ids for a one-line message: the first few, then how many more.
fn list_runs(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text =
        format!("{} runs: {}", ids.len(), ids.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", "));
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

/// Who drives a run: the lead's lease on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub run_id: String,
    /// The operator, as recorded on decisions.
    pub holder: String,
    pub host: String,
    pub pid: i64,
    pub since: DateTime<Utc>,
    pub heartbeat: DateTime<Utc>,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Where the journal is, for messages (never with a password).
    fn location(&self) -> &str;

    /// Appends events, linked into the run's hash chain, in one transaction: all of them are
    /// journaled, or none. With `holder`, only while that lease is still the run's.
    /// A `RunStarted` event opens the run's row; a `RunFinished` closes it.
    async fn append(&self, events: &[super::chain::Linked], holder: Option<&Lease>)
    -> Result<(), StoreError>;

    /// The hash of a run's event `seq`, the link for the event after it (none if it has none).
    async fn hash(&self, run_id: &str, seq: i64) -> Result<Option<String>, StoreError>;

    /// Up to `limit` events of a run with `seq > after`, as stored, for checking the chain.
    async fn rows(&self, run_id: &str, after: i64, limit: u32) -> Result<Vec<super::chain::Row>, StoreError>;

    /// Runs, newest first.
    async fn runs(&self) -> Result<Vec<RunRecord>, StoreError>;

    /// Up to `limit` events of a run with `seq > after`, in order.
    async fn events(&self, run_id: &str, after: i64, limit: u32) -> Result<Vec<Event>, StoreError>;

    /// Up to `limit` events of one step of a run with `seq > after`, in order, without their
    /// bytes (`data` left empty): where a step's output lies, for the price of its events'
    /// heads however much it printed.
    async fn step_events(
        &self,
        run_id: &str,
        step: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError>;

    /// Takes the run's lease for `lease.holder`, unless another holder's is still alive:
    /// then that lease comes back as the error. A lease is dead when its heartbeat is older
    /// than `stale`, or when its process on this very host is gone.
    async fn acquire(&self, lease: &Lease, stale: chrono::TimeDelta)
    -> Result<Result<(), Lease>, StoreError>;

    /// The run's lease as it stands, if anyone holds one.
    async fn lease(&self, run_id: &str) -> Result<Option<Lease>, StoreError>;

    /// Renews the lease; `false` when it is no longer this process's.
    async fn heartbeat(&self, lease: &Lease) -> Result<bool, StoreError>;

    /// Gives the lease up at the end of the run.
    async fn release(&self, lease: &Lease) -> Result<(), StoreError>;

    /// Returns once events of `run_id` after `after` may have been appended: on a notification
    /// where the database sends them, else after a short poll interval.
    async fn wait(&self, run_id: &str, after: i64);

    /// A run by id, or by any prefix of its id that no other run's id begins with; the newest
    /// run when `id` is `None`.
    async fn run(&self, id: Option<&str>) -> Result<RunRecord, StoreError> {
        let runs = self.runs().await?;
        let location = self.location().to_string();
        match id {
            Some(id) => find_run(runs, id, location),
            None => runs.into_iter().next().ok_or(StoreError::NoRuns { location }),
        }
    }

    /// A run by id, or the newest run still going (the newest of all when none is).
    async fn live_run(&self, id: Option<&str>) -> Result<RunRecord, StoreError> {
        if id.is_some() {
            return self.run(id).await;
        }
        let runs = self.runs().await?;
        match runs.iter().position(|r| r.outcome.is_none()) {
            Some(i) => Ok(runs[i].clone()),
            None => self.run(None).await,
        }
    }
}
