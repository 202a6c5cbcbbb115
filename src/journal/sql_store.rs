//! The journal in SQL: one implementation over SQLite (an embedded file in WAL mode, shared by
//! the lead and local readers) and PostgreSQL (for a team that watches from other machines).
//! Both run the same statements; only connecting and migrations differ.

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Postgres, Row, Sqlite};

use super::chain;
use super::event::{Event, EventKind};
use super::store::{Lease, RunRecord, Store, StoreError};

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The same code for either pool: each arm is compiled for its own database.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// The connection appends go through, kept from one to the next: its cache stays warm and no
/// append waits on the pool. It is let go after an error, so the next append starts afresh.
#[derive(Default)]
struct Writer {
    sqlite: Option<PoolConnection<Sqlite>>,
    postgres: Option<PoolConnection<Postgres>>,
}

impl Writer {
    fn let_go(&mut self) {
        *self = Writer::default();
    }
}

/// A listener for the notifications of appends, on a connection of `pool`.
async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen("tminus_events").await?;
    Ok(listener)
}

/// The connection kept in `slot`, taken from `pool` when there is none.
async fn held<'a, DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    slot: &'a mut Option<PoolConnection<DB>>,
) -> Result<&'a mut PoolConnection<DB>, sqlx::Error> {
    let conn = match slot.take() {
        Some(conn) => conn,
        None => pool.acquire().await?,
    };
    Ok(slot.insert(conn))
}

/// Runs `$body` with `$conn`, the store's writing connection, on either database.
macro_rules! with_writer {
    ($store:expr, $conn:ident => $body:expr) => {{
        let mut writer = $store.writer.lock().await;
        let done = async {
            match &$store.pool {
                Pool::Sqlite(pool) => {
                    let $conn = held(pool, &mut writer.sqlite).await.map_err($store.db())?;
                    $body
                }
                Pool::Postgres(pool) => {
                    let $conn = held(pool, &mut writer.postgres).await.map_err($store.db())?;
                    $body
                }
            }
        }
        .await;
        if matches!(done, Err(StoreError::Database { .. })) {
            writer.let_go();
        }
        done
    }};
}

/// Reads go through the pool, or, for a watching PostgreSQL session, through the one
/// connection it also listens on: an observer costs the server a single connection.
macro_rules! with_reader {
    ($store:expr, $exec:ident => $body:expr) => {{
        let mut listening = $store.listener.lock().await;
        match (listening.as_mut(), &$store.pool) {
            (Some(listener), _) => {
                let $exec = &mut *listener;
                let done = async { $body }.await;
                // A listener can keep a connection the server dropped, and fail on it for good:
                // the next wait makes a new one.
                if matches!(done, Err(StoreError::Database { .. })) {
                    *listening = None;
                }
                done
            }
            (None, Pool::Sqlite(pool)) => {
                let $exec = pool;
                $body
            }
            (None, Pool::Postgres(pool)) => {
                let $exec = pool;
                $body
            }
        }
    }};
}

/// A lease read back from its row, on either database.
macro_rules! lease_row {
    ($run_id:expr, $row:expr) => {
        Lease {
            run_id: $run_id.to_string(),
            holder: $row.get("holder"),
            host: $row.get("host"),
            pid: $row.get("pid"),
            since: parse_time($row.get("since")),
            heartbeat: parse_time($row.get("heartbeat")),
        }
    };
}

const INSERT_RUN: &str = "INSERT INTO runs (id, runbook, path, hash, operator, host, mode, started_at) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const SELECT_HASH: &str = "SELECT hash FROM events WHERE run_id = $1 AND seq = $2";
const SELECT_WRITTEN: &str = "SELECT hash, writer FROM events WHERE run_id = $1 AND seq = $2";
const SELECT_ROWS: &str = "SELECT seq, at, kind, step, payload, data, hash, writer FROM events \
                           WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
/// Everything but `data`: the bytes stay unread (out of line in both databases).
const SELECT_STEP_HEADS: &str = "SELECT seq, at, kind, step, payload FROM events \
                                 WHERE run_id = $1 AND seq > $2 AND step = $3 ORDER BY seq LIMIT $4";
const FINISH_RUN: &str = "UPDATE runs SET ended_at = $1, outcome = $2 WHERE id = $3";
const SELECT_RUNS: &str = "SELECT id, runbook, path, operator, host, mode, started_at, ended_at, outcome \
                           FROM runs ORDER BY started_at DESC, id DESC";
