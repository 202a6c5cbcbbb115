//! Crash safety: the lead killed with SIGKILL at several points, then `run --resume` finishes
//! the run from the journal alone, with a gap-free sequence and no finished step run twice;
//! and while a lead is alive, a second driver is refused.

mod support;

use std::process::Child;

use support::{Lead, Sandbox, step};

const DAY: &str = r#"
[runbook]
name = "crashy day"
[[phase]]
id = "pre"
  [[phase.step]]
  id = "first"
  run = "echo first >> trail"
  undo = "echo undo-first >> trail"
  [[phase.step]]
  id = "check"
  manual = "Dashboards are green"
[[phase]]
id = "deploy"
  [[phase.step]]
  id = "slow"
  run = "echo slow >> trail; echo $$ > slow.pid; echo started; [ -e slept ] || { touch slept; sleep 60; }"
  [[phase.step]]
  id = "last"
  run = "echo last >> trail"
"#;

fn lead_until(s: &Sandbox, answers: &str, until: &str) -> (Child, String) {
    let lead = Lead::start(s, s.journal().to_str().unwrap(), answers, until);
    (lead.child, lead.run_id)
}

fn kill9(lead: &mut Child) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(lead.id() as i32), nix::sys::signal::Signal::SIGKILL)
        .unwrap();
    lead.wait().unwrap();
}

/// The step's process group is its own and outlives the lead: end it, as a reboot would.
fn end_slow(s: &Sandbox) {
    end_group(s, "slow.pid");
}

fn end_group(s: &Sandbox, pid_file: &str) {
    let pgid = s.read(pid_file).trim().parse::<i32>().unwrap();
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(-pgid), nix::sys::signal::Signal::SIGKILL);
    while support::group_runs(pgid) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn assert_gap_free(report: &serde_json::Value) {
    let seqs: Vec<i64> =
        report["log"].as_array().unwrap().iter().map(|l| l["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "the journal's sequence has a gap");
}

#[test]
fn killed_while_a_step_runs_then_resumed_with_a_retry() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let (mut lead, run_id) = lead_until(&s, "y\n", "[slow] started");
    kill9(&mut lead);
    end_slow(&s);
    assert_eq!(s.read("trail"), "first\nslow\n");

    let ran = s
        .tminus()
        .args(["run", "--resume", &run_id, "--headless", "--operator", "sam"])
        .stdin("retry\n")
        .output();
    assert!(ran.stdout.contains("was running when the last conductor ended"), "{}", ran.stdout);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(s.read("trail").matches("first").count(), 1, "a finished step ran twice");
}

#[test]
fn killed_at_a_prompt_then_resumed_and_finished_by_someone_else() {
    let s = Sandbox::new();
    s.write("day.toml", &DAY.replace("sleep 60", "true"));
    let (mut lead, run_id) = lead_until(&s, "", "? check:");
    kill9(&mut lead);
    let ran = s
        .tminus()
        .args(["run", "--resume", &run_id, "--headless", "--operator", "sam"])
        .stdin("y\n")
        .output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(s.read("trail"), "first\nslow\nlast\n");
    let report = s.report_json();
    assert_gap_free(&report);
    assert_eq!(report["state"]["resumed"][0]["who"], "sam");
    assert_eq!(step(&report, "check")["decisions"][0]["who"], "sam");
    assert!(s.report_md().contains("run resumed by sam"));
}

#[test]
fn an_interrupted_step_can_be_marked_done_or_rolled_back() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let (mut lead, run_id) = lead_until(&s, "y\n", "[slow] started");
    kill9(&mut lead);
    end_slow(&s);
    let resume = |answers: &str| {
        s.tminus()
            .args(["run", "--resume", &run_id, "--headless", "--operator", "sam"])
            .stdin(answers)
            .output()
    };
    let ran = resume("done\nrollback slow step left half done\n");
    assert!(ran.stdout.contains("mark done: a reason is needed"), "{}", ran.stdout);
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert!(s.read("trail").ends_with("undo-first\n"), "{}", s.read("trail"));
    let report = s.report_json();
    assert_gap_free(&report);
    assert_eq!(report["state"]["rollback"]["requested_by"], "sam");
    let ended = resume("");
    assert_eq!(ended.code, 2, "a finished run cannot be resumed");
    assert!(ended.stderr.contains("has already ended (rolled back)"), "{}", ended.stderr);
}

#[test]
fn a_second_driver_is_refused_while_the_lead_is_alive() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let (mut lead, run_id) = lead_until(&s, "", "? check:");
    let second = s.tminus().args(["run", "--resume", &run_id, "--headless", "--operator", "sam"]).output();
    assert_eq!(second.code, 2, "{}", second.stdout);
    assert!(second.stderr.contains(&format!("run {run_id} is conducted by naledi on ")), "{}", second.stderr);
    assert!(second.stderr.contains("since "), "{}", second.stderr);
    drop(lead.stdin.take());
    assert_eq!(lead.wait().unwrap().code(), Some(4), "end of input stops the lead safely");
}

