//! `tminus log`: a step's whole output back from the journal, byte for byte, on SQLite and
//! PostgreSQL.

mod support;

use sha2::{Digest, Sha256};
use support::{Sandbox, database_url};

const DAY: &str = r#"
[runbook]
name = "log day"
[[phase]]
id = "p"
  [[phase.step]]
  id = "binary"
  run = "cat payload.bin"
  [[phase.step]]
  id = "mixed"
  run = "echo to stdout; cat payload.bin >&2; echo more to stdout"
  [[phase.step]]
  id = "flaky"
  retries = 1
  retry_delay = "10ms"
  run = "if [ -e tried ]; then echo second try; else touch tried; echo first try; exit 1; fi"
"#;

/// Every byte value, invalid UTF-8, escape sequences, and a line longer than a journal batch.
fn payload() -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    bytes.extend_from_slice(b"\nok \xff\xfe\xc3 half a character\n\x1b[2Jcleared?\n");
    bytes.extend(std::iter::repeat_n(b'x', 3 * tminus::engine::FLUSH_BYTES));
    bytes.extend_from_slice(b"\nlast line without a newline");
    bytes
}

fn sha(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn every_byte_comes_back(journal: Option<&str>) {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    std::fs::write(s.path().join("payload.bin"), payload()).unwrap();
    let with_journal = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tminus"));
        command.current_dir(s.path()).args(args);
        match journal {
            Some(url) => command.env("TMINUS_JOURNAL", url),
            None => command.env("TMINUS_JOURNAL", s.journal()),
        };
        command.output().unwrap()
    };
    let ran = with_journal(&["run", "day.toml", "--headless"]);
    assert_eq!(ran.status.code(), Some(0), "{}", String::from_utf8_lossy(&ran.stderr));
    let runs = String::from_utf8(with_journal(&["runs"]).stdout).unwrap();
    let run_id = runs.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();

    let log = with_journal(&["log", &run_id, "binary"]);
    assert_eq!(log.status.code(), Some(0));
    assert_eq!(sha(&log.stdout), sha(&payload()), "the step's output came back changed");

    let stderr = with_journal(&["log", &run_id, "mixed", "--stream", "stderr"]);
    assert_eq!(sha(&stderr.stdout), sha(&payload()));
    let stdout = with_journal(&["log", &run_id, "mixed", "--stream", "stdout"]);
    assert_eq!(stdout.stdout, b"to stdout\nmore to stdout\n");

    assert_eq!(with_journal(&["log", &run_id, "flaky", "--attempt", "1"]).stdout, b"first try\n");
    assert_eq!(with_journal(&["log", &run_id, "flaky", "--attempt", "2"]).stdout, b"second try\n");
    let none = with_journal(&["log", &run_id, "flaky", "--attempt", "3"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("step `flaky` has no attempt 3"));

    // Every step, each under a header.
    let all = with_journal(&["log", &run_id]).stdout;
    let all = String::from_utf8_lossy(&all);
    for header in ["==> binary (attempt 1) <==", "==> mixed (attempt 1) <==", "==> flaky (attempt 2) <=="] {
        assert!(all.contains(header), "{header} missing");
    }
}

#[test]
fn a_steps_output_comes_back_byte_for_byte_from_sqlite() {
    every_byte_comes_back(None);
}

#[test]
fn a_steps_output_comes_back_byte_for_byte_from_postgres() {
    let Some(base) = database_url("TMINUS_TEST_POSTGRES_URL") else { return };
    let url = tokio::runtime::Runtime::new().unwrap().block_on(support::postgres_schema(&base, "log"));
    every_byte_comes_back(Some(&url));
}
