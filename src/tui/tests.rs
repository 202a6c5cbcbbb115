//! The screen without a terminal: keys as plain `KeyEvent`s, and whole screens rendered into
//! ratatui's `TestBackend` and compared with reviewed snapshots. Clocks are pinned, so the
//! snapshots hold no wall-clock time.

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{Action, App, Input, Modal, Purpose, Session};
use super::theme::Theme;
use super::ui;
use crate::engine::{Act, run_info};
use crate::journal::{Decision, Event, EventKind, Mode, Outcome, Prompt, Role, RunOutcome, Stream};

const RUNBOOK: &str = r#"
[runbook]
name = "Batch 2 rollout"
start = "2025-11-27T09:00:00+02:00"

[[contacts]]
role = "DevOps Lead"
name = "Sam Okafor"
reach = "+27 82 555 0102"

[[phase]]
id = "pre"
title = "Pre-deployment"
at = "-15m"
budget = "15m"
  [[phase.step]]
  id = "preflight"
  title = "Pre-flight checks"
  run = "bash preflight.sh"
  [[phase.step]]
  id = "backup"
  manual = "Backup exists and its size is plausible"
  [[phase.step]]
  id = "go"
  gate = "GO / NO-GO for production"
  signoff = ["Technical Lead"]

[[phase]]
id = "deploy"
title = "Deployment"
at = "0m"
budget = "15m"
  [[phase.step]]
  id = "deploy"
  title = "Production deployment"
  confirm = true
  run = "bash deploy.sh"
  undo = "bash undo.sh"
  [[phase.step]]
  id = "flags"
  title = "Feature flags on"
  run = "bash flags.sh"
  irreversible = true

[rollback]
  [[rollback.step]]
  manual = "Announce the rollback in #deployments"
"#;

/// 08:58:00 local (+02:00) on the day, the moment every screen is drawn at.
fn at(minutes_after_0858: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-27T08:58:00+02:00").unwrap().with_timezone(&Utc)
        + TimeDelta::seconds(minutes_after_0858)
}

struct Script {
    app: App,
    seq: i64,
}

impl Script {
    fn new() -> Self {
        Script::of(std::path::Path::new("batch2.toml"), RUNBOOK)
    }

    /// The real Batch 2 runbook, started at 08:58 on its day.
    fn batch2() -> Self {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/batch2-rollout.toml");
        Script::of(&path, &std::fs::read_to_string(&path).unwrap())
    }

    /// A run of the runbook `text` started, seen from the lead's screen.
    fn of(path: &std::path::Path, text: &str) -> Self {
        let runbook = crate::runbook::parse(path, text, &|_| None).unwrap();
        let theme = Theme::load(None, false).unwrap();
        let app = App::new("ops-lead".into(), theme, at(0), super::app::Session::Lead);
        let mut script = Script { app, seq: 0 };
        script.push(
            0,
            None,
            EventKind::RunStarted(Box::new(run_info(&runbook, Mode::Live, "ops-lead", "deploy-01"))),
        );
        script
    }

    /// Batch 2: the rehearsal and every pre-deployment step passed, up to its GO gate.
    fn before_the_gate(&mut self) -> &mut Self {
        let ids: Vec<String> = self
            .app
            .state
            .steps
            .iter()
            .filter(|s| matches!(s.phase.as_deref(), Some("rehearsal" | "preflight")))
            .map(|s| s.plan.id.clone())
            .take_while(|id| id != "go")
            .collect();
        self.push(0, None, EventKind::PhaseStarted { phase: "rehearsal".into() });
        for (i, id) in ids.iter().enumerate() {
            let at = 10 + 20 * i as i64;
            self.started(at, id).finished(at + 10, id, Outcome::Passed, 10_000, None);
        }
        self.started(399, "go")
    }

    fn push(&mut self, secs: i64, step: Option<&str>, kind: EventKind) -> &mut Self {
        self.push_data(secs, step, kind, b"")
    }

    fn push_data(&mut self, secs: i64, step: Option<&str>, kind: EventKind, data: &[u8]) -> &mut Self {
        self.seq += 1;
        let event = Event {
            run_id: "20251127-084500-a1b2".into(),
            seq: self.seq,
            at: at(secs),
            step: step.map(Into::into),
            kind,
            data: data.to_vec(),
        };
        self.app.apply(&event);
        self
    }

    fn started(&mut self, secs: i64, step: &str) -> &mut Self {
        self.push(secs, Some(step), EventKind::StepStarted { attempt: 1, role: Role::Main, command: None })
    }

    fn finished(
        &mut self,
        secs: i64,
        step: &str,
        outcome: Outcome,
        ms: u64,
        message: Option<&str>,
    ) -> &mut Self {
        let kind = EventKind::StepFinished {
            attempt: 1,
            role: Role::Main,
            outcome,
            exit_code: Some(0),
            duration_ms: ms,
            message: message.map(Into::into),
            metrics: Vec::new(),
        };
        self.push(secs, Some(step), kind)
    }

    fn ask(&mut self, secs: i64, step: &str, prompt: Prompt, text: &str) -> &mut Self {
        self.push(secs, Some(step), EventKind::ConfirmationRequested { prompt, text: text.into() })
    }