const SELECT_LEASE: &str = "SELECT holder, host, pid, since, heartbeat FROM leases WHERE run_id = $1";
const TAKE_LEASE: &str = "INSERT INTO leases (run_id, holder, host, pid, since, heartbeat) VALUES ($1, $2, $3, $4, $5, $6) \
                          ON CONFLICT (run_id) DO UPDATE SET holder = $2, host = $3, pid = $4, since = $5, heartbeat = $6";
const RENEW_LEASE: &str = "UPDATE leases SET heartbeat = $1 WHERE run_id = $2 AND host = $3 AND pid = $4";
/// Changes nothing; as the first statement of a transaction it takes the write lock.
const TOUCH_LEASE: &str = "UPDATE leases SET pid = pid WHERE run_id = $1";
const DROP_LEASE: &str = "DELETE FROM leases WHERE run_id = $1 AND host = $2 AND pid = $3";

/// Inserts `n` events, bound 8 values each in the order of the columns; with `guard` (a
/// locking clause, or none), only while the lease bound after them (run, host, pid) is the run's.
fn insert_events(n: usize, guard: Option<&str>) -> String {
    const COLUMNS: usize = 8;
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let values: Vec<String> = (1..=COLUMNS).map(|c| format!("${}", i * COLUMNS + c)).collect();
            format!("({})", values.join(", "))
        })
        .collect();
    let mut sql = format!(
        "INSERT INTO events (run_id, seq, at, kind, step, payload, data, hash) SELECT * FROM (VALUES {}) AS v",
        rows.join(", ")
    );
    if let Some(lock) = guard {
        let k = n * COLUMNS;
        sql.push_str(&format!(
            " WHERE EXISTS (SELECT 1 FROM leases WHERE run_id = ${} AND host = ${} AND pid = ${}{lock})",
            k + 1,
            k + 2,
            k + 3
        ));
    }
    sql
}

pub struct SqlStore {
    pool: Pool,
    location: String,
    /// PostgreSQL notifications of appends, for readers that follow a run.
    listener: tokio::sync::Mutex<Option<PgListener>>,
    /// A watching PostgreSQL session: it listens, and makes a new listener when one fails.
    listens: bool,
    writer: tokio::sync::Mutex<Writer>,
    /// For a SQLite journal this process writes.
    checkpoints: Option<Checkpoints>,
}

/// How often the SQLite log is copied into the database file, when anything was appended.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Copies the SQLite log into the database file now and then, on a connection of its own, so a
/// flood's appends never wait for the copy: with the copy in the append that crossed a mark,
/// every append stood still while 64 MB went into the file.
struct Checkpoints {
    appended: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Checkpoints {
    fn start(pool: SqlitePool) -> Self {
        let appended = Arc::new(AtomicBool::new(false));
        let seen = appended.clone();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            loop {
                every.tick().await;
                if seen.swap(false, Ordering::Relaxed) {
                    // PASSIVE: copies what no reader still needs, and never blocks an append.
                    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                        tracing::warn!("copying the journal's log into its file: {e}");
                    }
                }
            }
        });
        Checkpoints { appended, task }
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How often a SQLite reader looks for new events: the file has no notifications.
const POLL: Duration = Duration::from_millis(15);

impl SqlStore {
    /// Opens (creating if needed) the SQLite journal at `path` and brings its schema up to date.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        let location = path.display().to_string();
        let folder = |source| StoreError::Folder { location: location.clone(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::folders::make_journal_folder(dir).map_err(folder)?;
        }
        // Made owner-only before SQLite opens it: SQLite gives its -wal and -shm files the
        // database file's own permissions. Closed at once: closing a descriptor of the file
        // while SQLite holds it would drop SQLite's locks on it (they are the process's).
        let made = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map(drop);
        match made {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(folder(crate::folders::FolderError::Io { path: path.to_path_buf(), source }));
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // Larger pages for a new journal: a flood's half-megabyte batch is a chain of 32
            // pages rather than 128, written and checkpointed in fewer calls. Not larger still:
            // every commit writes whole pages, and a quiet step's few small events would pay.
            .page_size(16384)
            // The log is copied into the file by a task of the store's own (`checkpoints`), on
            // another connection, while appends go on: never by the append that crosses a mark.
            .pragma("wal_autocheckpoint", "0")
            // A log that grew in a flood is cut back once it starts over.
            .pragma("journal_size_limit", "67108864")
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: a committed event survives a crash of the process; only a power cut
            // can take the last transactions, and never corrupts the file.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .disable_statement_logging();
        let db = |source| StoreError::Database { location: location.clone(), source };
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(db)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { location: location.clone(), source })?;
        let mut store = SqlStore::new(Pool::Sqlite(pool.clone()), location);
        store.checkpoints = Some(Checkpoints::start(pool));
        Ok(store)
    }

