//! A sign-off from another machine to the lead's conductor: the time from a signer's command
//! written into a shared PostgreSQL journal's inbox until the conductor has journaled it as a
//! decision, over 50 gates. Run by `bench/sign-latency.sh` (release build of tminus first).

#[path = "support/pty.rs"]
mod pty;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};
use tminus::engine::Act;
use tminus::journal::{self, Decision, EventKind, Prompt};

const GATES: usize = 50;
const SIGNER: &str = "tm_bench_signer";

fn main() {
    let bin = std::fs::canonicalize(std::env::args().nth(1).expect("usage: sign_latency TMINUS")).unwrap();
    let base = std::env::var("TMINUS_BENCH_POSTGRES_URL").expect("TMINUS_BENCH_POSTGRES_URL");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let owner = runtime.block_on(prepare(&base));
    let signer = owner.replacen("postgres@", &format!("{SIGNER}@"), 1);

    let dir = tempfile::tempdir().unwrap();
    let gates: String = (1..=GATES)
        .map(|n| {
            format!("  [[phase.step]]\n  id = \"gate-{n}\"\n  gate = \"GO {n}?\"\n  signoff = [\"QA\"]\n")
        })
        .collect();
    let runbook = format!(
        "[runbook]\nname = \"sign latency\"\n[roles]\n\"QA\" = {{ people = [\"{SIGNER}\"], may = [\"drive\"] }}\n[[phase]]\nid = \"p\"\n{gates}"
    );
    std::fs::write(dir.path().join("gates.toml"), runbook).unwrap();
    let tminus = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.current_dir(dir.path()).env("TMINUS_JOURNAL", &owner).args(args);
        c
    };
    let granted = tminus(&["grant", SIGNER, "sign"]).output().unwrap();
    assert!(granted.status.success(), "{}", String::from_utf8_lossy(&granted.stderr));
    let mut lead = tminus(&["run", "gates.toml", "--headless", "--operator", "lead"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();

    let samples = runtime.block_on(sign_every_gate(&signer));
    let _ = lead.stdin.take().map(|mut s| s.flush());
    let _ = lead.wait();
    pty::report("inbox → conductor → journaled", samples);
}

/// A schema of its own and the signer's login.
async fn prepare(base: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
    let _ = conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP OWNED BY {SIGNER}")))).await;
    let _ = conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS {SIGNER}")))).await;
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE ROLE {SIGNER} LOGIN")))).await.unwrap();
    conn.execute("DROP SCHEMA IF EXISTS tminus_bench_sign CASCADE; CREATE SCHEMA tminus_bench_sign")
        .await
        .unwrap();
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}options=-c%20search_path%3Dtminus_bench_sign")
}

/// Follows the run as the signer; signs each sign-off as it is asked and GOes each gate, and
/// times each sign-off from its inbox write to its decision in the journal.
async fn sign_every_gate(signer: &str) -> Vec<f64> {
    let store = loop {
        match journal::open_read_only(signer).await {
            Ok(store) if store.live_run(None).await.is_ok() => break store,
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let run = store.live_run(None).await.unwrap();
    let (to, mut events) = tokio::sync::mpsc::channel(64);
    tokio::spawn(journal::follow(store, run.id.clone(), 0, to));
    let mut samples = Vec::new();
    let mut sent: Option<Instant> = None;
    while let Some(event) = events.recv().await {
        match &event.kind {
            EventKind::ConfirmationRequested { prompt, .. } => {
                let decision = match prompt {
                    Prompt::Signoff { role } => Decision::Signed { role: role.clone(), name: "bench".into() },
                    _ => Decision::Go,
                };
                let timed = matches!(prompt, Prompt::Signoff { .. });
                let act = Act::Answer { to: event.seq, decision, reason: None, auto: false };
                let json = serde_json::to_string(&act).unwrap();
                let at = Instant::now();
                journal::inbox::post(signer, &run.id, "bench", &json).await.unwrap();
                sent = timed.then_some(at);
            }
            EventKind::Decided { .. } => {
                if let Some(at) = sent.take() {
                    samples.push(at.elapsed().as_secs_f64() * 1000.0);
                }
            }
            EventKind::RunFinished { .. } => break,
            _ => {}
        }
    }
    samples
}
