//! A PostgreSQL journal whose server dies mid-run: the run holds and says so, nothing printed
//! is lost, and it goes on when the server is back; a watcher reconnects.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::Sandbox;
use support::private_postgres::PrivatePostgres;

const DAY: &str = r#"
[runbook]
name = "outage day"
[[phase]]
id = "p"
  [[phase.step]]
  id = "print"
  run = "for n in $(seq 1 40); do echo line $n; sleep 0.1; done"
  [[phase.step]]
  id = "after"
  run = "echo after the outage"
"#;

fn tminus(s: &Sandbox, journal: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tminus"));
    command
        .current_dir(s.path())
        .env("TMINUS_JOURNAL", journal)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn a_journal_server_that_dies_mid_step_holds_the_run_until_it_is_back() {
    let Some(pg) = PrivatePostgres::start() else { return };
    let url = pg.url();
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let mut lead = tminus(&s, &url, &["run", "day.toml", "--headless", "--yes"]).spawn().unwrap();
    let mut out = BufReader::new(lead.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("[print] line 3") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the lead ended early");
    }
    let watcher = tminus(&s, &url, &["watch"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));

    pg.kill();
    std::thread::sleep(Duration::from_secs(6));
    pg.up();

    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    lead.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = lead.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stdout:\n{rest}\nstderr:\n{stderr}");
    assert!(stderr.contains("journal unavailable since"), "{stderr}");
    assert!(stderr.contains("journal available again"), "{stderr}");
    assert!(rest.contains("after the outage"), "{rest}");

    let watched = watcher.wait_with_output().unwrap();
    let watched_out = String::from_utf8_lossy(&watched.stdout);
    assert_eq!(watched.status.code(), Some(0), "{watched_out}{}", String::from_utf8_lossy(&watched.stderr));
    assert!(watched_out.contains("succeeded"), "{watched_out}");
    // A watcher without a terminal says that it lost the journal. (That it hears it again is
    // said on the next look, which the run's end may come before.)
    assert!(watched_out.contains("journal unavailable since"), "{watched_out}");
    assert!(watched_out.contains("reconnecting"), "{watched_out}");

    // Every line printed during the outage reached the journal, in order, on an unbroken chain.
    let report = tminus(&s, &url, &["report", "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(support::step(&json, "print")["output"]["total_lines"], 40);
    let lines = support::step(&json, "print")["output"]["lines"].to_string();
    assert!(lines.contains("\"line 1\",\"line 2\""), "{lines}");
    let verified = tminus(&s, &url, &["verify"]).output().unwrap();
    assert!(String::from_utf8_lossy(&verified.stdout).contains("chain verified"), "{verified:?}");
}
