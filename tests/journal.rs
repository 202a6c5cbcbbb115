//! The store parity suite: the same tests against the SQLite journal and the PostgreSQL one
//! (the server named by TMINUS_TEST_POSTGRES_URL, in a schema of its own per test).

mod support;

use chrono::{TimeDelta, Utc};
use support::{Sandbox, database_url};
use tminus::journal::chain::Linked;
use tminus::journal::{self, Event, EventKind, Lease, Mode, RunInfo, RunOutcome, Store, Stream};

fn info() -> RunInfo {
    RunInfo {
        runbook: "Batch 2 rollout".into(),
        path: "runbooks/batch2.toml".into(),
        hash: "abc123".into(),
        operator: "ops-lead".into(),
        host: "deploy-01".into(),
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

fn event(run: &str, seq: i64, kind: EventKind, data: &[u8]) -> Event {
    Event { run_id: run.into(), seq, at: Utc::now(), step: Some("deploy".into()), kind, data: data.to_vec() }
}

const RUN: &str = "20251127-084500-a1b2";

/// `events` linked after the event before the first, as the store holds it.
async fn linked(store: &dyn Store, events: Vec<Event>) -> Vec<Linked> {
    let first = &events[0];
    let mut previous = store.hash(&first.run_id, first.seq - 1).await.unwrap().unwrap_or_default();
    let mut linked = Vec::new();
    for event in events {
        let next = Linked::after(&previous, event);
        previous.clone_from(&next.hash);
        linked.push(next);
    }
    linked
}

async fn parity(store: &dyn Store) {
    let run = RUN;
    let hostile = b"ok \xff\xfe\x00 bytes\n\x1b[2J".to_vec();
    store
        .append(
            &linked(
                store,
                vec![
                    event(run, 1, EventKind::RunStarted(Box::new(info())), b""),
                    event(run, 2, EventKind::Output { stream: Stream::Stdout, lines: 1 }, &hostile),
                ],
            )
            .await,
            None,
        )
        .await
        .unwrap();
    let runs = store.runs().await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].operator.as_str(), runs[0].outcome.as_deref()), ("ops-lead", None));

    // Gap-free and append-only: a seq is written once.
    let again = store
        .append(
            &linked(
                store,
                vec![event(run, 2, EventKind::Note { who: "x".into(), login: None, text: "y".into() }, b"")],
            )
            .await,
            None,
        )
        .await;
    let forged = again.expect_err("a second event 2 was accepted").to_string();
    assert!(forged.contains("someone else wrote event 2 of run"), "{forged}");
    // A failed append leaves nothing behind: all of a batch or none of it.
    let batch = store
        .append(
            &linked(
                store,
                vec![
                    event(
                        run,
                        3,
                        EventKind::Note { who: "ops".into(), login: None, text: "half".into() },
                        b"",
                    ),
                    event(
                        run,
                        2,
                        EventKind::Note { who: "ops".into(), login: None, text: "clash".into() },
                        b"",
                    ),
                ],
            )
            .await,
            None,
        )
        .await;
    assert!(batch.is_err());
    assert_eq!(store.events(run, 0, 100).await.unwrap().len(), 2, "half a batch was kept");

    store
        .append(
            &linked(
                store,
                vec![event(run, 3, EventKind::RunFinished { outcome: RunOutcome::RolledBack }, b"")],
            )
            .await,
            None,
        )
        .await
        .unwrap();
    let back = store.events(run, 0, 100).await.unwrap();
    assert_eq!(back.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(back[1].data, hostile, "every byte of output comes back");
    assert_eq!(back[2].kind, EventKind::RunFinished { outcome: RunOutcome::RolledBack });
    assert_eq!(store.events(run, 1, 1).await.unwrap()[0].seq, 2, "pages start after a seq");
    // A step's events without their bytes: where its output lies, for the price of its heads.
    let heads = store.step_events(run, "deploy", 1, 100).await.unwrap();
    assert_eq!(heads.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(heads[0].kind, EventKind::Output { stream: Stream::Stdout, lines: 1 });
    assert!(heads[0].data.is_empty(), "the bytes stay in the journal");
    assert!(store.step_events(run, "other", 0, 100).await.unwrap().is_empty());
    assert_eq!(store.runs().await.unwrap()[0].outcome.as_deref(), Some("rolled_back"));
    assert_eq!(store.run(None).await.unwrap().id, run);
    assert!(store.run(Some("nope")).await.is_err());
    // The chain holds, but no conductor's key signed it: anyone could have written it.
    let verdict = journal::chain::verify(store, run).await.unwrap().verdict().to_string();
    assert!(
        verdict.starts_with("chain BROKEN at event 1: the run's conductor journaled no key"),
        "{verdict}"
    );
    leases(store).await;
}

/// Appends with a lease go in while it is the holder's, and not once another has taken the run.
async fn leases(store: &dyn Store) {
    let run = "20251127-090000-c3d4";
    let lease = |holder: &str, host: &str| Lease {
        run_id: run.into(),
        holder: holder.into(),
        host: host.into(),
        pid: 4242,
        since: Utc::now(),
        heartbeat: Utc::now(),
    };
    let (first, second) = (lease("ops-lead", "deploy-01"), lease("backup-lead", "deploy-02"));
    store.acquire(&first, TimeDelta::minutes(1)).await.unwrap().unwrap();
    let started = linked(store, vec![event(run, 1, EventKind::RunStarted(Box::new(info())), b"")]).await;
    store.append(&started, Some(&first)).await.unwrap();
    let note = |seq, text: &str| {
        event(run, seq, EventKind::Note { who: "ops".into(), login: None, text: text.into() }, b"")
    };
    let two = linked(store, vec![note(2, "mine"), note(3, "mine too")]).await;
    store.append(&two, Some(&first)).await.unwrap();

    // The first lead's heartbeat is deemed stale: the second takes the run.
    store.acquire(&second, TimeDelta::zero()).await.unwrap().unwrap();
    let late = linked(store, vec![note(4, "too late"), note(5, "too late")]).await;
    let taken = store.append(&late, Some(&first)).await.expect_err("an append without the lease went in");
    assert!(taken.to_string().contains("was taken over by backup-lead on deploy-02 (pid 4242)"), "{taken}");
    assert_eq!(store.events(run, 0, 100).await.unwrap().len(), 3, "nothing of the refused append is kept");
    store.append(&late, Some(&second)).await.unwrap();
    assert_eq!(store.events(run, 0, 100).await.unwrap().len(), 5);
}

#[tokio::test]
async fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    let store = journal::open(path.to_str().unwrap()).await.unwrap();
    parity(store.as_ref()).await;
    // Append-only in the database itself, not only in tminus.
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    assert!(conn.execute("UPDATE events SET kind = 'x'").await.is_err());
    assert!(conn.execute("DELETE FROM events").await.is_err());
    // The same account can drop the guards and rewrite history: the chain shows where.
    conn.execute("DROP TRIGGER events_no_update").await.unwrap();
    conn.execute("UPDATE events SET payload = replace(payload, 'ops-lead', 'cto') WHERE seq = 1")
        .await
        .unwrap();
    let verdict = journal::chain::verify(store.as_ref(), RUN).await.unwrap().verdict().to_string();
    assert!(verdict.starts_with("chain BROKEN at event 1: it does not match its hash"), "{verdict}");
}

