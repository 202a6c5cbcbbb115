//! The memory: events, where they are stored, and the fold that turns them into what anyone sees.

mod address;
pub mod answers;
pub mod chain;
mod describe;
pub mod event;
pub mod evidence;
pub mod grants;
pub mod inbox;
pub mod lease;
pub mod log;
mod migrate;
pub mod scrollback;
pub mod seal;
mod sql_store;
pub mod state;
mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;

pub use address::{Address, AddressError, mask_password, password_redactor, reason};
pub use answers::{Answer, Needs, Right, Typed, also_signed};
pub use describe::describe;
pub use event::*;
pub use sql_store::SqlStore;
pub use state::RunState;
pub use store::{Lease, RunRecord, Store, StoreError};

use crate::runbook::Redactor;

/// Where the journal is when nothing says otherwise.
pub const DEFAULT_LOCATION: &str = ".tminus/journal.db";

/// Opens the journal named by `--journal` / `TMINUS_JOURNAL`: a `postgres://` URL means
/// PostgreSQL, a path a SQLite file.
pub async fn open(location: &str) -> Result<Arc<dyn Store>, StoreError> {
    match Address::parse(location)? {
        Address::Postgres(pg) => {
            Ok(Arc::new(SqlStore::open_postgres(pg.connect_options().await?, pg.shown).await?))
        }
        Address::File(path) => Ok(Arc::new(SqlStore::open_sqlite(&path).await?)),
    }
}

/// Opens a journal to watch: read-only all the way down to the database connection.
pub async fn open_read_only(location: &str) -> Result<Arc<dyn Store>, StoreError> {
    match Address::parse(location)? {
        Address::Postgres(pg) => {
            Ok(Arc::new(SqlStore::open_postgres_read_only(pg.connect_options().await?, pg.shown).await?))
        }
        Address::File(path) if !path.exists() => {
            Err(StoreError::NoJournal { location: path.display().to_string() })
        }
        Address::File(path) => Ok(Arc::new(SqlStore::open_sqlite_read_only(&path).await?)),
    }
}

/// Events read at a time wherever output may be among them: with output batches of up to half
/// a megabyte, a page stays a few MB however long the run and however far behind its reader.
pub const PAGE: u32 = 8;

