//! Forgeries of a finished run's journal, made as someone who can write the journal would make
//! them (the published hash algorithm, the database's own statements), each named by `verify`.

mod support;

use std::path::Path;

use sqlx::{Connection, Executor};
use support::{Ran, Sandbox};
use tminus::journal::chain::Row;

/// A day whose critical step fails: the run ends failed.
const FAILED_DAY: &str = r#"
[runbook]
name = "failed day"
[[phase]]
id = "p"
  [[phase.step]]
  id = "go"
  gate = "GO?"
  [[phase.step]]
  id = "deploy"
  run = "echo deploying; exit 1"
"#;

/// `tminus ARGS` in the sandbox, with a config folder of its own: its own key, its own trust.
fn tminus(s: &Sandbox, args: &[&str]) -> Ran {
    s.tminus().env("XDG_CONFIG_HOME", s.path().join("config").to_str().unwrap()).args(args).output()
}

fn failed_run(s: &Sandbox) -> String {
    s.write("day.toml", FAILED_DAY);
    let config = s.path().join("config");
    let ran = s
        .tminus()
        .env("XDG_CONFIG_HOME", config.to_str().unwrap())
        .args(["run", "day.toml", "--headless", "--operator", "ops-lead"])
        .stdin("go\n")
        .output();
    let ran_stdin = ran.stdout.clone();
    assert_eq!(ran.code, 1, "{ran_stdin}{}", ran.stderr);
    let verified = tminus(s, &["verify"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    assert!(verified.stdout.contains("signed to its last by key"), "{}", verified.stdout);
    ran_stdin.split(" · run ").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
}

/// Every row of `run` as stored, in order.
async fn rows(conn: &mut sqlx::SqliteConnection, run: &str) -> Vec<Row> {
    use sqlx::Row as _;
    let stored = sqlx::query(
        "SELECT seq, at, kind, step, payload, data, hash FROM events WHERE run_id = ? ORDER BY seq",
    )
    .bind(run)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    stored
        .iter()
        .map(|r| Row {
            seq: r.get("seq"),
            at: r.get("at"),
            kind: r.get("kind"),
            step: r.get("step"),
            payload: r.get("payload"),
            data: r.get("data"),
            hash: r.get("hash"),
            writer: None,
        })
        .collect()
}

/// Writes every row of `run` from `from` on again, `change`d, hashed again as tminus would.
async fn rehash(journal: &Path, run: &str, from: i64, change: impl Fn(&mut Row)) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", journal.display())).await.unwrap();
    conn.execute("DROP TRIGGER events_no_update").await.unwrap();
    let mut previous = String::new();
    for mut row in rows(&mut conn, run).await {
        if row.seq >= from {
            change(&mut row);
            let hash = row.link(run, &previous);
            sqlx::query("UPDATE events SET payload = ?, hash = ? WHERE run_id = ? AND seq = ?")
                .bind(&row.payload)
                .bind(&hash)
                .bind(run)
                .bind(row.seq)
                .execute(&mut conn)
                .await
                .unwrap();
            row.hash = Some(hash);
        }
        previous = row.hash.clone().unwrap();
    }
}

#[tokio::test]
async fn a_failed_run_rewritten_as_a_success_and_hashed_again_is_named() {
    let s = Sandbox::new();
    let run = failed_run(&s);
    let journal = s.journal();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", journal.display())).await.unwrap();
    let end = rows(&mut conn, &run).await.into_iter().find(|r| r.kind == "run_finished").unwrap().seq;
    sqlx::query("UPDATE runs SET outcome = 'succeeded' WHERE id = ?")
        .bind(&run)
        .execute(&mut conn)
        .await
        .unwrap();
    rehash(&journal, &run, end, |row| {
        if row.kind == "run_finished" {
            row.payload = r#"{"kind":"run_finished","outcome":"succeeded"}"#.into();
        }
    })
    .await;
    let verified = tminus(&s, &["verify"]);
    assert_eq!(verified.code, 1, "{}", verified.stdout);
    assert!(
        verified
            .stdout
            .contains(&format!("chain BROKEN at event {}: the head signed here does not hold", end + 1)),
        "{}",
        verified.stdout
    );
    let report = tminus(&s, &["report"]);
    assert!(report.stdout.contains("chain BROKEN"), "the report says so too: {}", report.stdout);
}

#[tokio::test]
async fn a_dropped_tail_is_named_by_the_runs_row_and_by_a_witness() {
    let s = Sandbox::new();
    let run = failed_run(&s);
    // The head a notification or the report carried: the witness kept elsewhere.
    let report = tminus(&s, &["report"]);
    let witness = report.stdout.split("last signed head ").nth(1).unwrap().split_whitespace().next().unwrap();
    let witness = witness.trim_end_matches(['|', ' ']).to_string();
    let journal = s.journal();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", journal.display())).await.unwrap();
    let end = rows(&mut conn, &run).await.into_iter().find(|r| r.kind == "run_finished").unwrap().seq;
    conn.execute("DROP TRIGGER events_no_delete").await.unwrap();
    sqlx::query("DELETE FROM events WHERE run_id = ? AND seq >= ?")
        .bind(&run)
        .bind(end - 2)
        .execute(&mut conn)
        .await
        .unwrap();
    let verified = tminus(&s, &["verify"]);
    assert_eq!(verified.code, 1, "{}", verified.stdout);
    assert!(
        verified.stdout.contains("its events hold no end: its last events were dropped"),
        "{}",
        verified.stdout
    );
    // The forger mends the row too: the witness still names it.
    sqlx::query("UPDATE runs SET outcome = NULL, ended_at = NULL WHERE id = ?")
        .bind(&run)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        tminus(&s, &["verify"]).code,
        0,
        "without a witness, a run cut short looks like one still running"
    );
    let verified = tminus(&s, &["verify", "--witness", &witness]);
    assert_eq!(verified.code, 1, "{}", verified.stdout);
    assert!(verified.stdout.contains("its tail was dropped"), "{}", verified.stdout);
    let bad = tminus(&s, &["verify", "--witness", "12"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--witness 12: not a head"), "{}", bad.stderr);
}

#[tokio::test]
async fn a_history_signed_again_with_a_forgers_own_key_is_not_trusted() {
    use ed25519_dalek::{Signer, SigningKey};
    let s = Sandbox::new();
    let run = failed_run(&s);
    let forger = SigningKey::from_bytes(&[42u8; 32]);
    let key = hex::encode(forger.verifying_key().as_bytes());
    let journal = s.journal();
    // Every row hashed again: the key swapped at the start, every head signed anew.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", journal.display())).await.unwrap();
    conn.execute("DROP TRIGGER events_no_update").await.unwrap();
    let mut previous = String::new();
    for mut row in rows(&mut conn, &run).await {
        let mut payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap();
        if row.kind == "run_started" {
            payload["key"] = key.clone().into();
        }
        if row.kind == "head_signed" {
            let message = format!("tminus chain head v1\n{run}\n{}\n{previous}\n", row.seq - 1);
            payload["hash"] = previous.clone().into();
            payload["key"] = key.clone().into();
            payload["signature"] = hex::encode(forger.sign(message.as_bytes()).to_bytes()).into();
        }
        row.payload = payload.to_string();
        let hash = row.link(&run, &previous);
        sqlx::query("UPDATE events SET payload = ?, hash = ? WHERE run_id = ? AND seq = ?")
            .bind(&row.payload)
            .bind(&hash)
            .bind(&run)
            .bind(row.seq)
            .execute(&mut conn)
            .await
            .unwrap();
        previous = hash;
    }
    let verified = tminus(&s, &["verify"]);
    assert_eq!(verified.code, 1, "{}", verified.stdout);
    assert!(verified.stdout.contains(&format!("key {key}: NOT TRUSTED")), "{}", verified.stdout);
}

#[test]
fn on_postgresql_the_database_names_every_writer_and_a_runs_row_is_final() {
    let Some(base) = support::database_url("TMINUS_TEST_POSTGRES_URL") else { return };
    let driver = format!("tm_forger_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let owner = runtime.block_on(async {
        support::logins(&base, &[&driver]).await;
        support::postgres_schema(&base, "evidence").await
    });
    let s = Sandbox::new();
    s.write("day.toml", FAILED_DAY);
    let on = |args: &[&str], stdin: &str| {
        s.tminus()
            .env("TMINUS_JOURNAL", &owner)
            .env("XDG_CONFIG_HOME", s.path().join("config").to_str().unwrap())
            .args(args)
            .stdin(stdin)
            .output()
    };
    let ran = on(&["run", "day.toml", "--headless", "--operator", "ops-lead"], "go\n");
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(on(&["grant", &driver, "drive"], "").code, 0);
    let run = ran.stdout.split(" · run ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let as_driver = owner.replacen("postgres@", &format!("{driver}@"), 1);
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&as_driver).await.unwrap();
        // A row that says another login wrote it: the database says who did.
        let forged = "INSERT INTO events (run_id, seq, at, kind, step, payload, hash, writer) \
                      SELECT run_id, max(seq) + 1, 'now', 'note', NULL, '{}', 'x', 'postgres' FROM events WHERE run_id = $1 GROUP BY run_id";
        sqlx::query(sqlx::AssertSqlSafe(forged)).bind(&run).execute(&mut conn).await.unwrap();
        // An ended run's row is final.
        let changed = sqlx::query("UPDATE runs SET outcome = 'succeeded' WHERE id = $1").bind(&run).execute(&mut conn).await;
        let refused = changed.expect_err("an ended run's outcome was changed").to_string();
        assert!(refused.contains("changes once, as the run ends"), "{refused}");
    });
    let verified = on(&["verify"], "");
    assert_eq!(verified.code, 1, "{}", verified.stdout);
    assert!(verified.stdout.contains(&format!("(written by {driver})")), "{}", verified.stdout);
    // The owner, who may switch the guard off, changes the row: verify holds it against the events.
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&owner).await.unwrap();
        conn.execute("ALTER TABLE runs DISABLE TRIGGER runs_once").await.unwrap();
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update").await.unwrap();
        sqlx::query("DELETE FROM events WHERE run_id = $1 AND kind = 'note'")
            .bind(&run)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("UPDATE runs SET outcome = 'succeeded' WHERE id = $1")
            .bind(&run)
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let verified = on(&["verify"], "");
    assert_eq!(verified.code, 1, "{}", verified.stdout);
    assert!(
        verified.stdout.contains("the runs row says succeeded, but its events say failed"),
        "{}",
        verified.stdout
    );
}
