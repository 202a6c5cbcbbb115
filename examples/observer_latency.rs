//! Time from a lead's append to an observer's folded state, with 1, 10 and 50 observers, on
//! SQLite (a file, polled) and on PostgreSQL (LISTEN/NOTIFY). Run by `bench/observer-latency.sh`.
//!
//! Each observer opens the journal read-only as `tminus watch` does, follows the run with
//! `journal::follow`, and folds every event into a `RunState`; its latency for an event is the
//! time from the moment the lead stamped it (just before writing it) to that fold.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tminus::journal::{self, EventKind, Journal, Mode, RunInfo, RunState};
use tminus::runbook::Redactor;
use tokio::sync::{Mutex, mpsc};

const EVENTS: usize = 100;
const EVERY: Duration = Duration::from_millis(20);

fn info() -> RunInfo {
    RunInfo {
        runbook: "latency".into(),
        path: "latency.toml".into(),
        hash: "0".into(),
        operator: "lead".into(),
        host: "bench".into(),
        key: None,
        mode: Mode::Live,
        start: None,
        owner: None,
        vars: Vec::new(),
        contacts: Vec::new(),
        roles: Default::default(),
        login: None,
        phases: Vec::new(),
        rollback: Vec::new(),
    }
}

/// Appends EVENTS notes while `observers` readers follow; returns every latency in ms.
async fn measure(location: &str, observers: usize) -> Vec<f64> {
    let store = journal::open(location).await.expect("journal opens");
    let run_id = journal::new_run_id();
    let mut lead =
        Journal::continuing(store, run_id.clone(), 0, Redactor::default()).await.expect("journal opens");
    lead.append(None, EventKind::RunStarted(Box::new(info()))).await.unwrap();

    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut followers = Vec::new();
    for _ in 0..observers {
        let reader = journal::open_read_only(location).await.expect("read-only journal opens");
        let (to, mut events) = mpsc::channel(256);
        let (run, latencies) = (run_id.clone(), latencies.clone());
        tokio::spawn(journal::follow(reader, run, 0, to));
        followers.push(tokio::spawn(async move {
            let mut state = RunState::default();
            while let Some(event) = events.recv().await {
                state.apply(&event);
                if matches!(event.kind, EventKind::Note { .. }) {
                    let ms = (Utc::now() - event.at).num_microseconds().unwrap_or(0) as f64 / 1000.0;
                    latencies.lock().await.push(ms);
                }
                if matches!(event.kind, EventKind::RunFinished { .. }) {
                    return;
                }
            }
        }));
    }
    // Let every observer catch up with the start before timing begins.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..EVENTS {
        lead.append(None, EventKind::Note { who: "lead".into(), login: None, text: format!("event {i}") })
            .await
            .unwrap();
        tokio::time::sleep(EVERY).await;
    }
    let outcome = tminus::journal::RunOutcome::Succeeded;
    lead.append(None, EventKind::RunFinished { outcome }).await.unwrap();
    for follower in followers {
        let _ = tokio::time::timeout(Duration::from_secs(30), follower).await;
    }
    let mut all = latencies.lock().await.clone();
    all.sort_by(f64::total_cmp);
    all
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn postgres_schema(base: &str, name: &str) -> String {
    use sqlx::{Connection, Executor};
    let schema = format!("tminus_bench_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(base).await.expect("PostgreSQL answers");
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))))
    .await
    .unwrap();
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}options=-c%20search_path%3D{schema}")
}

async fn postgres_room(base: &str) -> usize {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::PgConnection::connect(base).await.expect("PostgreSQL answers");
    let max: i64 = sqlx::query("SELECT current_setting('max_connections')::bigint")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    let used: i64 =
        sqlx::query("SELECT count(*) FROM pg_stat_activity").fetch_one(&mut conn).await.unwrap().get(0);
    (max - used).max(0) as usize
}

#[tokio::main]
async fn main() {
    let postgres = std::env::var("TMINUS_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{EVENTS} events, one every {} ms; latency from append to an observer's folded state",
        EVERY.as_millis()
    );
    for observers in [1, 10, 50] {
        let location = dir.path().join(format!("sqlite-{observers}.db")).display().to_string();
        report("SQLite", observers, &measure(&location, observers).await);
    }
    match postgres {
        None => println!("PostgreSQL: skipped (set TMINUS_BENCH_POSTGRES_URL)"),
        Some(base) => {
            for observers in [1, 10, 50] {
                // Each observer holds one connection (it reads where it listens), the lead four.
                let room = postgres_room(&base).await;
                if observers + 6 > room {
                    println!(
                        "PostgreSQL, {observers:>2} observers: skipped, the server has room for {room} more connections"
                    );
                    continue;
                }
                let url = postgres_schema(&base, &observers.to_string()).await;
                report("PostgreSQL", observers, &measure(&url, observers).await);
            }
        }
    }
}

fn report(store: &str, observers: usize, ms: &[f64]) {
    if ms.is_empty() {
        println!("{store}, {observers:>2} observers: no event arrived");
        return;
    }
    let (p50, p99) = (percentile(ms, 50.0), percentile(ms, 99.0));
    let verdict = if p99 < 100.0 { "within" } else { "OVER" };
    println!(
        "{store:<10} {observers:>2} observers  {:>5} deliveries  p50 {p50:6.1} ms  p99 {p99:6.1} ms  ({verdict} the 100 ms goal)",
        ms.len()
    );
}