    /// Opens a SQLite journal for reading only: nothing through it can write the file.
    pub async fn open_sqlite_read_only(path: &Path) -> Result<Self, StoreError> {
        let location = path.display().to_string();
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .disable_statement_logging();
        let db = |source| StoreError::Database { location: location.clone(), source };
        let pool = SqlitePoolOptions::new().max_connections(2).connect_with(options).await.map_err(db)?;
        Ok(SqlStore::new(Pool::Sqlite(pool), location))
    }

    /// Connects to a PostgreSQL journal for reading only: every transaction of the session is
    /// read-only, so the server refuses any write.
    pub async fn open_postgres_read_only(
        options: PgConnectOptions,
        location: String,
    ) -> Result<Self, StoreError> {
        let db = |source| StoreError::Database { location: location.clone(), source };
        let options = options.options([("default_transaction_read_only", "on")]);
        // One connection in use: the listener takes it, and every read goes through it too.
        // Room for a second: a connection the server dropped is closed in the background, and
        // until that is done its slot must not keep the reconnecting listener out.
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(options)
            .await
            .map_err(db)?;
        // A database no conductor has written to has no journal in it yet: say so, as for a
        // file that does not exist, rather than fail on a missing table.
        let (journaled,): (bool,) =
            sqlx::query_as("SELECT to_regclass('runs') IS NOT NULL").fetch_one(&pool).await.map_err(db)?;
        if !journaled {
            return Err(StoreError::NoJournal { location });
        }
        let listener = listen(&pool).await.map_err(db)?;
        let mut store = SqlStore::new(Pool::Postgres(pool), location);
        store.listens = true;
        *store.listener.lock().await = Some(listener);
        Ok(store)
    }

    fn new(pool: Pool, location: String) -> Self {
        SqlStore {
            pool,
            location,
            listener: tokio::sync::Mutex::new(None),
            listens: false,
            writer: tokio::sync::Mutex::default(),
            checkpoints: None,
        }
    }

    /// Connects to a PostgreSQL journal, shown as `location`, and brings its schema up to date
    /// (or finds it so).
    pub async fn open_postgres(options: PgConnectOptions, location: String) -> Result<Self, StoreError> {
        let db = |source| StoreError::Database { location: location.clone(), source };
        let pool = PgPoolOptions::new()
            .max_connections(4)
            // Short: an outage is told to the run (which holds and retries) rather than waited out here.
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(options)
            .await
            .map_err(db)?;
        super::migrate::postgres(&pool, sqlx::migrate!("./migrations/postgres"), &location).await?;
        Ok(SqlStore::new(Pool::Postgres(pool), location))
    }

    fn db(&self) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
        |source| StoreError::Database { location: self.location.clone(), source }
    }

    /// Says who holds the run, once an append found that its lease is no longer the appender's.
    async fn lease_taken(&self, run_id: &str) -> StoreError {
        let by = match self.lease(run_id).await {
            Ok(Some(h)) => format!("{} on {} (pid {})", h.holder, h.host, h.pid),
            Ok(None) => "nobody (its lease was removed)".into(),
            Err(e) => format!("someone (the lease cannot be read: {e})"),
        };
        StoreError::LeaseTaken { run_id: run_id.to_string(), by }
    }

    /// After an append refused because events with these numbers are there already. The first
    /// of them there decides: as written, it was stored with the rest by an earlier try whose
    /// answer was lost; otherwise it is someone else's.
    async fn already_there(&self, events: &[chain::Linked]) -> Result<(), StoreError> {
        for linked in events {
            let (run_id, seq) = (linked.event.run_id.as_str(), linked.event.seq);
            let written = with_pool!(self, pool => {
                sqlx::query(SELECT_WRITTEN).bind(run_id).bind(seq).fetch_optional(pool).await.map_err(self.db())?
                    .map(|row| (row.get::<Option<String>, _>("hash"), row.get::<Option<String>, _>("writer")))
            });
            match written {
                None => continue,
                Some((Some(stored), _)) if stored == linked.hash => return Ok(()),
                Some((_, by)) => return Err(StoreError::Forged { run_id: run_id.to_string(), seq, by }),
            }
        }
        // The journal is append-only: a number that refused the insert cannot have gone since,
        // unless someone removed it behind tminus's back.
        let first = &events[0].event;
        Err(StoreError::Forged { run_id: first.run_id.clone(), seq: first.seq, by: None })
    }
}

#[async_trait]
impl Store for SqlStore {
    fn location(&self) -> &str {
        &self.location
    }

