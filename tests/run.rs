//! Headless runs of the real binary on real runbooks: gates, rollback, timeouts, retries,
//! expectations, secrets, hostile output.

mod support;

use support::{Sandbox, demo, step};

/// A day with a pre-flight check, a gate, a deploy with an undo, and a rollback section.
/// Every command appends to `trail`, so the test sees what ran and in what order.
const DAY: &str = r#"
[runbook]
name = "Rehearsal"
start = "2025-11-27T09:00:00+02:00"

[[phase]]
id = "pre"
title = "Pre-deployment"
at = "-15m"
  [[phase.step]]
  id = "preflight"
  run = "echo preflight >> trail; echo GO DECISION"
  expect = { stdout = "GO DECISION" }
  undo = "echo undo-preflight >> trail"

  [[phase.step]]
  id = "backup"
  manual = "Backup file exists and its size is plausible"

  [[phase.step]]
  id = "go"
  gate = "GO / NO-GO for production"
  signoff = ["Technical Lead", "QA Reviewer"]

[[phase]]
id = "deploy"
at = "0m"
  [[phase.step]]
  id = "migrate"
  run = "echo migrate >> trail"
  undo = "echo undo-migrate >> trail"

  [[phase.step]]
  id = "flags"
  run = "echo flags >> trail"
  irreversible = true

  [[phase.step]]
  id = "deploy"
  confirm = true
  run = "echo deploy >> trail"
  undo = "echo undo-deploy >> trail"

[rollback]
  [[rollback.step]]
  run = "echo rollback-script >> trail"
  [[rollback.step]]
  manual = "Announce the rollback in #deployments"
"#;

#[test]
fn a_go_run_succeeds_and_records_who_decided() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let ran = s.run("day.toml", "y\ny Dana\ny Sam\ny\ny\n", &[]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(s.read("trail"), "preflight\nmigrate\nflags\ndeploy\n");
    assert!(ran.stdout.contains("[preflight] GO DECISION"), "{}", ran.stdout);

    let report = s.report_json();
    assert_eq!(report["state"]["outcome"], "succeeded");
    let gate = step(&report, "go");
    let signed: Vec<_> =
        gate["decisions"].as_array().unwrap().iter().map(|d| d["decision"].clone()).collect();
    assert_eq!(
        signed[0],
        serde_json::json!({"decision": "signed", "role": "Technical Lead", "name": "Dana"})
    );
    assert_eq!(signed[1], serde_json::json!({"decision": "signed", "role": "QA Reviewer", "name": "Sam"}));
    assert_eq!(signed[2], serde_json::json!({"decision": "go"}));
    assert_eq!(gate["decisions"][2]["who"], "ops-lead");

    let md = s.report_md();
    assert!(md.contains("**SUCCEEDED** (exit 0)"), "{md}");
    assert!(md.contains("Technical Lead: **Dana**"), "{md}");
    assert!(md.contains("| Pre-deployment (pre) | 08:45 |"), "{md}");
    // The report of every run is also written beside the journal.
    let written: Vec<_> = std::fs::read_dir(s.path().join("reports")).unwrap().collect();
    assert_eq!(written.len(), 1);
}

#[test]
fn no_go_stops_before_anything_after_the_gate() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let ran = s.run("day.toml", "y\ny Dana\ny Sam\nn Batch 1 regression in staging\n", &[]);
    assert_eq!(ran.code, 4, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(s.read("trail"), "preflight\n", "nothing after the gate may run");
    let report = s.report_json();
    assert_eq!(report["state"]["outcome"], "no_go");
    assert_eq!(step(&report, "go")["decisions"][2]["reason"], "Batch 1 regression in staging");
    assert_eq!(step(&report, "migrate")["status"], "pending");
}

#[test]
fn a_no_go_needs_a_reason() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let ran = s.run("day.toml", "y\ny\ny\nn\nn db down\n", &[]);
    assert_eq!(ran.code, 4);
    assert!(ran.stdout.contains("NO-GO: a reason is needed"), "{}", ran.stdout);
}

