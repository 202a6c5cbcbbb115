//! The embedded journal: one SQLite file in WAL mode, shared by the lead and local readers.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::event::{Event, EventKind};
use super::store::{RunRecord, Store, StoreError};

pub struct SqliteStore {
    pool: SqlitePool,
    location: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the journal at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let location = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                location: location.clone(),
                dir: dir.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: a committed event survives a crash of the process; only a power cut
            // can take the last transactions, and never corrupts the file.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Database {
                location: location.clone(),
                source,
            })?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                location: location.clone(),
                source,
            })?;
        Ok(SqliteStore { pool, location })
    }

    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.location)
    }

    fn db(&self) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
        |source| StoreError::Database {
            location: self.location.clone(),
            source,
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn location(&self) -> &str {
        &self.location
    }

    async fn append(&self, events: &[Event]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        for event in events {
            if let EventKind::RunStarted(info) = &event.kind {
                sqlx::query(
                    "INSERT INTO runs (id, runbook, path, hash, operator, host, mode, started_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
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
            let payload = serde_json::to_string(&event.kind).expect("events serialize");
            sqlx::query("INSERT INTO events (run_id, seq, at, kind, step, payload, data) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(&event.run_id)
                .bind(event.seq)
                .bind(event.at.to_rfc3339())
                .bind(event.kind.name())
                .bind(&event.step)
                .bind(payload)
                .bind((!event.data.is_empty()).then_some(event.data.as_slice()))
                .execute(&mut *tx)
                .await
                .map_err(self.db())?;
            if let EventKind::RunFinished { outcome } = &event.kind {
                sqlx::query("UPDATE runs SET ended_at = ?, outcome = ? WHERE id = ?")
                    .bind(event.at.to_rfc3339())
                    .bind(outcome.as_str())
                    .bind(&event.run_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db())?;
            }
        }
        tx.commit().await.map_err(self.db())
    }

    async fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, runbook, path, operator, host, mode, started_at, ended_at, outcome \
             FROM runs ORDER BY started_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
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
    }

    async fn events(&self, run_id: &str, after: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, step, payload, data FROM events \
             WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(run_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.get("seq");
                let kind =
                    serde_json::from_str(row.get("payload")).map_err(|source| StoreError::Corrupt {
                        location: self.location.clone(),
                        run_id: run_id.to_string(),
                        seq,
                        source,
                    })?;
                Ok(Event {
                    run_id: run_id.to_string(),
                    seq,
                    at: parse_time(row.get("at")),
                    step: row.get("step"),
                    kind,
                    data: row.get::<Option<Vec<u8>>, _>("data").unwrap_or_default(),
                })
            })
            .collect()
    }
}

fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::<Utc>::from_str(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)))
        .unwrap_or_default()
}
