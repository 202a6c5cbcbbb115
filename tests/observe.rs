//! Observers: `tminus watch` follows the lead's run from the journal (SQLite and PostgreSQL),
//! can never write to it, and `tminus replay` plays a finished run back.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Lead, Sandbox, database_url};

const LEAD: &str = "[runbook]\nname = \"watched day\"\n[[phase]]\nid = \"p\"\n  \
    [[phase.step]]\n  id = \"hello\"\n  run = \"echo hello from the lead\"\n  \
    [[phase.step]]\n  id = \"check\"\n  manual = \"Dashboards are green\"\n";

/// The lead runs headless and waits at the checklist item; a watcher started meanwhile must
/// show the lead's output, then follow the run to its end once the lead answers.
fn watch_follows_the_lead(journal: &str) {
    let s = Sandbox::new();
    s.write("day.toml", LEAD);
    let bin = env!("CARGO_BIN_EXE_tminus");
    let mut lead = Lead::start(&s, journal, "", "? check:");

    let mut watcher = Command::new(bin)
        .current_dir(s.path())
        .env("TMINUS_JOURNAL", journal)
        .arg("watch")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("? check: Dashboards are green") {
        assert!(Instant::now() < deadline, "the watcher never caught up:\n{seen}");
        seen.push_str(&lines.next().unwrap().unwrap());
        seen.push('\n');
    }
    assert!(seen.contains("[hello] hello from the lead"), "{seen}");
    assert!(seen.contains("operator naledi"), "{seen}");

    // The lead answers; the watcher sees the end and stops by itself.
    lead.answer("y");
    for line in lines {
        seen.push_str(&line.unwrap());
        seen.push('\n');
    }
    assert!(watcher.wait().unwrap().success());
    assert!(seen.contains("naledi answered done for check"), "{seen}");
    assert!(seen.contains("succeeded (exit 0)"), "{seen}");
    assert_eq!(lead.child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_watcher_follows_the_lead_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    watch_follows_the_lead(dir.path().join("journal.db").to_str().unwrap());
}

#[test]
fn a_watcher_follows_the_lead_on_postgres() {
    let Some(base) = database_url("TMINUS_TEST_POSTGRES_URL") else {
        return;
    };
    let url = tokio::runtime::Runtime::new().unwrap().block_on(support::postgres_schema(&base, "watch"));
    watch_follows_the_lead(&url);
}

#[tokio::test]
async fn the_watch_path_cannot_write() {
    use tminus::journal::{self, Event, EventKind};
    let note = |seq| {
        let event = Event {
            run_id: "r".into(),
            seq,
            at: chrono::Utc::now(),
            step: None,
            kind: EventKind::Note { who: "observer".into(), login: None, text: "sneaky".into() },
            data: Vec::new(),
        };
        journal::chain::Linked::after("", event)
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let location = path.to_str().unwrap();
    assert!(
        journal::open_read_only(location).await.is_err(),
        "watching opens no journal that does not exist"
    );
    journal::open(location).await.unwrap();
    let watching = journal::open_read_only(location).await.unwrap();
    assert!(watching.append(&[note(1)], None).await.is_err(), "a read-only SQLite journal took a write");

    if let Some(base) = database_url("TMINUS_TEST_POSTGRES_URL") {
        let url = support::postgres_schema(&base, "readonly").await;
        journal::open(&url).await.unwrap();
        let watching = journal::open_read_only(&url).await.unwrap();
        // Every session it opens is read-only.
        assert!(
            watching.append(&[note(1)], None).await.is_err(),
            "a read-only PostgreSQL journal took a write"
        );
    }
}

#[test]
fn replay_plays_a_finished_run_back() {
    let s = Sandbox::new();
    s.write("day.toml", LEAD);
    assert_eq!(s.run("day.toml", "y\n", &[]).code, 0);
    let runs = s.tminus().args(["runs"]).output();
    // Under the header row, the first word of the first run's row.
    let id = runs.stdout.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let replay = s.tminus().args(["replay", &id, "--speed", "50"]).output();
    assert_eq!(replay.code, 0, "{}", replay.stderr);
    assert!(replay.stdout.contains("[hello] hello from the lead"), "{}", replay.stdout);
    assert!(replay.stdout.contains("succeeded (exit 0)"), "{}", replay.stdout);
    let bad = s.tminus().args(["replay", &id, "--speed", "0"]).output();
    assert_eq!(bad.code, 2);
    let none = s.tminus().args(["replay", "nope"]).output();
    assert_eq!(none.code, 2, "{}", none.stderr);
}
