//! The full screen as a person uses it: the real binary in a pseudo-terminal, keys pressed, the
//! screen read through a terminal emulator, and the journal checked afterwards.

mod support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use support::{Lead, Sandbox, step};

const DAY: &str = r#"
[runbook]
name = "Screen rehearsal"
start = "2025-11-27T09:00:00+02:00"

[[phase]]
id = "deploy"
title = "Deployment"
at = "0m"
budget = "15m"
  [[phase.step]]
  id = "deploy"
  title = "Production deployment"
  confirm = true
  run = "for n in 25 50 75; do echo deploying $n/75; sleep 0.5; done; sleep 1"
  undo = "echo undone > undone"

  [[phase.step]]
  id = "verify"
  manual = "Verification queries look right"

[rollback]
  [[rollback.step]]
  manual = "Announce the rollback in #deployments"
"#;

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Screen {
    fn start(sandbox: &Sandbox, args: &[&str]) -> Self {
        Screen::on(sandbox, args, sandbox.journal().to_str().unwrap())
    }

    /// The screen on the journal at `journal`.
    fn on(sandbox: &Sandbox, args: &[&str], journal: &str) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize { rows: 30, cols: 110, pixel_width: 0, pixel_height: 0 })
            .unwrap();
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_tminus"));
        command.args(args);
        command.cwd(sandbox.path());
        command.env("TMINUS_JOURNAL", journal);
        command.env("TERM", "xterm-256color");
        let child = pty.slave.spawn_command(command).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(30, 110, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let feed = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        // The master must outlive the child's use of the terminal.
        std::mem::forget(pty.master);
        Screen { parser, writer, child }
    }

    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text`; fails with the screen as it was.
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.text().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the screen never showed {text:?}; it shows:\n{}", self.text());
    }

    fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("tminus did not exit; the screen shows:\n{}", self.text());
    }
}

#[test]
fn the_lead_confirms_watches_output_and_rolls_back_from_the_keyboard() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    // Its day has come (an earlier date is today at 09:00): --go-now starts it even before 08:55.
    let mut screen = Screen::start(&s, &["run", "day.toml", "--operator", "naledi", "--go-now"]);
    screen.wait_for("Run \"Production deployment\"?");
    screen.wait_for("LIVE");
    screen.wait_for("lead naledi");
    screen.press("\r");
    screen.wait_for("deploying 75/75");
    screen.wait_for("? verify: Verification queries look right");
    // R, then the deliberate second key.
    screen.press("R");
    screen.wait_for("Roll back now? This runs, in order:");
    screen.wait_for("undo Production deployment: echo undone > undone");
    screen.press("y");
    // The rollback's checklist item is asked (its line in the event log), then ticked.
    screen.wait_for("? rollback-1: Announce the rollback in #deployments");
    screen.press("\r");
    screen.wait_for("ROLLED BACK");
    screen.press("q");
    assert_eq!(screen.exit_code(), 3);

    assert_eq!(s.read("undone"), "undone\n");
    let report = s.report_json();
    assert_eq!(report["state"]["rollback"]["requested_by"], "naledi");
    assert_eq!(step(&report, "deploy")["decisions"][0]["who"], "naledi");
    assert_eq!(step(&report, "deploy")["undo"]["outcome"], "passed");
}

#[test]
fn quitting_while_a_step_runs_asks_and_an_abort_is_journaled() {
    let s = Sandbox::new();
    s.write(
        "slow.toml",
        "[runbook]\nname = \"slow\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"wait\"\n  run = \"echo started; sleep 30\"\n",
    );
    let mut screen = Screen::start(&s, &["run", "slow.toml", "--operator", "naledi"]);
    screen.wait_for("started");
    screen.press("q");
    screen.wait_for("Leave the screen?");
    screen.press("a");
    // The step is ended and journaled; the run waits for a decision, and the lead stays.
    screen.wait_for("failed and is critical");
    let report = s.report_json();
    assert_eq!(step(&report, "wait")["status"], "aborted");
    assert_eq!(step(&report, "wait")["message"], "aborted by naledi");
    // Stopping the run is its own choice, with a reason; Ctrl-C offers it and ends nothing itself.
    screen.press("\x03");
    screen.wait_for("Leave the screen?");
    screen.press("x");
    screen.wait_for("Stop the run: why?");
    screen.press("change window closed\r");
    screen.wait_for("FAILED");
    screen.press("q");
    assert_eq!(screen.exit_code(), 1, "a failed critical step that nobody retried leaves the run failed");
    let report = s.report_json();
    assert_eq!(report["state"]["stopped"]["text"], "change window closed");
    assert_eq!(report["state"]["stopped"]["who"], "naledi");
}

const LONG: &str = r#"
[runbook]
name = "Long output"
[[phase]]
id = "p"
  [[phase.step]]
  id = "print"
  title = "Prints a lot"
  run = "for n in $(seq 1 3000); do printf 'line %04d\n' $n; done"
  [[phase.step]]
  id = "verify"
  manual = "The numbers look right"
"#;

#[test]
fn the_output_pane_scrolls_back_past_its_tail_into_lines_read_from_the_journal() {
    let s = Sandbox::new();
    s.write("long.toml", LONG);
    let mut screen = Screen::start(&s, &["run", "long.toml", "--operator", "naledi"]);
    // The checklist itself, not only its step in the timeline: Esc before it opens does nothing.
    screen.wait_for("⏎/y done");
    // Put the checklist aside, pick the step that printed, and look at its output.
    screen.press("\x1b");
    screen.wait_for("⏎ answer");
    screen.press("k");
    screen.wait_for("Output · print");
    screen.wait_for("line 3000");
    screen.press("\tg");
    // Line 1 is 2,500 lines older than the tail the screen keeps.
    screen.wait_for("line 1 of 3,000");
    screen.wait_for("line 0001");
    assert!(!screen.text().contains("line 3000"), "{}", screen.text());
    // The newest lines come back with G.
    screen.press("G");
    screen.wait_for("line 3000");
    screen.press("\r");
    screen.wait_for("⏎/y done");
    screen.press("y");
    screen.wait_for("■ SUCCEEDED");
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
}

/// The run's conductor process, from its lease in the journal.
fn conductor_pid(s: &Sandbox) -> i32 {
    let runs = s.tminus().args(["runs"]).output().stdout;
    let pid = runs.split("pid ").nth(1).and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next());
    pid.and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no conductor pid in `tminus runs`:\n{runs}"))
}

fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

const PRINTS: &str = r#"
[runbook]
name = "Long deployment"
[[phase]]
id = "deploy"
  [[phase.step]]
  id = "deploy"
  title = "Production deployment"
  run = "for n in 1 2 3 4 5 6; do echo deploying $n/6; sleep 0.5; done; touch deployed"
  [[phase.step]]
  id = "verify"
  manual = "Verification queries look right"
"#;

#[test]
fn the_run_outlives_a_closed_terminal_and_attach_brings_the_lead_back() {
    let s = Sandbox::new();
    s.write("day.toml", PRINTS);
    let mut screen = Screen::start(&s, &["run", "day.toml", "--operator", "naledi"]);
    screen.wait_for("deploying 1/6");
    assert!(!s.path().join("deployed").exists());
    // The terminal goes away mid-step.
    let pid = screen.child.process_id().unwrap() as i32;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGHUP).unwrap();
    screen.exit_code();
    // The step goes on to its end, and the run waits at its next prompt.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s.path().join("deployed").exists() {
        assert!(Instant::now() < deadline, "the step did not finish after its screen went away");
        std::thread::sleep(Duration::from_millis(100));
    }
    let report = s.report_json();
    assert_eq!(step(&report, "deploy")["status"], "passed");
    let sessions = report["state"]["sessions"].to_string();
    assert!(sessions.contains("lost (the screen went away)"), "{sessions}");

    // Back: the whole history and the prompt it waits on.
    let mut screen = Screen::start(&s, &["attach", "--operator", "Naledi M"]);
    screen.wait_for("Verification queries look right");
    screen.wait_for("deploy passed");
    screen.press("\r");
    screen.wait_for("SUCCEEDED");
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
    let report = s.report_json();
    let decision = &step(&report, "verify")["decisions"][0];
    assert_eq!(decision["who"], "Naledi M");
    let login = nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap().name;
    assert_eq!(decision["login"], login.as_str(), "the OS account is recorded, not a typed name");
}

#[test]
fn a_killed_conductor_is_resumed_by_attach() {
    let s = Sandbox::new();
    s.write("day.toml", PRINTS.replace("sleep 0.5", "true").as_str());
    let mut screen = Screen::start(&s, &["run", "day.toml", "--operator", "naledi"]);
    screen.wait_for("Verification queries look right");
    let pid = conductor_pid(&s);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "the conductor did not die");
        std::thread::sleep(Duration::from_millis(50));
    }
    screen.press("\x03");
    screen.wait_for("Leave the screen?");
    screen.press("d");
    screen.exit_code();
    let runs = s.tminus().args(["runs"]).output().stdout;
    assert!(runs.contains("conductor gone"), "{runs}");
    // A watcher is told, rather than shown ON TRACK forever.
    let mut watcher = Screen::start(&s, &["watch"]);
    watcher.wait_for("lead's conductor silent");
    watcher.press("q");
    watcher.exit_code();

    let mut screen = Screen::start(&s, &["attach", "--operator", "sam"]);
    screen.wait_for("Verification queries look right");
    screen.press("\r");
    screen.wait_for("SUCCEEDED");
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
    let report = s.report_json();
    assert_eq!(report["state"]["resumed"][0]["who"], "sam");
    assert_eq!(step(&report, "deploy")["attempts"], 1, "a finished step is not run again");
}

#[test]
fn two_screens_attached_the_first_answer_wins_and_both_see_it() {
    let s = Sandbox::new();
    s.write(
        "day.toml",
        "[runbook]\nname = \"two screens\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"one\"\n  \
         manual = \"First item\"\n  [[phase.step]]\n  id = \"two\"\n  manual = \"Second item\"\n",
    );
    let mut lead = Screen::start(&s, &["run", "day.toml", "--operator", "naledi"]);
    lead.wait_for("First item");
    let mut other = Screen::start(&s, &["attach", "--operator", "sam"]);
    other.wait_for("First item");
    other.press("\r");
    lead.wait_for("sam answered done for one");
    lead.wait_for("Second item");
    other.wait_for("Second item");
    lead.press("\r");
    lead.wait_for("SUCCEEDED");
    other.wait_for("SUCCEEDED");
    lead.press("q");
    other.press("q");
    assert_eq!(lead.exit_code(), 0);
    assert_eq!(other.exit_code(), 0);
    let report = s.report_json();
    assert_eq!(step(&report, "one")["decisions"].as_array().unwrap().len(), 1, "one answer, not two");
}

#[test]
fn an_observer_sees_the_leads_screen_and_cannot_act() {
    let s = Sandbox::new();
    s.write(
        "day.toml",
        "[runbook]\nname = \"watched day\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"hello\"\n  \
         run = \"echo hello from the lead\"\n  [[phase.step]]\n  id = \"check\"\n  manual = \"Dashboards are green\"\n",
    );
    let mut lead = Lead::start(&s, s.journal().to_str().unwrap(), "", "? check:");

    let mut screen = Screen::start(&s, &["watch"]);
    screen.wait_for("WATCHING");
    screen.wait_for("lead naledi");
    screen.wait_for("Dashboards are green");
    // Select the step that printed, and read its output.
    screen.press("k");
    screen.wait_for("hello from the lead");
    screen.press("R");
    screen.wait_for("read-only session: only the lead (naledi) can act on this run");
    screen.press("\r");
    assert!(!screen.text().contains("Checklist"), "an observer never gets the lead's prompt");
    // Searching takes every letter, those that are keys elsewhere too.
    screen.press("/deploy rsxyR");
    screen.wait_for("> deploy rsxyR");
    screen.press("\r");
    screen.wait_for("no line matches `deploy rsxyR`");
    screen.press("\x1b");

    lead.answer("y");
    assert_eq!(lead.child.wait().unwrap().code(), Some(0));
    screen.wait_for("SUCCEEDED");
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
}

#[test]
fn a_signal_gives_the_screen_back_and_ends_a_conductor_on_the_record() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let s = Sandbox::new();
    s.write("day.toml", PRINTS);
    let run: &[&str] = &["run", "day.toml", "--operator", "naledi"];
    let attach: &[&str] = &["attach", "--operator", "naledi"];
    for (args, signal) in [(run, Signal::SIGTERM), (attach, Signal::SIGINT), (attach, Signal::SIGQUIT)] {
        let mut screen = Screen::start(&s, args);
        screen.wait_for("deploying");
        kill(Pid::from_raw(screen.child.process_id().unwrap() as i32), signal).unwrap();
        screen.exit_code();
        let parser = screen.parser.lock().unwrap();
        assert!(
            !parser.screen().alternate_screen(),
            "{signal}: the terminal was left on the alternate screen"
        );
        assert!(!parser.screen().hide_cursor(), "{signal}: the cursor was left hidden");
    }
    // The conductor goes on without its screens; a SIGTERM to it ends the run on the record.
    let pid = conductor_pid(&s);
    kill(Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while alive(pid) {
        assert!(Instant::now() < deadline, "the conductor did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = s.report_json();
    assert_eq!(report["state"]["outcome"], "interrupted");
    assert_eq!(step(&report, "deploy")["message"], "interrupted: SIGTERM to the conductor");
    assert!(s.report_md().contains("the conductor got SIGTERM"));
    assert!(!s.path().join("deployed").exists(), "the step ran on after its conductor ended");
}

#[test]
fn attach_after_a_killed_conductor_ends_the_copy_still_running_before_a_retry() {
    let s = Sandbox::new();
    s.write(
        "day.toml",
        &PRINTS.replace(
            "for n in 1 2 3 4 5 6; do echo deploying $n/6; sleep 0.5; done; touch deployed",
            "echo deploying; [ -e once ] || { touch once; sleep 60; }; touch deployed",
        ),
    );
    let mut screen = Screen::start(&s, &["run", "day.toml", "--operator", "naledi"]);
    screen.wait_for("deploying");
    let pid = conductor_pid(&s);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    while alive(pid) {
        std::thread::sleep(Duration::from_millis(50));
    }
    screen.press("\x03");
    screen.wait_for("Leave the screen?");
    screen.press("d");
    screen.exit_code();

    let mut screen = Screen::start(&s, &["attach", "--operator", "sam"]);
    screen.wait_for("Still running");
    screen.wait_for("it will not run again while it does");
    screen.press("r");
    screen.wait_for("keys here: e end it");
    screen.press("e");
    screen.wait_for("Interrupted");
    screen.press("r");
    screen.wait_for("⏎/y done");
    screen.press("\r");
    screen.wait_for("SUCCEEDED");
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
    let md = s.report_md();
    assert!(md.contains("was ended with SIGTERM"), "{md}");
    assert!(md.contains("chain verified"), "{md}");
    assert_eq!(step(&s.report_json(), "deploy")["attempts"], 2);
}

#[test]
fn a_run_opened_early_shows_its_plan_and_countdown_and_starts_on_s() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    // A rehearsal: T-0 in 30 minutes, so the first phase is far ahead and nothing runs yet.
    let mut screen = Screen::start(&s, &["run", "day.toml", "--operator", "naledi", "--start", "now+30m"]);
    screen.wait_for("NOT STARTED");
    screen.wait_for("T-00:29:");
    screen.wait_for("S starts the run now");
    let runs = s.tminus().args(["runs"]).output().stdout;
    assert!(runs.contains("no runs"), "nothing is journaled before the start: {runs}");
    screen.press("S");
    screen.wait_for("Run \"Production deployment\"?");
    screen.wait_for("LIVE");
    screen.wait_for("T-00:2");
    // Leave at the prompt: the run waits there; its T-0 as used is journaled.
    screen.press("q");
    screen.exit_code();
    let report = s.report_json();
    let start = report["state"]["info"]["start"].as_str().unwrap().to_string();
    let start = chrono::DateTime::parse_from_rfc3339(&start).unwrap();
    let ahead = start.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(ahead > chrono::TimeDelta::minutes(25) && ahead <= chrono::TimeDelta::minutes(30), "{start}");
    assert_eq!(start.offset().local_minus_utc(), 2 * 3600, "in the runbook's own offset");
    // The run would wait at its prompt for good: end its conductor.
    let pid = conductor_pid(&s);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM).unwrap();
    while alive(pid) {
        std::thread::sleep(Duration::from_millis(50));
    }

    // q on the plan leaves with nothing started.
    let mut screen =
        Screen::start(&s, &["run", "day.toml", "--new", "--operator", "naledi", "--start", "now+2h"]);
    screen.wait_for("NOT STARTED");
    screen.press("q");
    screen.wait_for("nothing started.");
    assert_eq!(screen.exit_code(), 0);
    let runs = s.tminus().args(["runs"]).output().stdout;
    assert_eq!(runs.lines().filter(|l| l.contains("Screen rehearsal")).count(), 1, "{runs}");
}

#[test]
fn from_another_machine_a_driver_takes_over_the_lead_through_the_shared_journal() {
    let Some(base) = support::database_url("TMINUS_TEST_POSTGRES_URL") else { return };
    let driver = format!("tm_drive_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let owner = runtime.block_on(async {
        support::logins(&base, &[&driver]).await;
        support::postgres_schema(&base, "takeover").await
    });
    let s = Sandbox::new();
    s.write(
        "day.toml",
        &format!(
            "[runbook]\nname = \"handed over\"\n[roles]\n\"Technical Lead\" = {{ people = [\"{driver}\"], may = [\"drive\"] }}\n\
             [[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"watch\"\n  manual = \"Watch the dashboards overnight\"\n"
        ),
    );
    let mut lead = Lead::start(&s, &owner, "", "? watch:");
    let granted = s.tminus().env("TMINUS_JOURNAL", &owner).args(["grant", &driver, "sign"]).output();
    assert_eq!(granted.code, 0, "{}", granted.stderr);

    // Another machine: no socket of the conductor's, the shared journal as the driver's login.
    let elsewhere = Sandbox::new();
    let as_driver = owner.replacen("postgres@", &format!("{driver}@"), 1);
    let mut screen = Screen::on(&elsewhere, &["attach", "--take-over", "--operator", "Sipho"], &as_driver);
    screen.wait_for("took over the lead from naledi");
    // The new lead answers from there; the one who handed over no longer can.
    screen.press("\r");
    screen.wait_for("⏎/y done");
    screen.press("y");
    screen.wait_for("SUCCEEDED");
    screen.press("q");
    screen.exit_code();
    drop(lead.child.stdin.take());
    assert_eq!(lead.child.wait().unwrap().code(), Some(0));
    let report = s.tminus().env("TMINUS_JOURNAL", &owner).args(["report", "--format", "json"]).output();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(json["state"]["handovers"][0]["who"], format!("Sipho ({driver})"));
    assert_eq!(json["state"]["lead_login"], driver.as_str());
}

#[test]
fn a_journal_password_reaches_no_step_of_the_full_screen_or_headless() {
    let Some(base) = support::database_url("TMINUS_TEST_POSTGRES_URL") else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let owner = runtime.block_on(support::postgres_schema(&base, "password"));
    // The server trusts the login; the password is what a careless URL would leak.
    let with_password = owner.replacen("postgres@", "postgres:hunter2-journal@", 1);
    let s = Sandbox::new();
    s.write(
        "day.toml",
        "[runbook]\nname = \"env day\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"env\"\n  \
         run = \"env; cat /proc/$PPID/environ | tr '\\\\0' '\\\\n'; echo env printed\"\n  [[phase.step]]\n  id = \"ok\"\n  manual = \"Looked\"\n",
    );
    let mut screen = Screen::on(&s, &["run", "day.toml"], &with_password);
    screen.wait_for("Looked");
    screen.press("y");
    screen.wait_for("SUCCEEDED");
    assert!(!screen.text().contains("hunter2"), "{}", screen.text());
    screen.press("q");
    screen.exit_code();
    // Headless, the conductor is the process the password was given to: its steps do not
    // inherit it.
    s.write("day.toml", &s.read("day.toml").replace("cat /proc/$PPID/environ", "true"));
    let headless = s
        .tminus()
        .env("TMINUS_JOURNAL", &with_password)
        .args(["run", "day.toml", "--headless", "--yes"])
        .output();
    assert_eq!(headless.code, 0, "{}{}", headless.stdout, headless.stderr);
    assert!(headless.stdout.contains("env printed"), "{}", headless.stdout);
    assert!(!headless.stdout.contains("hunter2"), "{}", headless.stdout);
    let runs = s.tminus().env("TMINUS_JOURNAL", &owner).args(["runs"]).output();
    for run_id in runs.stdout.lines().filter_map(|l| l.split_whitespace().find(|w| w.starts_with("20"))) {
        let log = s.tminus().env("TMINUS_JOURNAL", &owner).args(["log", run_id, "env"]).output();
        assert!(log.stdout.contains("env printed"), "{run_id}: {}", log.stdout);
        assert!(!log.stdout.contains("hunter2"), "{run_id}: {}", log.stdout);
        assert!(!log.stdout.contains("TMINUS_JOURNAL"), "{run_id}: {}", log.stdout);
    }
}