#[test]
fn rollback_undoes_finished_steps_newest_first_then_runs_the_rollback_section() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    // Gate GO (the operator signs both roles, and says yes to that), then `rollback` at the
    // deploy's confirmation.
    let ran = s.run("day.toml", "y\ny\ny\nyes\ny\nrollback smoke tests failed\ny\n", &[]);
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(s.read("trail"), "preflight\nmigrate\nflags\nundo-migrate\nundo-preflight\nrollback-script\n");
    assert!(
        ran.stdout.contains("ops-lead already signed as Technical Lead: type yes to sign as QA Reviewer too")
    );
    assert!(ran.stdout.contains("NOT undone (irreversible): flags"), "{}", ran.stdout);

    let report = s.report_json();
    let rollback = &report["state"]["rollback"];
    assert_eq!(rollback["requested_by"], "ops-lead");
    assert_eq!(rollback["reason"], "smoke tests failed");
    assert_eq!(rollback["undo"], serde_json::json!(["migrate", "preflight"]));
    assert_eq!(rollback["irreversible"], serde_json::json!(["flags"]));
    assert_eq!(step(&report, "rollback-2")["status"], "passed");
    let md = s.report_md();
    assert!(md.contains("`flags`: **NOT UNDONE** — irreversible"), "{md}");
}

#[test]
fn end_of_input_stops_safely() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let ran = s.run("day.toml", "y\n", &[]);
    assert_eq!(ran.code, 4, "{}", ran.stdout);
    assert!(ran.stdout.contains("end of input"), "{}", ran.stdout);
    assert_eq!(s.report_json()["state"]["outcome"], "aborted");
}