    fn decided(&mut self, secs: i64, step: &str, decision: Decision) -> &mut Self {
        self.push(
            secs,
            Some(step),
            EventKind::Decided { who: "ops-lead".into(), login: None, decision, reason: None, auto: false },
        )
    }

    /// Pre-flight passed with coloured output, the backup ticked, the gate signed and GO.
    fn through_the_gate(&mut self) -> &mut Self {
        self.push(0, None, EventKind::PhaseStarted { phase: "pre".into() })
            .started(1, "preflight")
            .push_data(2, Some("preflight"), EventKind::Output { stream: Stream::Stdout, lines: 3 }, b"\x1b[32mPASS\x1b[0m environment (3)\n\x1b[32mPASS\x1b[0m database reachable\n\x1b[1mGO DECISION\x1b[0m: 28/28\n")
            .finished(118, "preflight", Outcome::Passed, 117_000, None)
            .started(119, "backup")
            .ask(119, "backup", Prompt::Manual, "Backup exists and its size is plausible")
            .decided(130, "backup", Decision::Go)
            .finished(130, "backup", Outcome::Passed, 11_000, None)
            .started(131, "go")
            .ask(131, "go", Prompt::Signoff { role: "Technical Lead".into() }, "Sign-off for \"GO / NO-GO for production\": who approves as Technical Lead?")
            .decided(140, "go", Decision::Signed { role: "Technical Lead".into(), name: "Naledi Dube".into() })
            .ask(140, "go", Prompt::Gate, "GO / NO-GO for production — 2 of 2 steps passed")
            .decided(150, "go", Decision::Go)
            .finished(150, "go", Outcome::Passed, 19_000, Some("GO"))
            .push(150, None, EventKind::PhaseFinished { phase: "pre".into() })
            .push(151, None, EventKind::PhaseStarted { phase: "deploy".into() })
    }

    fn deploying(&mut self) -> &mut Self {
        self.through_the_gate()
            .ask(152, "deploy", Prompt::Confirm, "Run \"Production deployment\"? Command: bash deploy.sh — undo: bash undo.sh")
            .decided(155, "deploy", Decision::Go)
            .started(156, "deploy")
            .push_data(
                200,
                Some("deploy"),
                EventKind::Output { stream: Stream::Stdout, lines: 2 },
                b"inserting institution_gates 40/75\ninserting institution_gates 75/75\ninserting g12_logistics 9/15\n",
            )
    }