    async fn append(&self, events: &[chain::Linked], holder: Option<&Lease>) -> Result<(), StoreError> {
        let Some(first) = events.first() else { return Ok(()) };
        let run_id = first.event.run_id.as_str();
        // PostgreSQL also locks the lease's row until the commit, so nobody takes the run
        // meanwhile; SQLite has only one writer at a time anyway.
        let lock = if matches!(self.pool, Pool::Postgres(_)) { " FOR UPDATE" } else { "" };
        let insert = insert_events(events.len(), holder.map(|_| lock));
        let run_row = events.iter().find_map(|l| match &l.event.kind {
            EventKind::RunStarted(info) => Some((info, &l.event)),
            _ => None,
        });
        let finished = events.iter().find_map(|l| match &l.event.kind {
            EventKind::RunFinished { outcome } => Some((outcome, &l.event)),
            _ => None,
        });
        let inserted: Result<u64, StoreError> = with_writer!(self, conn => {
            // Every event in one statement, a single round trip to the database; a transaction
            // only where the run's own row changes with them.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(insert));
            for chain::Linked { event, row, hash } in events {
                query = query
                    .bind(&event.run_id)
                    .bind(row.seq)
                    .bind(&row.at)
                    .bind(&row.kind)
                    .bind(&row.step)
                    .bind(&row.payload)
                    .bind((!event.data.is_empty()).then_some(event.data.as_slice()))
                    .bind(hash);
            }
            if let Some(mine) = holder {
                query = query.bind(run_id).bind(&mine.host).bind(mine.pid);
            }
            if run_row.is_none() && finished.is_none() {
                return query.execute(&mut **conn).await.map(|done| done.rows_affected()).map_err(self.db());
            }
            let mut tx = Connection::begin(&mut **conn).await.map_err(self.db())?;
            if let Some((info, event)) = run_row {
                sqlx::query(INSERT_RUN)
                    .bind(&event.run_id)
                    .bind(&info.runbook)
                    .bind(&info.path)
                    .bind(&info.hash)
                    .bind(&info.operator)
                    .bind(&info.host)
                    .bind(info.mode.label())
                    .bind(event.at.to_rfc3339())
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db())?;
            }
            let inserted = query.execute(&mut *tx).await.map_err(self.db())?.rows_affected();
            if inserted != events.len() as u64 {
                return Ok(inserted);
            }
            if let Some((outcome, event)) = finished {
                sqlx::query(FINISH_RUN)
                    .bind(event.at.to_rfc3339())
                    .bind(outcome.as_str())
                    .bind(&event.run_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db())?;
            }
            tx.commit().await.map_err(self.db())?;
            Ok(inserted)
        });
        match inserted {
            Ok(n) if n == events.len() as u64 => {
                if let Some(checkpoints) = &self.checkpoints {
                    checkpoints.appended.store(true, Ordering::Relaxed);
                }
                Ok(())
            }
            // Nothing went in: the lease is no longer this holder's.
            Ok(_) => Err(self.lease_taken(run_id).await),
            Err(StoreError::Database { source, .. })
                if source.as_database_error().is_some_and(|d| d.is_unique_violation()) =>
            {
                self.already_there(events).await
            }
            Err(e) => Err(e),
        }
    }

    async fn hash(&self, run_id: &str, seq: i64) -> Result<Option<String>, StoreError> {
        with_reader!(self, exec => {
            let hash = sqlx::query_scalar::<_, Option<String>>(SELECT_HASH)
                .bind(run_id)
                .bind(seq)
                .fetch_optional(exec)
                .await
                .map_err(self.db())?;
            Ok(hash.flatten())
        })
    }

    async fn rows(&self, run_id: &str, after: i64, limit: u32) -> Result<Vec<chain::Row>, StoreError> {
        with_reader!(self, reader => {
            let rows = sqlx::query(SELECT_ROWS)
                .bind(run_id)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(reader)
                .await
                .map_err(self.db())?;
            Ok(rows
                .iter()
                .map(|row| chain::Row {
                    seq: row.get("seq"),
                    at: row.get("at"),
                    kind: row.get("kind"),
                    step: row.get("step"),
                    payload: row.get("payload"),
                    data: row.get("data"),
                    hash: row.get("hash"),
                    writer: row.get("writer"),
                })
                .collect())
        })
    }

    async fn step_events(
        &self,
        run_id: &str,
        step: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        with_reader!(self, reader => {
            let rows = sqlx::query(SELECT_STEP_HEADS)
                .bind(run_id)
                .bind(after)
                .bind(step)
                .bind(i64::from(limit))
                .fetch_all(reader)
                .await
                .map_err(self.db())?;
            rows.iter()
                .map(|row| {
                    let head = chain::Row {
                        seq: row.get("seq"),
                        at: row.get("at"),
                        kind: row.get("kind"),
                        step: row.get("step"),
                        payload: row.get("payload"),
                        data: None,
                        hash: None,
                        writer: None,
                    };
                    head.into_event(run_id, &self.location)
                })
                .collect()
        })
    }

    async fn acquire(
        &self,
        lease: &Lease,
        stale: chrono::TimeDelta,
    ) -> Result<Result<(), Lease>, StoreError> {
        with_pool!(self, pool => {
            // Read and take in one transaction, so two would-be drivers cannot both win; a write
            // first, so SQLite holds the write lock before it reads.
            let mut tx = pool.begin().await.map_err(self.db())?;
            sqlx::query(TOUCH_LEASE).bind(&lease.run_id).execute(&mut *tx).await.map_err(self.db())?;
            if let Some(row) = sqlx::query(SELECT_LEASE).bind(&lease.run_id).fetch_optional(&mut *tx).await.map_err(self.db())? {
                let held = lease_row!(&lease.run_id, row);
                let mine = held.host == lease.host && held.pid == lease.pid;
                if !mine && held.is_alive(stale) {
                    return Ok(Err(held));
                }
            }
            sqlx::query(TAKE_LEASE)
                .bind(&lease.run_id)
                .bind(&lease.holder)
                .bind(&lease.host)
                .bind(lease.pid)
                .bind(stamp(lease.since))
                .bind(stamp(lease.heartbeat))
                .execute(&mut *tx)
                .await
                .map_err(self.db())?;
            tx.commit().await.map_err(self.db())?;
            Ok(Ok(()))
        })
    }

    async fn lease(&self, run_id: &str) -> Result<Option<Lease>, StoreError> {
        with_reader!(self, exec => {
            let row = sqlx::query(SELECT_LEASE).bind(run_id).fetch_optional(exec).await.map_err(self.db())?;
            Ok(row.map(|row| lease_row!(run_id, row)))
        })
    }

    async fn heartbeat(&self, lease: &Lease) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let done = sqlx::query(RENEW_LEASE)
                .bind(stamp(Utc::now()))
                .bind(&lease.run_id)
                .bind(&lease.host)
                .bind(lease.pid)
                .execute(pool)
                .await
                .map_err(self.db())?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(DROP_LEASE)
                .bind(&lease.run_id)
                .bind(&lease.host)
                .bind(lease.pid)
                .execute(pool)
                .await
                .map_err(self.db())?;
            Ok(())
        })
    }

    async fn wait(&self, run_id: &str, after: i64) {
        let mut listening = self.listener.lock().await;
        if let (None, true, Pool::Postgres(pool)) = (listening.as_ref(), self.listens, &self.pool) {
            match listen(pool).await {
                Ok(listener) => *listening = Some(listener),
                Err(e) => tracing::warn!("listening to {} again: {e}", self.location),
            }
        }
        let Some(listener) = listening.as_mut() else {
            tokio::time::sleep(POLL).await;
            return;
        };
        // A notification names the run and seq appended; a quiet second re-reads anyway, in case
        // a notification was missed while the connection was re-established.
        let quiet = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(quiet);
        let failed = loop {
            tokio::select! {
                note = listener.recv() => match note {
                    Ok(note) => {
                        let (run, seq) = note.payload().split_once(' ').unwrap_or_default();
                        if run == run_id && seq.parse::<i64>().is_ok_and(|s| s > after) {
                            break false;
                        }
                    }
                    Err(_) => break true,
                },
                _ = &mut quiet => break false,
            }
        };
        if failed {
            *listening = None;
        }
    }

    async fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        with_reader!(self, reader => {
            let rows = sqlx::query(SELECT_RUNS).fetch_all(reader).await.map_err(self.db())?;
            Ok(rows
                .iter()
                .map(|row| RunRecord {
                    id: row.get("id"),
                    runbook: row.get("runbook"),
                    path: row.get("path"),
                    operator: row.get("operator"),
                    host: row.get("host"),
                    mode: row.get("mode"),
                    started_at: parse_time(row.get("started_at")),
                    ended_at: row.get::<Option<String>, _>("ended_at").map(|t| parse_time(&t)),
                    outcome: row.get("outcome"),
                })
                .collect())
        })
    }

    async fn events(&self, run_id: &str, after: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let rows = self.rows(run_id, after, limit).await?;
        rows.into_iter().map(|row| row.into_event(run_id, &self.location)).collect()
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(super) fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::<Utc>::from_str(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)))
        .unwrap_or_default()
}