#[tokio::test]
async fn postgres_store() {
    let Some(base) = database_url("TMINUS_TEST_POSTGRES_URL") else {
        return;
    };
    let url = support::postgres_schema(&base, "parity").await;
    let store = journal::open(&url).await.unwrap();
    parity(store.as_ref()).await;
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    assert!(conn.execute("UPDATE events SET kind = 'x'").await.is_err());
    assert!(conn.execute("DELETE FROM events").await.is_err());
    // Row triggers do not fire on TRUNCATE: the statement trigger refuses it.
    assert!(conn.execute("TRUNCATE events").await.is_err(), "TRUNCATE emptied the journal");
    assert!(conn.execute("TRUNCATE runs CASCADE").await.is_err(), "TRUNCATE emptied the journal");
    // A row inserted behind the conductor's back breaks the chain, and names its writer.
    let forged = "INSERT INTO events (run_id, seq, at, kind, step, payload) VALUES \
                  ('20251127-084500-a1b2', 4, '2025-11-27T09:00:00+00:00', 'decided', 'go', '{}')";
    conn.execute(forged).await.unwrap();
    let verdict = journal::chain::verify(store.as_ref(), RUN).await.unwrap().verdict().to_string();
    assert_eq!(verdict, "chain BROKEN at event 4: it comes after the run's end (written by postgres)");
}

#[tokio::test]
async fn a_whole_run_journaled_in_postgres_reports_like_sqlite() {
    let Some(base) = database_url("TMINUS_TEST_POSTGRES_URL") else {
        return;
    };
    let url = support::postgres_schema(&base, "run").await;
    let s = Sandbox::new();
    s.write(
        "day.toml",
        "[runbook]\nname = \"pg day\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"hello\"\n  run = \"echo hello from the lead\"\n  [[phase.step]]\n  id = \"go\"\n  gate = \"GO?\"\n",
    );
    let ran =
        s.tminus().env("TMINUS_JOURNAL", &url).args(["run", "day.toml", "--headless", "--yes"]).output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let report = s.tminus().env("TMINUS_JOURNAL", &url).args(["report", "--format", "json"]).output();
    assert_eq!(report.code, 0, "{}", report.stderr);
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(json["state"]["outcome"], "succeeded");
    assert_eq!(support::step(&json, "hello")["output"]["lines"][0], "hello from the lead");
    let runs = s.tminus().env("TMINUS_JOURNAL", &url).args(["runs"]).output();
    assert!(runs.stdout.contains("pg day"), "{}", runs.stdout);
}