    fn screen(&mut self, width: u16, height: u16, secs: i64) -> String {
        self.app.now = at(secs);
        // As the screen's loop does: keys that scroll a page know how high the pane is.
        self.app.resize(ratatui::layout::Rect::new(0, 0, width, height));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| ui::draw(&self.app, frame)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>().trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(app: &mut App, keys: &str) -> Vec<Action> {
    keys.chars()
        .flat_map(|c| app.on_key(key(if c == '\n' { KeyCode::Enter } else { KeyCode::Char(c) })))
        .collect()
}

fn answer(to: i64, decision: Decision, reason: Option<&str>) -> Action {
    Action::Send(Act::Answer { to, decision, reason: reason.map(Into::into), auto: false })
}

#[test]
fn a_confirmation_is_answered_with_enter_and_a_no_go_needs_a_reason() {
    let mut s = Script::new();
    s.through_the_gate().ask(152, "deploy", Prompt::Confirm, "Run it?");
    assert!(matches!(s.app.modal, Some(Modal::Prompt { input: None })));
    let asked = s.app.state.last_seq;
    assert_eq!(press(&mut s.app, "\n"), vec![answer(asked, Decision::Go, None)]);
    assert_eq!(s.app.modal, None);

    let mut s = Script::new();
    s.through_the_gate().ask(152, "deploy", Prompt::Confirm, "Run it?");
    assert!(press(&mut s.app, "n").is_empty(), "n is not NO-GO: x is");
    assert!(s.app.notice.as_deref().unwrap().starts_with("keys here: ⏎/y run it"), "{:?}", s.app.notice);
    assert!(press(&mut s.app, "x\n").is_empty(), "an empty reason is not enough");
    assert_eq!(s.app.notice.as_deref(), Some("NO-GO: a reason is needed"));
    let asked = s.app.state.last_seq;
    assert_eq!(press(&mut s.app, "db down\n"), vec![answer(asked, Decision::NoGo, Some("db down"))]);
}

#[test]
fn gate_keys_sign_off_and_go() {
    let mut s = Script::new();
    s.push(0, None, EventKind::PhaseStarted { phase: "pre".into() }).ask(
        1,
        "go",
        Prompt::Signoff { role: "Technical Lead".into() },
        "who?",
    );
    // Enter opens the name, and nobody is filled in: Enter again names nobody.
    press(&mut s.app, "\n");
    assert!(press(&mut s.app, "\n").is_empty());
    assert_eq!(s.app.notice.as_deref(), Some("name the approver for Technical Lead"));
    // Ctrl-U clears what was typed.
    press(&mut s.app, "Sam");
    s.app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let asked = s.app.state.last_seq;
    assert_eq!(
        press(&mut s.app, "Dana\n"),
        vec![answer(asked, Decision::Signed { role: "Technical Lead".into(), name: "Dana".into() }, None)]
    );
    s.ask(2, "go", Prompt::Gate, "GO?");
    let asked = s.app.state.last_seq;
    // GO is typed out: g is not GO, and neither are two Enters.
    assert!(press(&mut s.app, "g").is_empty());
    assert!(press(&mut s.app, "\n\n").is_empty());
    assert_eq!(s.app.notice.as_deref(), Some("type GO to say GO, or Esc"));
    // Esc cancels the GO, and x is NO-GO.
    s.app.on_key(key(KeyCode::Esc));
    assert!(matches!(s.app.modal, Some(Modal::Prompt { input: None })));
    assert!(press(&mut s.app, "x\n").is_empty(), "a NO-GO needs its reason");
    s.app.on_key(key(KeyCode::Esc));
    assert_eq!(press(&mut s.app, "\ngo\n"), vec![answer(asked, Decision::Go, None)]);
}

#[test]
fn one_person_signs_two_roles_of_a_gate_only_by_saying_so() {
    let mut s = Script::batch2();
    s.push(0, None, EventKind::PhaseStarted { phase: "preflight".into() })
        .started(1, "go")
        .ask(1, "go", Prompt::Signoff { role: "Technical Lead".into() }, "who approves as Technical Lead?")
        .push(
            5,
            Some("go"),
            EventKind::Decided {
                who: "ops-lead".into(),
                login: None,
                decision: Decision::Signed { role: "Technical Lead".into(), name: "Naledi Dube".into() },
                reason: None,
                auto: false,
            },
        )
        .ask(5, "go", Prompt::Signoff { role: "QA Reviewer".into() }, "who approves as QA Reviewer?");
    let asked = s.app.state.last_seq;
    assert!(press(&mut s.app, "\nnaledi dube\n").is_empty(), "the same name is not taken as it is");
    insta::assert_snapshot!(s.screen(80, 24, 10));
    assert!(press(&mut s.app, "\n").is_empty(), "Enter alone does not confirm it");
    assert_eq!(
        press(&mut s.app, "yes\n"),
        vec![answer(
            asked,
            Decision::Signed { role: "QA Reviewer".into(), name: "naledi dube".into() },
            Some("naledi dube also signed as Technical Lead")
        )]
    );
}

#[test]
fn snapshot_signoff_shows_the_gates_results_before_the_names_at_80x24() {
    let mut s = Script::batch2();
    s.before_the_gate().ask(
        400,
        "go",
        Prompt::Signoff { role: "Technical Lead".into() },
        "Sign-off for \"GO / NO-GO\": who approves as Technical Lead?",
    );
    insta::assert_snapshot!(s.screen(80, 24, 410));
}

#[test]
fn snapshot_batch2_gate_keeps_its_keys_and_scrolls_at_80x24_and_60x16() {
    let mut s = Script::batch2();
    s.before_the_gate().ask(400, "go", Prompt::Gate, "GO / NO-GO: deploy Batch 2 — 13 of 13 steps passed");
    insta::assert_snapshot!("gate_80x24", s.screen(80, 24, 410));
    let small = s.screen(60, 16, 410);
    insta::assert_snapshot!("gate_60x16", small);
    assert!(small.contains("GO…") && small.contains("NO-GO"), "{small}");
    assert!(small.contains("ON TRACK"), "{small}");
    // PgDn scrolls the results, and says nothing of headless answers.
    s.app.on_key(key(KeyCode::PageDown));
    assert_eq!(s.app.notice, None);
    let scrolled = s.screen(60, 16, 410);
    insta::assert_snapshot!("gate_60x16_scrolled", scrolled);
    assert_ne!(small, scrolled);
}

#[test]
fn rollback_needs_a_second_deliberate_key() {
    let mut s = Script::new();
    s.deploying();
    assert!(press(&mut s.app, "R").is_empty());
    assert!(matches!(s.app.modal, Some(Modal::Rollback { .. })));
    assert!(press(&mut s.app, "\n").is_empty(), "Enter alone never rolls back");
    assert!(press(&mut s.app, "rsmoke failed\n").is_empty());
    assert_eq!(
        press(&mut s.app, "y"),
        vec![Action::Send(Act::Rollback { reason: Some("smoke failed".into()) })]
    );
    // Esc backs out without a word to the engine.
    press(&mut s.app, "R");
    assert!(s.app.on_key(key(KeyCode::Esc)).is_empty());
    assert_eq!(s.app.modal, None);
}

#[test]
fn quitting_while_a_step_runs_asks_first() {
    let mut s = Script::new();
    s.deploying();
    assert!(press(&mut s.app, "q").is_empty());
    assert_eq!(s.app.modal, Some(Modal::Quit));
    assert!(s.app.on_key(key(KeyCode::Esc)).is_empty(), "Esc stays");
    press(&mut s.app, "q");
    assert_eq!(press(&mut s.app, "a"), vec![Action::Send(Act::Abort)]);
    // Ctrl-C asks the same, and never ends anything by itself.
    let ctrl_c = s.app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(ctrl_c.is_empty());
    assert_eq!(s.app.modal, Some(Modal::Quit));
    assert_eq!(press(&mut s.app, "d"), vec![Action::Exit], "d detaches: the run goes on");
    // Stopping the run is its own choice, with a reason.
    press(&mut s.app, "q");
    assert!(press(&mut s.app, "x").is_empty());
    assert_eq!(
        press(&mut s.app, "change window closed\n"),
        vec![Action::Send(Act::Stop { reason: "change window closed".into() })]
    );
    s.push(300, None, EventKind::RunFinished { outcome: RunOutcome::Aborted });
    assert_eq!(press(&mut s.app, "q"), vec![Action::Exit], "after the end, q just quits");
}

#[test]
fn navigation_search_follow_and_notes() {
    let mut s = Script::new();
    s.deploying();
    assert_eq!(s.app.selected_step().unwrap().plan.id, "deploy", "follow selects the running step");
    press(&mut s.app, "kk");
    assert_eq!(s.app.selected_step().unwrap().plan.id, "backup");
    assert!(!s.app.follow);
    press(&mut s.app, "f");
    assert!(s.app.follow);
    assert_eq!(s.app.selected_step().unwrap().plan.id, "deploy");
    press(&mut s.app, "/institution\n");
    assert_eq!(s.app.matches().len(), 2);
    assert_eq!(s.app.search.as_deref(), Some("institution"));
    s.app.on_key(key(KeyCode::Esc));
    assert_eq!(s.app.search, None);
    assert_eq!(
        press(&mut s.app, "awaiting for the DBA\n"),
        vec![Action::Send(Act::Note { text: "waiting for the DBA".into() })]
    );
    s.app.on_key(key(KeyCode::Tab));
    assert_eq!(s.app.focus, super::app::Pane::Output);
}

/// `deploy` printing `n` numbered lines after its first three, in batches of 100.
fn printing(s: &mut Script, n: usize) {
    for from in (0..n).step_by(100) {
        let lines: String = (from..(from + 100).min(n)).map(|i| format!("row {i:04}\n")).collect();
        let kind = EventKind::Output { stream: Stream::Stdout, lines: 100 };
        s.push_data(201, Some("deploy"), kind, lines.as_bytes());
    }
}

#[test]
fn snapshot_scrolled_back_past_the_tail_reads_older_lines_and_stays_on_them() {
    let mut s = Script::new();
    s.deploying();
    s.app.older = Some(super::older::Older::default());
    printing(&mut s, 2000);
    s.screen(100, 28, 210);
    s.app.on_key(key(KeyCode::Tab));
    s.app.on_key(key(KeyCode::Home));
    let want = s.app.older_wanted().expect("lines older than the tail are asked for");
    assert_eq!((want.step.as_str(), want.lines.clone()), ("deploy", 0..200));
    assert_eq!(s.app.older_wanted(), None, "one read at a time");
    insta::assert_snapshot!("older_lines_loading", s.screen(100, 28, 210));

    // The journal's lines for them: the three the step printed first, then the numbered ones.
    let first = [
        "inserting institution_gates 40/75",
        "inserting institution_gates 75/75",
        "inserting g12_logistics 9/15",
    ];
    let mut lines: Vec<String> = first.map(String::from).to_vec();
    lines.extend((0..197).map(|i| format!("row {i:04}")));
    s.app.older_read(super::older::Page { want, lines: Ok(lines) });
    let top = s.screen(100, 28, 210);
    insta::assert_snapshot!("older_lines_read", top);

    // The step prints on: the view stays on its lines.
    printing(&mut s, 300);
    assert_eq!(s.app.older_wanted(), None, "the page read still holds every line shown");
    let later = s.screen(100, 28, 210);
    assert!(top.contains("line 1 of 2,003"), "{top}");
    assert_eq!(top.replace("2,003", "2,303"), later);

    // Paging down past the page read asks for the lines after it.
    for _ in 0..20 {
        s.app.on_key(key(KeyCode::PageDown));
    }
    let down = s.screen(100, 28, 210);
    assert!(down.contains("line 201 of 2,303") && down.contains("loading older lines…"), "{down}");
    let next = s.app.older_wanted().expect("the next page");
    assert!(next.lines.contains(&200) && next.lines.contains(&221), "{next:?}");
    // The newest lines are the tail's: nothing more to read.
    s.app.older_read(super::older::Page { want: next, lines: Err("the journal is gone".into()) });
    s.app.on_key(key(KeyCode::End));
    assert!(s.screen(100, 28, 210).contains("row 0299"));
    assert_eq!(s.app.older_wanted(), None);
}

#[test]
fn with_no_journal_the_output_scrolls_to_its_tails_first_line() {
    let mut s = Script::new();
    s.deploying();
    printing(&mut s, 2000);
    s.screen(100, 28, 210);
    s.app.on_key(key(KeyCode::Tab));
    s.app.on_key(key(KeyCode::Home));
    assert_eq!(s.app.older_wanted(), None);
    let screen = s.screen(100, 28, 210);
    assert!(screen.contains("row 1500") && screen.contains("line 1,504 of 2,003"), "{screen}");
    assert!(!screen.contains("loading"), "{screen}");
}

#[test]
fn snapshot_running_at_80x24() {
    let mut s = Script::new();
    s.deploying();
    insta::assert_snapshot!(s.screen(80, 24, 200));
}

#[test]
fn snapshot_running_at_120x32() {
    let mut s = Script::new();
    s.deploying();
    insta::assert_snapshot!(s.screen(120, 32, 200));
}

#[test]
fn snapshot_confirm_modal() {
    let mut s = Script::new();
    s.through_the_gate().ask(
        152,
        "deploy",
        Prompt::Confirm,
        "Run \"Production deployment\"? Command: bash deploy.sh — undo: bash undo.sh",
    );
    insta::assert_snapshot!(s.screen(100, 28, 153));
}

#[test]
fn snapshot_checklist_modal() {
    let mut s = Script::new();
    s.push(0, None, EventKind::PhaseStarted { phase: "pre".into() }).started(1, "backup").ask(
        1,
        "backup",
        Prompt::Manual,
        "Backup exists and its size is plausible",
    );
    insta::assert_snapshot!(s.screen(100, 28, 5));
}

#[test]
fn snapshot_signoff_modal_with_name_typed() {
    let mut s = Script::new();
    s.push(0, None, EventKind::PhaseStarted { phase: "pre".into() }).started(1, "go").ask(
        1,
        "go",
        Prompt::Signoff { role: "Technical Lead".into() },
        "Sign-off for \"GO / NO-GO for production\": who approves as Technical Lead?",
    );
    press(&mut s.app, "\n");
    insta::assert_snapshot!(s.screen(100, 28, 5));
}

#[test]
fn snapshot_gate_modal_lists_critical_failures_first() {
    let mut s = Script::new();
    s.push(0, None, EventKind::PhaseStarted { phase: "pre".into() })
        .started(1, "preflight")
        .finished(60, "preflight", Outcome::Failed, 59_000, Some("exit code 1 (expected 0)"))
        .decided(70, "preflight", Decision::Skip)
        .started(71, "backup")
        .finished(80, "backup", Outcome::Passed, 9_000, None)
        .started(81, "go")
        .ask(
            81,
            "go",
            Prompt::Gate,
            "GO / NO-GO for production — 1 of 2 steps passed; NOT MET (critical): preflight (failed)",
        );
    insta::assert_snapshot!(s.screen(100, 28, 90));
}

#[test]
fn snapshot_no_go_reason_being_typed() {
    let mut s = Script::new();
    s.push(0, None, EventKind::PhaseStarted { phase: "pre".into() }).started(1, "go").ask(
        1,
        "go",
        Prompt::Gate,
        "GO / NO-GO for production — 0 of 2 steps passed",
    );
    press(&mut s.app, "xBatch 1 regression");
    let screen = s.screen(100, 28, 5);
    insta::assert_snapshot!(screen);
    // A NO-GO names the first contact of the escalation list.
    assert!(screen.contains("Call Sam Okafor (DevOps Lead) · +27 82 555 0102"), "{screen}");
}

#[test]
fn snapshot_failure_modal() {
    let mut s = Script::new();
    s.deploying()
        .push_data(
            210,
            Some("deploy"),
            EventKind::Output { stream: Stream::Stdout, lines: 3 },
            b"FAIL g12_logistics: duplicate key value violates unique constraint\ninserting g12_logistics 10/15\nrolling the transaction back\n",
        )
        .push_data(
            211,
            Some("deploy"),
            EventKind::Output { stream: Stream::Stderr, lines: 1 },
            b"psql:batch2.sql:212: ERROR:  duplicate key (institution_id)=(4417)\n",
        );
    for n in 0..30 {
        let line = format!("cleanup {n}/30\n");
        s.push_data(
            212,
            Some("deploy"),
            EventKind::Output { stream: Stream::Stdout, lines: 1 },
            line.as_bytes(),
        );
    }
    s.finished(230, "deploy", Outcome::Failed, 74_000, Some("exit code 2 (expected 0)")).ask(
        230,
        "deploy",
        Prompt::Failure,
        "\"Production deployment\" failed and is critical: the run cannot go on as it is",
    );
    let screen = s.screen(100, 28, 240);
    insta::assert_snapshot!(screen);
    // The cause is in the dialog though the output pane has scrolled past it, and the first
    // contact of the runbook is named, at the smallest size too.
    for size in [(100, 28), (60, 16)] {
        let screen = s.screen(size.0, size.1, 240);
        assert!(screen.contains("ERROR:  duplicate key"), "{screen}");
        assert!(screen.contains("Call Sam Okafor"), "{screen}");
        assert!(screen.contains("r retry"), "{screen}");
    }
    insta::assert_snapshot!("failure_60x16", s.screen(60, 16, 240));
}

#[test]
fn snapshot_rollback_confirmation_lists_undo_and_irreversible() {
    let mut s = Script::new();
    s.deploying().finished(230, "deploy", Outcome::Passed, 74_000, None).started(231, "flags").finished(
        232,
        "flags",
        Outcome::Passed,
        1_000,
        None,
    );
    press(&mut s.app, "R");
    insta::assert_snapshot!(s.screen(100, 28, 240));
}

#[test]
fn snapshot_quit_modal() {
    let mut s = Script::new();
    s.deploying();
    press(&mut s.app, "q");
    insta::assert_snapshot!(s.screen(100, 28, 240));
}

#[test]
fn snapshot_help() {
    let mut s = Script::new();
    s.deploying();
    press(&mut s.app, "?");
    insta::assert_snapshot!(s.screen(100, 28, 240));
}

#[test]
fn snapshot_note_being_typed() {
    let mut s = Script::new();
    s.deploying();
    press(&mut s.app, "aDBA on the bridge");
    insta::assert_snapshot!(s.screen(100, 28, 240));
}

#[test]
fn snapshot_rolled_back() {
    let mut s = Script::new();
    s.deploying()
        .finished(230, "deploy", Outcome::Failed, 74_000, Some("exit code 2 (expected 0)"))
        .push(
            235,
            None,
            EventKind::RollbackRequested {
                who: "ops-lead".into(),
                login: None,
                reason: Some("deploy failed".into()),
            },
        )
        .push(
            235,
            None,
            EventKind::RollbackStarted {
                undo: vec!["deploy".into()],
                irreversible: vec![],
                no_undo: vec!["go".into(), "backup".into(), "preflight".into()],
            },
        )
        .push(
            236,
            Some("deploy"),
            EventKind::StepStarted { attempt: 1, role: Role::Undo, command: Some("bash undo.sh".into()) },
        )
        .push(
            240,
            Some("deploy"),
            EventKind::StepFinished {
                attempt: 1,
                role: Role::Undo,
                outcome: Outcome::Passed,
                exit_code: Some(0),
                duration_ms: 4_000,
                message: None,
                metrics: Vec::new(),
            },
        )
        .started(241, "rollback-1")
        .finished(250, "rollback-1", Outcome::Passed, 9_000, None)
        .push(250, None, EventKind::RollbackFinished { failed: vec![] })
        .push(251, None, EventKind::RunFinished { outcome: RunOutcome::RolledBack });
    insta::assert_snapshot!(s.screen(100, 28, 260));
}

#[test]
fn snapshot_too_small() {
    let mut s = Script::new();
    s.deploying();
    insta::assert_snapshot!(s.screen(50, 10, 240));
}

#[test]
fn a_retry_that_may_run_a_step_twice_is_typed_out() {
    let mut s = Script::new();
    s.deploying().ask(230, "deploy", Prompt::Unknown, "\"Production deployment\" was running when …");
    let asked = s.app.state.last_seq;
    assert!(press(&mut s.app, "r").is_empty());
    assert!(press(&mut s.app, "\n").is_empty(), "an empty retry is not sent");
    assert!(press(&mut s.app, "backup\n").is_empty(), "another step's id is not sent");
    assert_eq!(
        s.app.notice.as_deref(),
        Some("it may still be running: to retry it anyway, give its id, deploy")
    );
    for _ in 0.."backup".len() {
        s.app.on_key(key(KeyCode::Backspace));
    }
    assert_eq!(press(&mut s.app, "deploy\n"), vec![answer(asked, Decision::Retry, Some("deploy"))]);
}

#[test]
fn snapshot_a_copy_still_running_after_a_resume() {
    let mut s = Script::new();
    s.deploying().ask(
        240,
        "deploy",
        Prompt::StillRunning,
        "\"Production deployment\" is still running from the last conductor (process group 4242): it will \
         not run again while it does. Wait for it to end, end it now (TERM, then KILL), roll back, or stop",
    );
    let asked = s.app.state.last_seq;
    insta::assert_snapshot!(s.screen(100, 28, 250));
    assert_eq!(press(&mut s.app, "e"), vec![answer(asked, Decision::End, None)]);
}

#[test]
fn snapshot_the_demo_opened_at_0830_waits_on_its_plan_at_80x24() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/demo.toml");
    let runbook = crate::runbook::parse(&path, &std::fs::read_to_string(&path).unwrap(), &|_| None).unwrap();
    let theme = Theme::load(None, false).unwrap();
    let opened = at(-28 * 60); // 08:30
    let mut app = App::new("ops-lead".into(), theme, opened, super::app::Session::Preview);
    let info = run_info(&runbook, Mode::Live, "ops-lead", "");
    assert!(crate::engine::start::first_phase_ahead(&info, opened).is_some());
    let kind = EventKind::RunStarted(Box::new(info));
    app.apply(&Event { run_id: String::new(), seq: 0, at: opened, step: None, kind, data: Vec::new() });
    app.log.clear();
    let mut s = Script { app, seq: 0 };
    let screen = s.screen(80, 24, -28 * 60);
    assert!(screen.contains("T-00:30:00") && screen.contains("NOT STARTED"), "{screen}");
    insta::assert_snapshot!(screen);
    assert!(press(&mut s.app, "R").is_empty(), "nothing acts on a run not started");
    assert_eq!(press(&mut s.app, "S"), vec![Action::Start]);
}

#[test]
fn snapshot_batch2_over_two_days_dates_its_phases_at_120x40() {
    let mut s = Script::batch2();
    s.before_the_gate();
    press(&mut s.app, "G");
    let screen = s.screen(120, 40, 410);
    assert!(screen.contains("Timeline · T-0 Thu 27 Nov"), "{screen}");
    assert!(screen.contains("28 Nov 09:30"), "the phase on the next day is dated:\n{screen}");
    assert!(screen.contains("Log · times +02:00"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn long_lines_wrap_on_w_and_a_search_keeps_the_lines_after_its_match() {
    let mut s = Script::new();
    s.deploying();
    let long = format!("{} END-OF-LONG-LINE\n", "x".repeat(120));
    s.push_data(201, Some("deploy"), EventKind::Output { stream: Stream::Stdout, lines: 1 }, long.as_bytes());
    let lines: String = (1..=40).map(|n| format!("row {n:02}\n")).collect();
    s.push_data(
        202,
        Some("deploy"),
        EventKind::Output { stream: Stream::Stdout, lines: 40 },
        lines.as_bytes(),
    );
    press(&mut s.app, "/END-OF-LONG\n");
    assert!(!s.screen(80, 24, 210).contains("END-OF-LONG-LINE"), "cut at the pane's edge");
    s.app.on_key(key(KeyCode::Esc));
    press(&mut s.app, "w/END-OF-LONG\n");
    let wrapped = s.screen(80, 24, 210);
    assert!(s.app.wrap && wrapped.contains("END-OF-LONG-LINE"), "{wrapped}");
    assert!(wrapped.contains("row 01") && wrapped.contains("row 04"), "what followed the match:\n{wrapped}");
    press(&mut s.app, "w");
    s.app.on_key(key(KeyCode::Esc));
    press(&mut s.app, "/row 20\n");
    let found = s.screen(80, 24, 210);
    assert!(found.contains("row 20") && found.contains("row 24"), "{found}");
}

#[test]
fn the_status_and_clock_stay_in_the_header_at_60x16() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/demo.toml");
    let mut s = Script::of(&path, &std::fs::read_to_string(&path).unwrap());
    let screen = s.screen(60, 16, 361 * 86_400 + 120);
    let header = screen.lines().next().unwrap();
    assert!(header.contains("T+361d") && header.ends_with("● ON TRACK"), "{header}");
    assert!(header.contains("Demo: orders-api"), "{header}");
}

#[test]
fn the_screen_speaks_its_own_keys_not_the_headless_answers() {
    let mut s = Script::new();
    s.through_the_gate().ask(152, "deploy", Prompt::Confirm, "Run it?");
    assert!(s.app.log.iter().all(|(_, line)| !line.contains('[')), "{:?}", s.app.log);
    for key_code in [KeyCode::PageDown, KeyCode::Char('q')] {
        s.app.on_key(key(key_code));
        let notice = s.app.notice.clone().unwrap_or_default();
        assert!(!notice.contains("<reason>"), "{notice}");
    }
    // R is offered only while a rollback can start.
    let keys = |app: &App| ui::footer_keys(app).into_iter().map(|(k, _)| k).collect::<Vec<String>>();
    let mut s = Script::new();
    s.deploying();
    assert!(keys(&s.app).contains(&"R".to_string()));
    s.push(235, None, EventKind::RollbackRequested { who: "ops-lead".into(), login: None, reason: None });
    assert!(!keys(&s.app).contains(&"R".to_string()), "a rollback runs");
    s.push(251, None, EventKind::RunFinished { outcome: RunOutcome::RolledBack });
    assert!(!keys(&s.app).contains(&"R".to_string()), "the run has ended");
    // Esc while typing a rollback's reason cancels it.
    let mut s = Script::new();
    s.deploying();
    press(&mut s.app, "Rrtypo");
    s.app.on_key(key(KeyCode::Esc));
    assert_eq!(s.app.modal, Some(Modal::Rollback { reason: String::new(), typing: false }));
    s.app.on_key(key(KeyCode::Esc));
    assert_eq!(s.app.modal, None);
}

#[test]
fn a_screen_whose_login_may_not_roll_back_says_so_and_sends_nothing() {
    use crate::runbook::{May, Role, Roles};
    let mut s = Script::new();
    s.deploying();
    s.app.login = Some("thandi".into());
    s.app.state.lead_login = Some("naledi".into());
    let roles = vec![
        Role { name: "QA Reviewer".into(), people: vec!["thandi".into()], may: Vec::new() },
        Role { name: "DevOps Lead".into(), people: vec!["kabelo".into()], may: vec![May::Rollback] },
    ];
    s.app.state.info.as_mut().unwrap().roles = Roles(roles);
    assert!(press(&mut s.app, "R").is_empty());
    assert!(s.app.modal.is_none(), "no rollback dialog opens");
    assert_eq!(
        s.app.notice.as_deref(),
        Some("this session (thandi) may not roll back: the lead and kabelo may")
    );
    // The lead may, whatever the roles say.
    s.app.login = Some("naledi".into());
    press(&mut s.app, "R");
    assert!(matches!(s.app.modal, Some(Modal::Rollback { .. })));
}

#[test]
fn the_lead_who_hands_over_watches_from_then_on() {
    let mut s = Script::new();
    s.deploying();
    s.app.login = Some("naledi".into());
    let handover = EventKind::Handover {
        from: "Naledi".into(),
        from_login: "naledi".into(),
        to: "Sipho".into(),
        to_login: "sipho".into(),
    };
    s.push(120, Some("deploy"), handover);
    assert_eq!(s.app.session, super::app::Session::Watching);
    assert_eq!(s.app.notice.as_deref(), Some("Sipho leads the run now: this screen watches"));
    assert!(press(&mut s.app, "R").is_empty(), "a watcher's keys act on nothing");
}

#[test]
fn snapshot_contacts_in_escalation_order() {
    let mut s = Script::new();
    s.deploying();
    let info = s.app.state.info.as_mut().unwrap();
    info.contacts.push(crate::journal::PlannedContact {
        role: "Technical Lead".into(),
        name: Some("Naledi Dube".into()),
        reach: Some("Slack #deployments".into()),
    });
    info.contacts.push(crate::journal::PlannedContact {
        role: "QA Reviewer".into(),
        name: None,
        reach: None,
    });
    assert_eq!(press(&mut s.app, "c"), vec![]);
    let screen = s.screen(100, 28, 240);
    insta::assert_snapshot!(screen);
    let first = screen.find("1. DevOps Lead · Sam Okafor").expect("the first contact");
    assert!(
        first < screen.find("2. Technical Lead").unwrap() && screen.contains("3. QA Reviewer"),
        "{screen}"
    );
    press(&mut s.app, "x");
    assert!(!s.screen(100, 28, 240).contains("Escalation"));
    press(&mut s.app, "?");
    assert!(s.screen(100, 40, 240).contains("who to call"));
}

#[test]
fn every_key_a_prompt_shows_does_what_it_says_and_no_other_key_answers() {
    use crate::journal::Needs;
    for prompt in Prompt::kinds() {
        let prompt = match prompt {
            Prompt::Signoff { .. } => Prompt::Signoff { role: "QA Reviewer".into() },
            other => other,
        };
        let table = prompt.answers();
        let fresh = || {
            let mut s = Script::new();
            s.deploying().ask(300, "deploy", prompt.clone(), "the question");
            if !prompt.blocks() {
                // A running monitor's prompt is answered from the screen itself.
                s.app.modal = None;
            }
            s
        };
        // Every hint the footer shows is a key of the table, and pressing it does what it says.
        let s = fresh();
        let mut hinted = 0;
        for (shown, label) in ui::footer_keys(&s.app) {
            let Some(said) = table.iter().find(|a| shown.ends_with(a.key)) else { continue };
            hinted += 1;
            assert!(label.starts_with(said.label), "{prompt:?}: `{shown}` says {label}");
            let mut s = fresh();
            let to = s.app.state.waiting.as_ref().map(|w| w.seq).unwrap();
            let sent = s.app.on_key(key(KeyCode::Char(said.key)));
            match (&said.decision, said.needs) {
                (Decision::Rollback, _) => assert!(matches!(s.app.modal, Some(Modal::Rollback { .. }))),
                (decision, Needs::Nothing) => {
                    assert_eq!(sent, [answer(to, decision.clone(), None)], "{prompt:?}")
                }
                (_, needs) => {
                    assert!(sent.is_empty(), "{prompt:?} {needs:?}: nothing is sent before it is typed");
                    assert!(matches!(s.app.modal, Some(Modal::Prompt { input: Some(_) })), "{prompt:?}");
                }
            }
        }
        assert_eq!(hinted, table.len(), "{prompt:?}: every answer has its hint");
        // Every other key answers nothing.
        let keys = ('a'..='z').chain('A'..='Z').map(KeyCode::Char).chain([KeyCode::Enter]);
        for code in keys.filter(|&c| !table.iter().any(|a| super::app::says(a, c))) {
            let mut s = fresh();
            let sent = s.app.on_key(key(code));
            assert!(
                !sent.iter().any(|a| matches!(a, Action::Send(Act::Answer { .. }))),
                "{prompt:?}: {code:?} answered {sent:?}"
            );
        }
    }
}

#[test]
fn an_observer_types_any_word_into_the_search() {
    let mut s = Script::new();
    s.deploying();
    s.app.session = Session::Watching;
    press(&mut s.app, "/deploy error Rsx");
    assert_eq!(
        s.app.modal,
        Some(Modal::Typing { input: Input { purpose: Purpose::Search, text: "deploy error Rsx".into() } })
    );
    assert_eq!(s.app.notice, None);
    // Outside the search box the same letters act on nothing, and say so.
    s.app.on_key(key(KeyCode::Esc));
    assert!(press(&mut s.app, "d").is_empty());
    assert!(s.app.notice.as_deref().unwrap_or_default().contains("read-only"));
}