#[test]
fn yes_answers_as_the_operator_but_never_rolls_back_or_goes_past_a_failure() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let ran = s.run("day.toml", "", &["--yes"]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let report = s.report_json();
    let gate = step(&report, "go");
    assert_eq!(gate["decisions"][0]["decision"]["name"], "ops-lead");
    assert_eq!(gate["decisions"][2]["auto"], true);

    // A critical failure: --yes neither retries nor skips nor rolls back; the run fails.
    let s = Sandbox::new();
    s.write("day.toml", &DAY.replace("echo GO DECISION", "echo NO-GO; exit 0"));
    let ran = s.run("day.toml", "", &["--yes"]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert_eq!(s.read("trail"), "preflight\n");
    assert!(s.report_json()["state"]["rollback"].is_null());
}

#[test]
fn yes_does_not_say_go_after_a_critical_failure_was_skipped() {
    let s = Sandbox::new();
    s.write("day.toml", &DAY.replace("echo GO DECISION", "echo NO-GO"));
    // The failed pre-flight is skipped by hand; at the gate --yes must not say GO, and stdin ends.
    let ran = s.run("day.toml", "skip checked by hand\n", &["--yes"]);
    assert_eq!(ran.code, 4, "{}", ran.stdout);
    assert!(
        ran.stdout.contains(
            "--yes does not answer this one: no GO while critical steps have not passed (preflight failed)"
        ),
        "{}",
        ran.stdout
    );
    assert_eq!(s.read("trail"), "preflight\n");
}

#[test]
fn a_failed_recommended_step_warns_and_the_run_goes_on() {
    let s = Sandbox::new();
    s.write(
        "r.toml",
        "[runbook]\nname = \"r\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"docs\"\n  run = \"exit 1\"\n  critical = false\n  [[phase.step]]\n  id = \"next\"\n  run = \"echo next > trail\"\n",
    );
    let ran = s.run("r.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(
        ran.stdout.contains("⚠ docs failed (recommended, the run goes on): exit code 1 (expected 0)"),
        "{}",
        ran.stdout
    );
    assert_eq!(s.read("trail"), "next\n");
}

#[test]
fn a_failed_critical_step_can_be_retried_skipped_or_stop_the_run() {
    let flaky = "[runbook]\nname = \"f\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"flaky\"\n  run = \"n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -ge 1 ]\"\n  [[phase.step]]\n  id = \"after\"\n  run = \"echo after > trail\"\n";
    let s = Sandbox::new();
    s.write("f.toml", flaky);
    let ran = s.run("f.toml", "retry\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(step(&s.report_json(), "flaky")["attempts"], 2);

    let s = Sandbox::new();
    s.write("f.toml", &flaky.replace("-ge 1", "-ge 9"));
    let ran = s.run("f.toml", "skip known flaky, checked by hand\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(s.read("trail"), "after\n");
    assert!(s.report_md().contains("skipped by ops-lead: known flaky, checked by hand"));

    let s = Sandbox::new();
    s.write("f.toml", &flaky.replace("-ge 1", "-ge 9"));
    let ran = s.run("f.toml", "n\n", &[]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert_eq!(s.read("trail"), "");
}

#[test]
fn retries_run_the_command_again_until_it_passes() {
    let s = Sandbox::new();
    s.write(
        "r.toml",
        "[runbook]\nname = \"r\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"flaky\"\n  retries = 2\n  run = \"n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; echo attempt $((n+1)); [ $n -ge 2 ]\"\n",
    );
    let ran = s.run("r.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(ran.stdout.contains("(attempt 3)"), "{}", ran.stdout);
    let flaky = step(&s.report_json(), "flaky").clone();
    assert_eq!(flaky["attempts"], 3);
    assert_eq!(flaky["status"], "passed");
}

#[test]
fn expectations_on_exit_code_and_output_are_enforced() {
    let s = Sandbox::new();
    s.write(
        "e.toml",
        "[runbook]\nname = \"e\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"code\"\n  run = \"exit 3\"\n  expect = { exit = 3 }\n  [[phase.step]]\n  id = \"words\"\n  run = \"echo BATCH 1 ISSUES DETECTED\"\n  expect = { stdout = \"BATCH 1 HEALTHY\" }\n",
    );
    let ran = s.run("e.toml", "n\n", &[]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    let report = s.report_json();
    assert_eq!(step(&report, "code")["status"], "passed");
    assert_eq!(step(&report, "words")["message"], "no output line matched `BATCH 1 HEALTHY`");
    let md = s.report_md();
    assert!(
        md.contains("BATCH 1 ISSUES DETECTED"),
        "failed step's last output lines belong in the report:\n{md}"
    );
}

#[test]
fn a_timed_out_step_leaves_no_process_behind() {
    let s = Sandbox::new();
    // The command starts a grandchild that ignores TERM, and ignores TERM itself.
    s.write(
        "t.toml",
        r#"[runbook]
name = "t"
kill_grace = "300ms"
[[phase]]
id = "p"
  [[phase.step]]
  id = "hang"
  timeout = "500ms"
  run = "(trap '' TERM; sleep 600) & echo $! > grandchild.pid; echo $$ > child.pid; trap '' TERM; sleep 600"
"#,
    );
    let ran = s.run("t.toml", "n\n", &[]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert!(ran.stdout.contains("timed out after 500ms; its process group was ended"), "{}", ran.stdout);
    for file in ["grandchild.pid", "child.pid"] {
        let pid: i32 = s.read(file).trim().parse().expect(file);
        assert!(!alive(pid), "{file} {pid} survived the timeout");
    }
    assert_eq!(step(&s.report_json(), "hang")["status"], "timed_out");
}

/// Alive means running: a killed orphan may linger as a zombie until its new parent reaps it.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(')').map(|(_, r)| r.trim_start().chars().next()),
            Some(Some('Z' | 'X'))
        ),
        Err(_) => false,
    }
}

#[test]
fn secrets_never_reach_the_journal_or_the_report() {
    let s = Sandbox::new();
    s.write(
        "s.toml",
        r#"[runbook]
name = "s"
[vars]
DB_PASSWORD = { env = "TMINUS_TEST_DB_PASSWORD", secret = true }
URL = "postgres://app:${DB_PASSWORD}@db/app"
[[phase]]
id = "p"
  [[phase.step]]
  id = "echoes"
  title = "Connect to ${URL}"
  run = "echo password is $DB_PASSWORD; echo url $URL >&2; exit 1"
"#,
    );
    let secret = "Zq8-very-secret-4711";
    let ran = s
        .tminus()
        .env("TMINUS_TEST_DB_PASSWORD", secret)
        .args(["run", "s.toml", "--headless"])
        .stdin("n\n")
        .output();
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert!(ran.stdout.contains("password is ****"), "{}", ran.stdout);
    assert!(!ran.stdout.contains(secret));
    let journal = s.journal_bytes();
    assert!(!journal.is_empty());
    assert!(
        memchr::memmem::find(&journal, secret.as_bytes()).is_none(),
        "the secret is in the journal's bytes"
    );
    let md = s.report_md();
    assert!(md.contains("postgres://app:****@db/app"), "{md}");
    assert!(!md.contains(secret));
    for report in std::fs::read_dir(s.path().join("reports")).unwrap().flatten() {
        assert!(!std::fs::read_to_string(report.path()).unwrap().contains(secret));
    }
}

#[test]
fn hostile_output_cannot_reach_the_terminal_and_every_byte_is_journaled() {
    let s = Sandbox::new();
    s.write(
        "h.toml",
        r#"[runbook]
name = "h"
[[phase]]
id = "p"
  [[phase.step]]
  id = "hostile"
  run = "printf 'ok \\377\\376 bytes\\n\\033[2J\\033[Hcleared\\n\\033]52;c;cHduZWQ=\\007clip\\n\\033[31mred\\033[0m\\n\\000nul\\n'"
"#,
    );
    let ran = s.run("h.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(
        !ran.stdout.contains('\u{1b}'),
        "an escape sequence reached a non-terminal stdout: {:?}",
        ran.stdout
    );
    assert!(ran.stdout.contains("[hostile] ok \u{fffd}\u{fffd} bytes"), "{}", ran.stdout);
    assert!(ran.stdout.contains("[hostile] cleared"));
    assert!(ran.stdout.contains("[hostile] clip"));
    assert!(ran.stdout.contains("[hostile] red"));
    // The journal keeps what the command printed, byte for byte.
    let journal = s.journal_bytes();
    assert!(memchr::memmem::find(&journal, b"ok \xff\xfe bytes\n\x1b[2J").is_some());
}

/// A 300 KB line with no newline reaches the journal in several batches and the reader as one
/// line; a bidi override in it is shown, not obeyed.
#[test]
fn a_long_line_comes_out_as_one_line_with_invisible_characters_shown() {
    let s = Sandbox::new();
    s.write(
        "long.toml",
        r#"[runbook]
name = "long"
[[phase]]
id = "p"
  [[phase.step]]
  id = "long"
  run = 'printf "evil \342\200\256txt.exe\n"; head -c 300000 /dev/zero | tr "\0" x'
"#,
    );
    let ran = s.run("long.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains("[long] evil <U+202E>txt.exe\n"), "{}", &ran.stdout[..200]);
    assert!(!ran.stdout.contains('\u{202e}'), "a bidi override reached stdout");
    let lines: Vec<&str> = ran.stdout.lines().filter(|l| l.contains("xxx")).collect();
    assert_eq!(lines.len(), 1, "the long line came out as {} lines", lines.len());
    assert_eq!(lines[0], format!("[long] {}", "x".repeat(300_000)));
    // What follows the line starts a line of its own.
    let after = ran.stdout.rsplit(&"x".repeat(100)).next().unwrap();
    assert!(after.starts_with('\n') && after.contains("long passed"), "{after}");
}

#[test]
fn dry_run_runs_dry_forms_and_skips_the_rest() {
    let s = Sandbox::new();
    s.write(
        "d.toml",
        "[runbook]\nname = \"d\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"deploy\"\n  run = \"echo real > trail\"\n  dry_run = \"echo dry > trail\"\n  [[phase.step]]\n  id = \"migrate\"\n  run = \"echo migrate >> trail\"\n  \
         [[phase.step]]\n  id = \"check\"\n  run = \"echo read-only check >> trail\"\n  dry_run = true\n",
    );
    let ran = s.run("d.toml", "", &["--dry-run"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(s.read("trail"), "dry\nread-only check\n");
    assert!(ran.stdout.contains("DRY RUN"), "{}", ran.stdout);
    assert!(ran.stdout.contains("migrate skipped: skipped for the dry run"), "{}", ran.stdout);
    let md = s.report_md();
    assert!(md.starts_with("# Deployment report: d (DRY RUN)"), "{md}");
    let runs = s.tminus().args(["runs"]).output();
    assert!(runs.stdout.contains("succeeded"), "{}", runs.stdout);
}

#[test]
fn commands_run_in_the_runbook_folder_with_vars_exported() {
    let s = Sandbox::new();
    s.write(
        "books/v.toml",
        "[runbook]\nname = \"v\"\n[vars]\nTARGET = { env = \"TMINUS_TEST_UNSET_TARGET\", default = \"staging\" }\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"where\"\n  run = \"echo $TARGET > here\"\n",
    );
    let ran = s.run("books/v.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(s.read("books/here"), "staging\n");
}

#[test]
fn reports_render_as_markdown_and_json_to_a_file() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let first = s.run("day.toml", "", &["--yes"]);
    assert_eq!(first.code, 0);
    let runs = s.tminus().args(["runs"]).output();
    // Under the header row, the first word of the first run's row.
    let id = runs.stdout.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let ran = s.tminus().args(["report", &id, "--format", "json", "-o", "out/r.json"]).output();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let json: serde_json::Value = serde_json::from_str(&s.read("out/r.json")).unwrap();
    assert_eq!(json["state"]["run_id"], id.as_str());
    assert!(json["log"].as_array().unwrap().len() > 10);
    let missing = s.tminus().args(["report", "no-such-run"]).output();
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no run `no-such-run`"), "{}", missing.stderr);
}

#[test]
fn the_demo_runs_on_a_fresh_machine_and_rolls_back_on_request() {
    let s = Sandbox::new();
    let ran = demo(&s, "", &["--yes"]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("token ****"), "the demo's secret shows masked: {}", ran.stdout);
    let report = s.report_json();
    assert_eq!(step(&report, "warm-cache")["attempts"], 2);
    assert_eq!(step(&report, "go")["status"], "passed");
    let checks: Vec<_> = report["state"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["plan"]["kind"] == "http" || st["plan"]["kind"] == "sql")
        .collect();
    assert!(checks.len() >= 2, "the demo shows an HTTP and a SQL check");
    assert!(checks.iter().all(|st| st["status"] == "passed"), "{}", ran.stdout);
    assert!(s.report_md().contains("## Success criteria"));

    // backup, two sign-offs, GO, deploy confirmation; then rollback at the migration's.
    let s = Sandbox::new();
    let ran = demo(&s, "y\ny\ny Thandi\ny\ny\nrollback smoke failed\ny\n", &[]);
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    let report = s.report_json();
    assert_eq!(step(&report, "deploy")["undo"]["outcome"], "passed");
    assert_eq!(report["state"]["rollback"]["undo"][0], "deploy");

    let s = Sandbox::new();
    let ran = demo(&s, "", &["--yes", "--dry-run"]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
}

#[test]
fn ctrl_c_ends_the_running_step_and_exits_130() {
    use std::process::{Command, Stdio};
    let s = Sandbox::new();
    s.write(
        "slow.toml",
        "[runbook]\nname = \"slow\"\nkill_grace = \"200ms\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"wait\"\n  run = \"echo $$ > step.pid; echo started; sleep 60\"\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_tminus"))
        .current_dir(s.path())
        .env("TMINUS_JOURNAL", s.journal())
        .args(["run", "slow.toml", "--headless"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while s.read("step.pid").trim().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the step never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let step_pid: i32 = s.read("step.pid").trim().parse().unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{step_pid}/cmdline")).exists() || !alive(step_pid));
    let report = s.report_json();
    assert_eq!(report["state"]["outcome"], "interrupted");
    assert_eq!(step(&report, "wait")["status"], "aborted");
}

#[test]
fn an_expected_line_is_matched_whole_however_slowly_it_is_printed() {
    let s = Sandbox::new();
    s.write(
        "e.toml",
        "[runbook]\nname = \"e\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"slow\"\n  \
         run = \"printf 'GO '; sleep 0.2; echo DECISION\"\n  expect = { stdout = \"^GO DECISION$\" }\n",
    );
    let ran = s.run("e.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
}