/// Sends a run's events, from `after` on, as they are journaled, until the run has finished
/// and every event is sent, or nobody listens any more.
pub async fn follow(
    store: Arc<dyn Store>,
    run_id: String,
    after: i64,
    to: tokio::sync::mpsc::Sender<Event>,
) -> Result<(), StoreError> {
    let mut last = after;
    let mut wait = std::time::Duration::from_millis(250);
    loop {
        let page = match store.events(&run_id, last, PAGE).await {
            Ok(page) => page,
            // An outage is waited out: the reader picks up where it was once the journal is back.
            Err(e @ StoreError::Database { .. }) => {
                tracing::warn!("reading run {run_id}: {e}; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(5));
                continue;
            }
            Err(e) => return Err(e),
        };
        wait = std::time::Duration::from_millis(250);
        if page.is_empty() {
            store.wait(&run_id, last).await;
            continue;
        }
        for event in page {
            last = event.seq;
            let finished = matches!(event.kind, EventKind::RunFinished { .. });
            if to.send(event).await.is_err() || finished {
                return Ok(());
            }
        }
    }
}

/// Sends a finished run's events again with the pauses they had, `speed` times faster; no
/// pause is longer than five seconds, so a long wait at a gate does not stall the replay.
pub async fn replay(
    store: Arc<dyn Store>,
    run_id: String,
    speed: f64,
    to: tokio::sync::mpsc::Sender<Event>,
) -> Result<(), StoreError> {
    let mut after = 0;
    let mut previous: Option<chrono::DateTime<Utc>> = None;
    loop {
        let page = store.events(&run_id, after, 64).await?;
        if page.is_empty() {
            return Ok(());
        }
        for event in page {
            if let Some(before) = previous {
                let gap = (event.at - before).to_std().unwrap_or_default().div_f64(speed.max(0.001));
                tokio::time::sleep(gap.min(std::time::Duration::from_secs(5))).await;
            }
            previous = Some(event.at);
            after = event.seq;
            if to.send(event).await.is_err() {
                return Ok(());
            }
        }
    }
}

/// The folder reports are written to: `reports/` beside a file journal.
pub fn reports_dir(location: &str) -> PathBuf {
    beside(location).join("reports")
}

/// The folder of the rolling log: `logs/` beside a file journal.
pub fn logs_dir(location: &str) -> PathBuf {
    beside(location).join("logs")
}

/// The folder of the conductors' sockets: `conductors/` beside a file journal.
pub fn conductors_dir(location: &str) -> PathBuf {
    beside(location).join("conductors")
}

/// Beside a file journal; for a PostgreSQL journal (or an address no journal can have, which
/// is refused before anything is written), `.tminus/` here.
fn beside(location: &str) -> PathBuf {
    match Address::parse(location) {
        Ok(Address::File(path)) => {
            path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
        }
        _ => PathBuf::from(".tminus"),
    }
}

/// A sortable, readable run id: start time plus a few random hex digits.
pub fn new_run_id() -> String {
    let now = Utc::now();
    let noise = (now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{}-{noise:04x}", now.format("%Y%m%d-%H%M%S"))
}

/// The writing end of one run's journal. Every event passes through here: it is masked,
/// numbered, linked into the run's hash chain and stored before anyone acts on it.
pub struct Journal {
    store: Arc<dyn Store>,
    run_id: String,
    /// The number of the next event staged.
    next_seq: i64,
    /// The hash of the last event staged: the next one is linked after it.
    tip: String,
    redactor: Redactor,
    /// The conductor's lease: nothing is appended once it is no longer the run's.
    lease: Option<Lease>,
    /// The conductor's key: the heads it asks to have signed are signed with it.
    seal: Option<Arc<seal::Seal>>,
}

impl Journal {
    /// The journal of a run whose last event so far is `last_seq` (0 for a new run).
    pub async fn continuing(
        store: Arc<dyn Store>,
        run_id: String,
        last_seq: i64,
        redactor: Redactor,
    ) -> Result<Self, StoreError> {
        let tip = match last_seq {
            0 => String::new(),
            _ => store.hash(&run_id, last_seq).await?.unwrap_or_default(),
        };
        Ok(Journal { store, run_id, next_seq: last_seq + 1, tip, redactor, lease: None, seal: None })
    }

    /// Appends only while `lease` is the run's.
    pub fn held_by(mut self, lease: Lease) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Signs the chain's heads with `seal`, and journals its public half as the run starts.
    pub fn sealed_by(mut self, seal: Option<Arc<seal::Seal>>) -> Self {
        self.seal = seal;
        self
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// What only the writer can know: the key, and the head it signs (the event before this
    /// one, which is the chain's tip). Done after masking, so no secret can touch a signature.
    fn sealed(&self, kind: EventKind) -> EventKind {
        let Some(seal) = &self.seal else { return kind };
        match kind {
            EventKind::RunStarted(mut info) => {
                info.key = Some(seal.public());
                EventKind::RunStarted(info)
            }
            EventKind::RunResumed { who, login, host, .. } => {
                EventKind::RunResumed { who, login, host, key: Some(seal.public()) }
            }
            EventKind::HeadSigned { .. } => {
                let head = self.next_seq - 1;
                let signature = seal.sign(&self.run_id, head, &self.tip);
                EventKind::HeadSigned { head, hash: self.tip.clone(), key: seal.public(), signature }
            }
            other => other,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

/// The event with every secret masked in its text. Only string values change, so the event
/// keeps its shape whatever the secrets are.
fn mask(redactor: &Redactor, kind: EventKind) -> EventKind {
    const TAGS: &[&str] = &["kind", "role", "stream", "outcome", "decision", "prompt", "mode"];
    if redactor.is_empty() {
        return kind;
    }
    fn walk(value: &mut serde_json::Value, redactor: &Redactor) {
        match value {
            serde_json::Value::String(text) => {
                if let std::borrow::Cow::Owned(masked) = redactor.text(text) {
                    *text = masked;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, redactor)),
            // Enum tags name kinds of things, never carry text: masking one would unmake it.
            serde_json::Value::Object(fields) => fields
                .iter_mut()
                .filter(|(key, _)| !TAGS.contains(&key.as_str()))
                .for_each(|(_, v)| walk(v, redactor)),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(&kind).expect("events serialize");
    walk(&mut value, redactor);
    serde_json::from_value(value).expect("masking strings keeps an event's shape")
}

impl Journal {
    /// Numbers, masks and stores one event.
    pub async fn append(&mut self, step: Option<&str>, kind: EventKind) -> Result<Event, StoreError> {
        let linked = self.stage(step, kind, Vec::new());
        self.commit(std::slice::from_ref(&linked)).await?;
        Ok(linked.event)
    }

    /// The next event, masked, numbered and linked after those staged before it, not yet
    /// stored: `commit` stores them, and may be tried again with the very same events after a
    /// failure. Linking here, not in the store, lets a flood's next batch be hashed while the
    /// one before it is being written.
    pub fn stage(&mut self, step: Option<&str>, kind: EventKind, data: Vec<u8>) -> chain::Linked {
        let masked = match self.redactor.bytes(&data) {
            std::borrow::Cow::Owned(masked) => Some(masked),
            std::borrow::Cow::Borrowed(_) => None,
        };
        let event = Event {
            run_id: self.run_id.clone(),
            seq: self.next_seq,
            at: Utc::now(),
            step: step.map(str::to_string),
            kind: self.sealed(mask(&self.redactor, kind)),
            data: masked.unwrap_or(data),
        };
        self.next_seq += 1;
        let linked = chain::Linked::after(&self.tip, event);
        self.tip.clone_from(&linked.hash);
        linked
    }

    /// Stores events staged, in order, in one transaction. Events already stored by an
    /// earlier try that seemed to fail (its answer lost with the connection) count as stored.
    pub async fn commit(&self, events: &[chain::Linked]) -> Result<(), StoreError> {
        self.store.append(events, self.lease.as_ref()).await
    }

    /// `commit`, owning what it needs, giving the events back with how it went: the caller goes
    /// on staging while it is under way, and awaits it before committing anything else.
    pub fn commit_in_background(
        &self,
        events: Vec<chain::Linked>,
    ) -> impl std::future::Future<Output = (Vec<chain::Linked>, Result<(), StoreError>)> + Send + 'static
    {
        let (store, lease) = (self.store.clone(), self.lease.clone());
        async move {
            let done = store.append(&events, lease.as_ref()).await;
            (events, done)
        }
    }

    /// An output batch as an event, for `stage`.
    pub fn output_kind(stream: Stream, data: &[u8]) -> EventKind {
        let lines = memchr::memchr_iter(b'\n', data).count() as u32;
        EventKind::Output { stream, lines }
    }
}

/// Reads a run's events in pages and folds them, so output of any size fits in bounded memory.
pub async fn fold_run(
    store: &dyn Store,
    run_id: &str,
    each: impl FnMut(&Event, &RunState),
) -> Result<RunState, StoreError> {
    fold(store, run_id, each, None).await
}

/// As `fold_run`, and checks the run's hash chain from the very same reads.
pub async fn fold_verified(
    store: &dyn Store,
    run_id: &str,
    each: impl FnMut(&Event, &RunState),
) -> Result<(RunState, chain::Verdict), StoreError> {
    let mut verifier = chain::Verifier::new(run_id);
    let state = fold(store, run_id, each, Some(&mut verifier)).await?;
    Ok((state, verifier.verdict()))
}

async fn fold(
    store: &dyn Store,
    run_id: &str,
    mut each: impl FnMut(&Event, &RunState),
    mut verifier: Option<&mut chain::Verifier>,
) -> Result<RunState, StoreError> {
    let mut state = RunState::default();
    let mut after = 0;
    loop {
        let page = store.rows(run_id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in page {
            if let Some(verifier) = verifier.as_deref_mut() {
                verifier.feed(&row);
            }
            let event = row.into_event(run_id, store.location())?;
            state.apply(&event);
            each(&event, &state);
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_every_event_whole_whatever_the_secret() {
        // Secrets that are also numbers or the names of kinds must not break an event.
        let redactor = Redactor::new(["900".to_string(), "passed".to_string(), "s3cret".to_string()]);
        let kind = EventKind::StepFinished {
            attempt: 1,
            role: Role::Main,
            outcome: Outcome::Passed,
            exit_code: Some(0),
            duration_ms: 900,
            message: Some("token s3cret passed, 900 rows".into()),
            metrics: Vec::new(),
        };
        let EventKind::StepFinished { outcome, duration_ms, message, .. } = mask(&redactor, kind) else {
            panic!()
        };
        assert_eq!((outcome, duration_ms), (Outcome::Passed, 900));
        assert_eq!(message.as_deref(), Some("token **** ****, **** rows"));
    }
}