#[test]
fn a_second_run_of_a_runbook_with_a_live_run_is_refused_unless_new() {
    let s = Sandbox::new();
    s.write("day.toml", &DAY.replace("sleep 60", "true"));
    let (mut lead, run_id) = lead_until(&s, "", "? check:");
    let second = s.run("day.toml", "", &[]);
    assert_eq!(second.code, 2, "{}", second.stdout);
    assert!(
        second.stderr.contains(&format!("has a live run in this journal: {run_id}")),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains(&format!("`tminus attach {run_id}`")), "{}", second.stderr);
    let forced = s.run("day.toml", "y\n", &["--new"]);
    assert_eq!(forced.code, 0, "{}{}", forced.stdout, forced.stderr);
    drop(lead.stdin.take());
    assert_eq!(lead.wait().unwrap().code(), Some(4), "end of input stops the lead safely");
}

#[test]
fn a_changed_runbook_is_not_resumed() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let (mut lead, run_id) = lead_until(&s, "", "? check:");
    kill9(&mut lead);
    s.write("day.toml", &DAY.replace("Dashboards are green", "Dashboards are mostly green"));
    let ran = s.tminus().args(["run", "--resume", &run_id, "--headless"]).output();
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("has changed since run"), "{}", ran.stderr);
}

#[test]
fn killed_in_the_middle_of_a_rollback_then_resumed_it_finishes_the_rollback() {
    let s = Sandbox::new();
    let day = DAY.replace(
        "undo = \"echo undo-first >> trail\"",
        "undo = \"echo undo-first >> trail; echo $$ > undo.pid; echo undoing; [ -e undone-once ] || { touch undone-once; sleep 60; }\"",
    ) + "[rollback]\n  [[rollback.step]]\n  run = \"echo rollback-script >> trail\"\n";
    s.write("day.toml", &day);
    // At the checklist item, roll back; kill the lead while the undo runs.
    let (mut lead, run_id) = lead_until(&s, "rollback dashboards are red\n", "[first] undoing");
    kill9(&mut lead);
    end_group(&s, "undo.pid");

    // The interrupted undo is asked about, as an interrupted step is: never run again unasked.
    let ran = s
        .tminus()
        .args(["run", "--resume", &run_id, "--headless", "--operator", "sam"])
        .stdin("retry\n")
        .output();
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("the undo of \"first\" was running when the last conductor ended"),
        "{}",
        ran.stdout
    );
    // Asked to, the undo ran again, the rollback section once; no step of the day ran again.
    assert_eq!(s.read("trail"), "first\nundo-first\nundo-first\nrollback-script\n");
    let report = s.report_json();
    assert_gap_free(&report);
    assert_eq!(report["state"]["rollback"]["requested_by"], "naledi");
    assert_eq!(step(&report, "first")["undo"]["outcome"], "passed");
}

/// `slow` notes in the trail whether a live process of its last copy's group (zombies, which
/// nobody may reap here, run nothing) was still there when it started.
fn quiet_day(seconds: u32) -> String {
    DAY.replace(
        "run = \"echo slow >> trail; echo $$ > slow.pid;",
        "run = \"if [ -e slow.pid ] && ps -e -o pgid=,stat= | awk -v g=$(cat slow.pid) '$1 == g && $2 !~ /^Z/' | grep -q .; then echo OVERLAP >> trail; fi; echo slow >> trail; echo $$ > slow.pid;",
    )
    .replace("sleep 60", &format!("sleep {seconds}"))
}

#[test]
fn a_copy_left_running_by_a_killed_lead_is_ended_before_the_step_runs_again() {
    let s = Sandbox::new();
    s.write("day.toml", &quiet_day(60));
    let (mut lead, run_id) = lead_until(&s, "y\n", "[slow] started");
    kill9(&mut lead);
    let ran = s.tminus().args(["run", "--resume", &run_id, "--headless", "--operator", "sam"]).converse(&[
        ("is still running from the last conductor", "retry"),
        ("is still running from the last conductor", "end"),
        ("was running when the last conductor ended", "retry"),
    ]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("`retry` is not an answer here"), "{}", ran.stdout);
    assert!(ran.stdout.contains("was ended with SIGTERM"), "{}", ran.stdout);
    assert_eq!(s.read("trail"), "first\nslow\nslow\nlast\n", "two copies of slow overlapped");
    let report = s.report_json();
    assert_gap_free(&report);
    assert_eq!(step(&report, "slow")["attempts"], 2);
    assert!(s.report_md().contains("chain verified"), "{}", s.report_md());
}

#[test]
fn the_retry_waits_for_a_copy_that_ends_by_itself() {
    let s = Sandbox::new();
    s.write("day.toml", &quiet_day(3));
    let (mut lead, run_id) = lead_until(&s, "y\n", "[slow] started");
    kill9(&mut lead);
    let ran = s
        .tminus()
        .args(["run", "--resume", &run_id, "--headless", "--operator", "sam"])
        .converse(&[("has ended by itself", "retry")]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let asked = ran.stdout.find("is still running from the last conductor").expect("the copy was found");
    let ended = ran.stdout.find("has ended by itself").unwrap();
    assert!(asked < ended, "{}", ran.stdout);
    assert_eq!(s.read("trail"), "first\nslow\nslow\nlast\n", "two copies of slow overlapped");
}

#[test]
fn a_signal_to_the_lead_is_journaled_and_ends_the_step() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let (mut lead, _) = lead_until(&s, "y\n", "[slow] started");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(lead.id() as i32), nix::sys::signal::Signal::SIGTERM)
        .unwrap();
    assert_eq!(lead.wait().unwrap().code(), Some(130));
    let group = s.read("slow.pid").trim().parse::<i32>().unwrap();
    assert!(!support::group_runs(group), "the step's process group outlived the lead");
    let md = s.report_md();
    assert!(md.contains("the conductor got SIGTERM"), "{md}");
    assert_eq!(step(&s.report_json(), "slow")["message"], "interrupted: SIGTERM to the conductor");
}

#[test]
fn a_lead_frozen_past_its_lease_wakes_to_find_the_run_taken_and_touches_nothing() {
    use nix::sys::signal::{Signal, kill};
    let s = Sandbox::new();
    s.write("day.toml", &quiet_day(60));
    let (lead, run_id) = lead_until(&s, "y\n", "[slow] started");
    let frozen = nix::unistd::Pid::from_raw(lead.id() as i32);
    kill(frozen, Signal::SIGSTOP).unwrap();
    // Past the lease's 15 s, sam picks the run up; the first copy of `slow` still runs.
    std::thread::sleep(std::time::Duration::from_secs(17));
    let mut sam = std::process::Command::new(env!("CARGO_BIN_EXE_tminus"))
        .current_dir(s.path())
        .env("TMINUS_JOURNAL", s.journal())
        .args(["run", "--resume", &run_id, "--headless", "--operator", "sam"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(sam.stdout.take().unwrap());
    let mut seen = String::new();
    let mut read_until = |text: &str| {
        use std::io::BufRead;
        while !seen.contains(text) {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "sam's conductor ended early:\n{seen}");
            seen.push_str(&line);
        }
    };
    read_until("is still running from the last conductor");
    // The frozen lead wakes: it ends its own copy and exits without a word to the journal.
    kill(frozen, Signal::SIGCONT).unwrap();
    let woke = lead.wait_with_output().unwrap();
    assert_eq!(woke.status.code(), Some(6));
    read_until("has ended by itself");
    use std::io::Write;
    writeln!(sam.stdin.as_mut().unwrap(), "retry").unwrap();
    drop(sam.stdin.take());
    assert_eq!(sam.wait().unwrap().code(), Some(0), "{seen}");
    assert_eq!(s.read("trail"), "first\nslow\nslow\nlast\n");
    let report = s.report_json();
    assert_gap_free(&report);
    let verified = s.tminus().args(["verify", &run_id]).output();
    assert_eq!(verified.code, 0, "{}", verified.stdout);
}

#[test]
fn an_event_written_behind_the_conductors_back_stops_it() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let (mut lead, run_id) = lead_until(&s, "", "? check:");
    let forged = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); \
             n = db.execute('SELECT max(seq) FROM events WHERE run_id = ?', (sys.argv[2],)).fetchone()[0]; \
             db.execute(\"INSERT INTO events (run_id, seq, at, kind, step, payload) VALUES (?, ?, '2025-01-01T00:00:00+00:00', 'decided', 'check', '{}')\", (sys.argv[2], n + 1)); \
             db.commit()",
        ])
        .arg(s.journal())
        .arg(&run_id)
        .status()
        .unwrap();
    assert!(forged.success());
    use std::io::Write;
    writeln!(lead.stdin.as_mut().unwrap(), "y").unwrap();
    let ended = lead.wait_with_output().unwrap();
    assert_eq!(ended.status.code(), Some(6));
    let verified = s.tminus().args(["verify", &run_id]).output();
    assert_eq!(verified.code, 1);
    assert!(verified.stdout.contains("it has no hash: tminus did not write it"), "{}", verified.stdout);
}
