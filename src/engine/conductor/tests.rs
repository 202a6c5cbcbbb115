//! The conductor's decisions, fed inputs and read back as effects: no bash, no database, no
//! network, no sleeping.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::engine::command::Via;
use crate::engine::process::EndedBy;

struct Harness {
    conductor: Conductor,
    now: Instant,
    /// Every effect so far, in order.
    log: Vec<Effect>,
}

fn machine() -> Machine {
    Machine { host: "host".into(), boot: "boot-1".into() }
}

fn who(name: &str) -> Who {
    Who { name: name.into(), login: format!("{name}-login") }
}

impl Harness {
    fn new(toml: &str, mode: Mode) -> Self {
        let runbook = crate::runbook::parse(Path::new("day.toml"), toml, &|_| None).expect("a valid runbook");
        let mut h = Harness {
            conductor: Conductor::new(Arc::new(runbook), mode, who("lead"), machine()),
            now: Instant::now(),
            log: Vec::new(),
        };
        h.on(Input::Start);
        h
    }

    fn on(&mut self, input: Input) -> Vec<String> {
        let effects = self.conductor.on(self.now, input);
        let said = effects.iter().map(describe).collect();
        self.log.extend(effects);
        said
    }

    /// `by` says `act` on the conductor's socket.
    fn say(&mut self, by: &str, act: Act) -> Vec<String> {
        self.on(Input::Command(Command { by: who(by), act, via: Via::Socket }))
    }

    /// The conductor's own process says `act`: a signal, as the OS delivered it.
    fn own(&mut self, act: Act) -> Vec<String> {
        self.on(Input::Command(Command { by: who("lead"), act, via: Via::Own }))
    }

    /// Answers the prompt standing now.
    fn answer(&mut self, by: &str, decision: Decision, reason: Option<&str>) -> Vec<String> {
        let to = self.prompt_seq();
        self.say(by, Act::Answer { to, decision, reason: reason.map(Into::into), auto: false })
    }

    fn prompt_seq(&self) -> i64 {
        match &self.conductor.doing {
            Doing::Asking(a) => a.seq,
            Doing::Monitoring => self.conductor.monitor.as_ref().map_or(0, |m| m.prompt),
            other => panic!("no prompt stands: {other:?}"),
        }
    }

    /// The unit started last, and what it runs.
    fn unit(&self) -> (UnitId, Work) {
        self.log
            .iter()
            .rev()
            .find_map(|e| match e {
                Effect::Start { unit, work } => Some((*unit, work.clone())),
                _ => None,
            })
            .expect("a unit was started")
    }

    fn exit(&mut self, code: i32) -> Vec<String> {
        let (unit, _) = self.unit();
        let exit = Exit { code: Some(code), signal: None, ended_by: None, lingering: false };
        self.on(Input::Unit(unit, UnitReport::Exited(exit)))
    }

    fn timer(&self) -> TimerId {
        self.log
            .iter()
            .rev()
            .find_map(|e| match e {
                Effect::Wake { timer, .. } => Some(*timer),
                _ => None,
            })
            .expect("a timer was set")
    }

    fn state(&self) -> &RunState {
        self.conductor.state()
    }

    fn ended(&self) -> Option<RunOutcome> {
        self.log.iter().find_map(|e| match e {
            Effect::End(outcome) => Some(*outcome),
            _ => None,
        })
    }
}

/// An effect in a word or two, for readable assertions.
fn describe(effect: &Effect) -> String {
    match effect {
        Effect::Append { step, kind } => {
            let extra = match kind {
                EventKind::StepFinished { outcome, .. } => format!(" {}", outcome.label()),
                EventKind::ConfirmationRequested { prompt, .. } => format!(" {prompt:?}"),
                EventKind::Decided { decision, .. } => format!(" {}", decision.label()),
                EventKind::RunFinished { outcome } => format!(" {}", outcome.label()),
                EventKind::StepStarted { role, .. } if *role != Role::Main => format!(" {role:?}"),
                _ => String::new(),
            };
            format!("{}{}{extra}", kind.name(), step.as_deref().map(|s| format!(" {s}")).unwrap_or_default())
        }
        Effect::Output { step, .. } => format!("output {step}"),
        Effect::Start { work: Work::Shell { script, .. }, .. } => format!("start `{script}`"),
        Effect::Start { work: Work::Check { kind, .. }, .. } => format!("start {} check", kind.name()),
        Effect::Start { work: Work::Leftover(Copy::Group(pgid)), .. } => format!("watch group {pgid}"),
        Effect::Start { work: Work::Leftover(Copy::Started(seq)), .. } => format!("look for event {seq}"),
        Effect::Stop(_) => "stop".into(),
        Effect::Wake { .. } => "wake".into(),
        Effect::End(outcome) => format!("end {}", outcome.label()),
    }
}

const DAY: &str = r#"
[runbook]
name = "day"
[[phase]]
id = "pre"
  [[phase.step]]
  id = "backup"
  run = "backup.sh"
  undo = "restore.sh"
  [[phase.step]]
  id = "flaky"
  run = "flaky.sh"
  retries = 2
  retry_delay = "10s"
  [[phase.step]]
  id = "ready"
  manual = "Dashboards are green"
  [[phase.step]]
  id = "go"
  gate = "GO?"
  signoff = ["QA Reviewer"]
[[phase]]
id = "deploy"
  [[phase.step]]
  id = "deploy"
  confirm = true
  run = "deploy.sh"
  undo = "undeploy.sh"
[rollback]
  [[rollback.step]]
  id = "announce"
  manual = "Announce the rollback"
"#;

#[test]
fn a_run_walks_its_plan_and_retries_with_backoff() {
    let mut h = Harness::new(DAY, Mode::Live);
    assert_eq!(
        h.log.iter().map(describe).collect::<Vec<_>>(),
        ["run_started", "phase_started", "step_started backup", "start `backup.sh`"]
    );
    let said = h.exit(0);
    assert_eq!(said, ["step_finished backup passed", "step_started flaky", "start `flaky.sh`"]);
    // A failed try waits out its backoff before the next; no unit runs meanwhile.
    assert_eq!(h.exit(1), ["step_finished flaky failed", "wake"]);
    let wake_at = h.log.iter().rev().find_map(|e| match e {
        Effect::Wake { at, .. } => Some(*at),
        _ => None,
    });
    assert_eq!(wake_at, Some(h.now + Duration::from_secs(10)));
    let timer = h.timer();
    assert_eq!(h.on(Input::Timer(timer)), ["step_started flaky", "start `flaky.sh`"]);
    assert_eq!(h.state().step("flaky").unwrap().attempts, 2);
    assert_eq!(h.exit(1), ["step_finished flaky failed", "wake"]);
    // The third try doubles the delay.
    let wake_at = h.log.iter().rev().find_map(|e| match e {
        Effect::Wake { at, .. } => Some(*at),
        _ => None,
    });
    assert_eq!(wake_at, Some(h.now + Duration::from_secs(20)));
    let timer = h.timer();
    h.on(Input::Timer(timer));
    let said = h.exit(0);
    assert_eq!(
        said,
        ["step_finished flaky passed", "step_started ready", "confirmation_requested ready Manual"]
    );
}

#[test]
fn a_gate_asks_each_role_then_go_and_a_no_go_ends_the_run() {
    let mut h = Harness::new(DAY, Mode::Live);
    h.exit(0);
    h.exit(0);
    h.answer("lead", Decision::Go, None);
    let Doing::Asking(asking) = &h.conductor.doing else { panic!() };
    assert_eq!(asking.prompt, Prompt::Signoff { role: "QA Reviewer".into() });
    let signed = Decision::Signed { role: "QA Reviewer".into(), name: "Thandi".into() };
    let said = h.answer("lead", signed, None);
    assert_eq!(
        said,
        ["decided go signed as QA Reviewer: Thandi", "head_signed", "confirmation_requested go Gate"]
    );
    let Some(waiting) = &h.state().waiting else { panic!() };
    assert!(waiting.text.contains("3 of 3 steps passed"), "{}", waiting.text);
    let said = h.answer("lead", Decision::NoGo, Some("error rate too high"));
    assert_eq!(
        said,
        [
            "decided go NO-GO",
            "head_signed",
            "step_finished go failed",
            "phase_finished",
            "run_finished NO-GO",
            "head_signed",
            "end NO-GO"
        ]
    );
    assert_eq!(h.state().step("go").unwrap().message.as_deref(), Some("NO-GO: error rate too high"));
}

#[test]
fn an_answer_to_a_prompt_that_has_gone_changes_nothing() {
    let mut h = Harness::new(DAY, Mode::Live);
    h.exit(0);
    h.exit(0);
    let checklist = h.prompt_seq();
    // Two screens answer the checklist item: the first answer wins.
    assert_eq!(h.answer("lead", Decision::Go, None).len(), 4);
    let late =
        h.say("other", Act::Answer { to: checklist, decision: Decision::Go, reason: None, auto: false });
    assert!(late.is_empty(), "a late answer must not answer the next prompt: {late:?}");
    // An answer the prompt does not take is refused, journaled with who sent it.
    let said = h.answer("lead", Decision::Retry, None);
    assert_eq!(said, ["refused go"]);
    assert_eq!(h.state().refused[0].login, "lead-login");
}

#[test]
fn notes_attach_and_detach_are_journaled_with_the_login() {
    let mut h = Harness::new(DAY, Mode::Live);
    assert_eq!(h.say("lead", Act::Attach), ["attached"]);
    assert_eq!(h.say("lead", Act::Note { text: "waiting for the DBA".into() }), ["note backup"]);
    assert_eq!(h.say("lead", Act::Detach { lost: true }), ["detached"]);
    let kinds: Vec<_> = h
        .log
        .iter()
        .filter_map(|e| match e {
            Effect::Append { kind: EventKind::Note { who, login, .. }, .. } => {
                Some((who.clone(), login.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(kinds, [("lead".to_string(), Some("lead-login".to_string()))]);
    assert_eq!(h.state().sessions.len(), 2);
    assert!(h.state().screens.is_empty());
    // The step went on through all of it.
    assert!(matches!(h.conductor.doing, Doing::Running(_)));
}

#[test]
fn aborting_a_running_step_ends_it_and_asks_what_next() {
    let mut h = Harness::new(DAY, Mode::Live);
    assert_eq!(h.say("lead", Act::Abort), ["stop"]);
    // A second word while it is being ended changes nothing.
    assert!(h.say("lead", Act::Abort).is_empty());
    let (unit, _) = h.unit();
    let exit = Exit { code: None, signal: Some(15), ended_by: Some(EndedBy::Abort), lingering: false };
    let said = h.on(Input::Unit(unit, UnitReport::Exited(exit)));
    assert_eq!(said, ["step_finished backup aborted", "confirmation_requested backup Failure"]);
    assert_eq!(h.state().step("backup").unwrap().message.as_deref(), Some("aborted by lead"));
    // Stopping at the failure prompt ends the run as failed.
    let said = h.say("lead", Act::Stop { reason: "change window closed".into() });
    assert_eq!(
        said,
        ["stop_requested", "phase_finished", "run_finished failed", "head_signed", "end failed"]
    );
    assert_eq!(h.state().stopped.as_ref().map(|s| s.text.as_str()), Some("change window closed"));
}

#[test]
fn a_rollback_undoes_newest_first_then_runs_the_rollback_steps() {
    let mut h = Harness::new(DAY, Mode::Live);
    h.exit(0);
    h.exit(0);
    h.answer("lead", Decision::Go, None);
    h.answer("lead", Decision::Signed { role: "QA Reviewer".into(), name: "Thandi".into() }, None);
    h.answer("lead", Decision::Go, None);
    h.answer("lead", Decision::Go, None);
    // The rollback the dialog previews is the rollback that runs: the running step too.
    let preview = h.state().rollback_plan();
    assert_eq!(preview.undo, ["deploy", "backup"]);
    let said = h.say("lead", Act::Rollback { reason: Some("smoke failed".into()) });
    assert_eq!(said, ["stop"]);
    // A second rollback while one is coming changes nothing.
    assert!(h.say("lead", Act::Rollback { reason: None }).is_empty());
    let said = h.exit(1);
    assert_eq!(
        said,
        [
            "step_finished deploy failed",
            "rollback_requested",
            "head_signed",
            "rollback_started",
            "step_started deploy Undo",
            "start `undeploy.sh`"
        ]
    );
    assert_eq!(h.state().rollback.as_ref().unwrap().undo, preview.undo);
    assert_eq!(h.state().rollback.as_ref().unwrap().requested_by, "lead");
    assert_eq!(h.exit(0), ["step_finished deploy passed", "step_started backup Undo", "start `restore.sh`"]);
    let said = h.exit(0);
    assert_eq!(
        said,
        [
            "step_finished backup passed",
            "step_started announce Rollback",
            "confirmation_requested announce Manual"
        ]
    );
    let said = h.answer("lead", Decision::Go, None);
    assert_eq!(
        said,
        [
            "decided announce GO",
            "step_finished announce passed",
            "rollback_finished",
            "phase_finished",
            "run_finished rolled back",
            "head_signed",
            "end rolled back"
        ]
    );
}

#[test]
fn a_dry_run_skips_what_has_no_dry_form_and_the_gate_does_not_count_it() {
    let mut h = Harness::new(DAY, Mode::DryRun);
    let said: Vec<String> = h.log.iter().map(describe).collect();
    assert!(said.contains(&"step_finished backup skipped".to_string()), "{said:?}");
    assert!(said.contains(&"step_finished flaky skipped".to_string()), "{said:?}");
    h.answer("lead", Decision::Go, None);
    h.answer("lead", Decision::Signed { role: "QA Reviewer".into(), name: "Thandi".into() }, None);
    assert!(h.state().unmet_before("go").is_empty(), "steps skipped for the dry run hold no gate");
    let Some(waiting) = &h.state().waiting else { panic!() };
    assert!(waiting.text.contains("2 skipped for the dry run"), "{}", waiting.text);
    let said = h.answer("lead", Decision::Go, None);
    assert!(said.contains(&"step_finished deploy skipped".to_string()), "{said:?}");
    assert_eq!(h.ended(), Some(RunOutcome::Succeeded));
}

#[test]
fn no_client_left_at_a_prompt_stops_safely_and_ctrl_c_interrupts() {
    let mut h = Harness::new(DAY, Mode::Live);
    h.exit(0);
    h.exit(0);
    h.say("lead", Act::Stop { reason: "end of input".into() });
    assert_eq!(h.ended(), Some(RunOutcome::Aborted));
    assert_eq!(h.state().step("ready").unwrap().status, crate::journal::state::StepStatus::Aborted);

    let mut h = Harness::new(DAY, Mode::Live);
    assert_eq!(h.own(Act::Interrupt { signal: "SIGINT".into() }), ["signalled backup", "stop"]);
    let (unit, _) = h.unit();
    let exit = Exit { code: None, signal: Some(15), ended_by: Some(EndedBy::Abort), lingering: false };
    h.on(Input::Unit(unit, UnitReport::Exited(exit)));
    assert_eq!(h.ended(), Some(RunOutcome::Interrupted));
}

const WATCH: &str = r#"
[runbook]
name = "watch"
[[phase]]
id = "p"
  [[phase.step]]
  id = "health"
  http = { url = "http://127.0.0.1:9/health", samples = 1 }
  [[phase.step]]
  id = "watch"
  monitor = { every = "30s", for = "2m", steps = ["health"], alert_after = 2 }
"#;

fn check(h: &mut Harness, pass: bool) -> Vec<String> {
    let (unit, work) = h.unit();
    assert!(matches!(work, Work::Check { .. }));
    let found =
        CheckOutcome { pass, message: Some(if pass { "200" } else { "500" }.into()), metrics: Vec::new() };
    h.on(Input::Unit(unit, UnitReport::Checked(found)))
}

#[test]
fn a_monitor_runs_rounds_alerts_and_can_be_ended_early() {
    let mut h = Harness::new(WATCH, Mode::Live);
    check(&mut h, true);
    assert!(matches!(h.conductor.doing, Doing::Monitoring));
    let t = h.timer();
    assert_eq!(h.on(Input::Timer(t)), ["start http check"]);
    assert_eq!(check(&mut h, false), ["output watch", "wake"]);
    h.now += Duration::from_secs(30);
    let t = h.timer();
    h.on(Input::Timer(t));
    let said = check(&mut h, false);
    assert_eq!(said, ["output watch", "confirmation_requested watch Alert"]);
    // Keep watching: the monitor's prompt stands again and the next round is scheduled.
    let said = h.answer("lead", Decision::Go, None);
    assert_eq!(said, ["decided watch GO", "confirmation_requested watch Monitor", "wake"]);
    // `done` to the monitor's prompt ends it early, as a decision with a name and a reason.
    assert_eq!(h.answer("lead", Decision::Done, None), ["refused watch"], "ended early without a reason");
    let said = h.answer("lead", Decision::Done, Some("the alert is a known flake"));
    assert_eq!(said[..2], ["decided watch done".to_string(), "step_finished watch failed".to_string()]);
    assert_eq!(h.state().step("watch").unwrap().metrics[0].value, "2 of 4");
}

#[test]
fn a_healthy_monitor_ended_early_is_not_a_pass() {
    let mut h = Harness::new(WATCH, Mode::Live);
    check(&mut h, true);
    let t = h.timer();
    h.on(Input::Timer(t));
    check(&mut h, true);
    let said = h.answer("lead", Decision::Done, Some("the change window closes"));
    assert_eq!(said[..2], ["decided watch done".to_string(), "step_finished watch ended early".to_string()]);
    let watch = h.state().step("watch").unwrap();
    assert_eq!(watch.status, crate::journal::state::StepStatus::EndedEarly);
    assert_eq!(watch.metrics[0].value, "1 of 4");
    assert_eq!(
        watch.message.as_deref(),
        Some("ended early by lead after 1 of 4 rounds, 0 failed: the change window closes")
    );
    assert_eq!(h.ended(), Some(RunOutcome::Succeeded), "the run goes on past a monitor ended early");
}

#[test]
fn a_monitor_ends_on_time() {
    let mut h = Harness::new(WATCH, Mode::Live);
    check(&mut h, true);
    for _ in 0..4 {
        let t = h.timer();
        h.on(Input::Timer(t));
        check(&mut h, true);
        h.now += Duration::from_secs(30);
    }
    let t = h.timer();
    let said = h.on(Input::Timer(t));
    assert_eq!(said[0], "step_finished watch passed");
    assert_eq!(h.ended(), Some(RunOutcome::Succeeded));
}

/// The run of DAY with `flaky` running as process group 4242 on `host`, when its conductor
/// went away; picked up again by a conductor on `machine`.
fn resumed_on(machine: Machine) -> (Harness, Vec<String>) {
    let mut first = Harness::new(DAY, Mode::Live);
    first.exit(0);
    let (unit, _) = first.unit();
    first.on(Input::Unit(unit, UnitReport::Spawned(4242)));
    let state = first.conductor.state().clone();
    let runbook = first.conductor.runbook.clone();
    let conductor = Conductor::new(runbook, Mode::Live, who("sam"), machine).resuming(state);
    let mut h = Harness { conductor, now: Instant::now(), log: Vec::new() };
    let said = h.on(Input::Start);
    (h, said)
}

fn leftover(h: &mut Harness, state: LeftoverState) -> Vec<String> {
    let (unit, _) = h.unit();
    h.on(Input::Unit(unit, UnitReport::Leftover(Some(4242), state)))
}

#[test]
fn a_copy_still_running_is_watched_and_nothing_runs_it_again_until_it_is_ended() {
    let (mut h, said) = resumed_on(machine());
    assert_eq!(said, ["run_resumed", "watch group 4242"]);
    let said = leftover(&mut h, LeftoverState::Running { processes: 2 });
    assert_eq!(said, ["leftover flaky", "confirmation_requested flaky StillRunning"]);
    // A retry is no answer while the first copy runs: refused, and said so in the journal.
    assert_eq!(h.answer("sam", Decision::Retry, None), ["refused flaky"]);
    assert!(
        h.state().refused[0].why.contains("not an answer to this still running"),
        "{:?}",
        h.state().refused
    );
    assert_eq!(h.answer("sam", Decision::End, None), ["decided flaky end it", "stop"]);
    let said = leftover(&mut h, LeftoverState::Ended { signal: "SIGTERM".into() });
    assert_eq!(said, ["leftover flaky", "confirmation_requested flaky Interrupted"]);
    let said = h.answer("sam", Decision::Retry, None);
    assert_eq!(said, ["decided flaky retry", "step_started flaky", "start `flaky.sh`"]);
}

#[test]
fn a_copy_that_ends_by_itself_withdraws_the_question() {
    let (mut h, _) = resumed_on(machine());
    leftover(&mut h, LeftoverState::Running { processes: 1 });
    let said = leftover(&mut h, LeftoverState::Finished);
    assert_eq!(said, ["leftover flaky", "confirmation_requested flaky Interrupted"]);
    assert_eq!(h.state().waiting.as_ref().map(|w| w.prompt.clone()), Some(Prompt::Interrupted));
}

#[test]
fn stopping_while_a_copy_runs_ends_that_copy_first() {
    let (mut h, _) = resumed_on(machine());
    leftover(&mut h, LeftoverState::Running { processes: 1 });
    let said = h.say("sam", Act::Stop { reason: "calling it".into() });
    assert_eq!(said, ["stop_requested", "stop"]);
    let said = leftover(&mut h, LeftoverState::Ended { signal: "SIGKILL".into() });
    assert_eq!(said, ["leftover flaky", "run_finished aborted", "head_signed", "end aborted"]);
}

#[test]
fn after_a_reboot_the_copy_is_gone_and_a_retry_is_safe() {
    let (_, said) = resumed_on(Machine { host: "host".into(), boot: "boot-2".into() });
    assert_eq!(said, ["run_resumed", "confirmation_requested flaky Interrupted"]);
}

#[test]
fn on_another_machine_a_retry_must_name_the_step() {
    let (mut h, said) = resumed_on(Machine { host: "elsewhere".into(), boot: "boot-9".into() });
    assert_eq!(said, ["run_resumed", "confirmation_requested flaky Unknown"]);
    let text = &h.state().waiting.as_ref().unwrap().text;
    assert!(text.contains("it ran on host as process group 4242") && text.contains("twice"), "{text}");
    assert_eq!(h.answer("sam", Decision::Retry, None), ["refused flaky"]);
    assert_eq!(h.answer("sam", Decision::Retry, Some("backup")), ["refused flaky"]);
    assert!(h.state().refused[1].why.contains("give its id, flaky"), "{:?}", h.state().refused);
    let said = h.answer("sam", Decision::Retry, Some("flaky"));
    assert_eq!(said, ["decided flaky retry", "step_started flaky", "start `flaky.sh`"]);
}

/// DAY with `flaky` started, and its conductor gone before its process group was journaled.
fn resumed_before_the_group_was_journaled(machine: Machine) -> (Harness, Vec<String>) {
    let mut first = Harness::new(DAY, Mode::Live);
    first.exit(0);
    let state = first.conductor.state().clone();
    let conductor =
        Conductor::new(first.conductor.runbook.clone(), Mode::Live, who("sam"), machine).resuming(state);
    let mut h = Harness { conductor, now: Instant::now(), log: Vec::new() };
    let said = h.on(Input::Start);
    (h, said)
}

#[test]
fn a_copy_whose_group_was_never_journaled_is_looked_for_by_the_event_it_carries() {
    let (mut h, said) = resumed_before_the_group_was_journaled(machine());
    // run_started, phase_started, backup started and finished: flaky started as event 5.
    assert_eq!(said, ["run_resumed", "look for event 5"]);
    let (unit, _) = h.unit();
    let said = h.on(Input::Unit(unit, UnitReport::Leftover(None, LeftoverState::Absent)));
    assert_eq!(said, ["leftover flaky", "confirmation_requested flaky Interrupted"]);

    let (mut h, _) = resumed_before_the_group_was_journaled(machine());
    let (unit, _) = h.unit();
    let said =
        h.on(Input::Unit(unit, UnitReport::Leftover(Some(77), LeftoverState::Running { processes: 1 })));
    assert_eq!(said, ["leftover flaky", "confirmation_requested flaky StillRunning"]);
    assert!(h.state().waiting.as_ref().unwrap().text.contains("(process group 77)"));

    // Elsewhere, nobody can look: a retry must be typed out.
    let elsewhere = Machine { host: "elsewhere".into(), boot: "boot-9".into() };
    let (_, said) = resumed_before_the_group_was_journaled(elsewhere);
    assert_eq!(said, ["run_resumed", "confirmation_requested flaky Unknown"]);
}

#[test]
fn a_signal_is_journaled_before_the_step_it_ends() {
    let mut h = Harness::new(DAY, Mode::Live);
    let said = h.own(Act::Interrupt { signal: "SIGTERM".into() });
    assert_eq!(said, ["signalled backup", "stop"]);
    let (unit, _) = h.unit();
    let exit = Exit { code: None, signal: Some(15), ended_by: Some(EndedBy::Abort), lingering: false };
    let said = h.on(Input::Unit(unit, UnitReport::Exited(exit)));
    assert_eq!(said[0], "step_finished backup aborted");
    let EventKind::StepFinished { message, .. } = &h
        .log
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::Append { kind: k @ EventKind::StepFinished { .. }, .. } => Some(k.clone()),
            _ => None,
        })
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(message.as_deref(), Some("interrupted: SIGTERM to the conductor"));
    assert_eq!(h.ended(), Some(RunOutcome::Interrupted));
}

const SIGNED: &str = r#"
[runbook]
name = "signed"
[roles]
"QA Reviewer" = { people = ["thandi-login", "sipho-login"] }
"Technical Lead" = { people = ["naledi-login", "sipho-login"], may = ["drive", "rollback"] }
"DevOps Lead" = { people = ["kabelo-login"], may = ["rollback"] }
[[phase]]
id = "p"
  [[phase.step]]
  id = "deploy"
  run = "deploy.sh"
  undo = "restore.sh"
  [[phase.step]]
  id = "go"
  gate = "GO for Batch 2?"
  signoff = ["QA Reviewer", "Technical Lead"]
"#;

fn signed(role: &str) -> Decision {
    Decision::Signed { role: role.into(), name: "typed by someone".into() }
}

#[test]
fn only_a_roles_people_sign_it_as_themselves_and_nobody_signs_two_roles() {
    let mut h = Harness::new(SIGNED, Mode::Live);
    h.exit(0);
    assert_eq!(h.answer("kabelo", signed("QA Reviewer"), None), ["refused go"]);
    let refused = &h.state().refused[0];
    assert_eq!((refused.login.as_str(), refused.what.as_str()), ("kabelo-login", "sign as QA Reviewer"));
    assert!(refused.why.contains("is not among the people of QA Reviewer"), "{}", refused.why);
    // The lead is no signer either, unless the role names them.
    assert_eq!(h.answer("lead", signed("QA Reviewer"), None), ["refused go"]);

    let said = h.answer("sipho", signed("QA Reviewer"), None);
    let next = "confirmation_requested go Signoff { role: \"Technical Lead\" }";
    assert_eq!(said, ["decided go signed as QA Reviewer: sipho", "head_signed", next]);
    let said = h.answer("sipho", signed("Technical Lead"), None);
    assert_eq!(said, ["refused go"]);
    assert!(h.state().refused.last().unwrap().why.contains("signed this gate as QA Reviewer already"));
    let said = h.answer("naledi", signed("Technical Lead"), None);
    assert_eq!(
        said,
        ["decided go signed as Technical Lead: naledi", "head_signed", "confirmation_requested go Gate"]
    );
    // GO itself is for those who drive.
    assert_eq!(h.answer("thandi", Decision::Go, None), ["refused go"]);
    assert_eq!(h.answer("naledi", Decision::Go, None)[0], "decided go GO");
}

#[test]
fn a_rollback_only_by_those_whose_role_may_and_a_take_over_only_by_a_driver() {
    let mut h = Harness::new(SIGNED, Mode::Live);
    assert_eq!(h.say("thandi", Act::Rollback { reason: Some("looks bad".into()) }), ["refused deploy"]);
    assert!(
        h.state().refused[0]
            .why
            .contains("only the lead (lead-login) and naledi-login, sipho-login, kabelo-login may roll back")
    );
    assert_eq!(h.say("thandi", Act::TakeOver), ["refused deploy"]);
    assert_eq!(h.say("naledi", Act::TakeOver), ["handover deploy"]);
    // The old lead keeps only what a role gives them: none here.
    assert_eq!(h.say("lead", Act::Abort), ["refused deploy"]);
    assert_eq!(h.say("kabelo", Act::Rollback { reason: Some("error rate".into()) }), ["stop"]);
    // The step the rollback cut into ends (its command was stopped), then the rollback runs.
    let said = h.exit(143);
    assert_eq!(said[..2], ["step_finished deploy failed".to_string(), "rollback_requested".to_string()]);
}

/// Every decision any client could send, with and without a reason.
fn every_decision(role: &str) -> Vec<(Decision, Option<String>)> {
    use Decision::*;
    let decisions =
        [Go, NoGo, Done, Skip, Retry, Rollback, End, Signed { role: role.into(), name: "Thandi".into() }];
    decisions.into_iter().flat_map(|d| [(d.clone(), None), (d, Some("deploy".to_string()))]).collect()
}

#[test]
fn at_every_prompt_only_the_answers_of_its_table_act() {
    let mut h = Harness::new(DAY, Mode::Live);
    let words: Vec<&str> = Prompt::kinds()
        .iter()
        .flat_map(|p| p.answers())
        .flat_map(|a| a.words.to_vec())
        .chain(["done", "ok", "sure", "GO", "wait", "note"])
        .collect();
    for prompt in Prompt::kinds() {
        let prompt = match prompt {
            Prompt::Signoff { .. } => Prompt::Signoff { role: "QA Reviewer".into() },
            other => other,
        };
        let seq = h.state().last_seq;
        h.conductor.doing = Doing::Asking(Asking {
            seq,
            prompt: prompt.clone(),
            step: "deploy".into(),
            about: About::Confirm,
        });
        // What the conductor takes is exactly what the table holds, with what it needs.
        for (decision, reason) in every_decision("QA Reviewer") {
            let act =
                Act::Answer { to: seq, decision: decision.clone(), reason: reason.clone(), auto: false };
            let taken = h.conductor.judge(&who("lead"), &act, Via::Socket);
            let table =
                prompt.answer(&decision).is_some_and(|a| a.complete(reason.as_deref(), "deploy").is_ok());
            assert_eq!(taken.is_ok(), table, "{prompt:?}: {decision:?} {reason:?} -> {taken:?}");
        }
        // Every word any client knows, typed headless: read as the table says, or not at all.
        for word in &words {
            for line in [word.to_string(), format!("{word} deploy")] {
                match prompt.read(&line, "deploy", "ops") {
                    Ok(crate::journal::Typed::Answer(decision, reason)) => {
                        let answer = prompt.answer(&decision).expect("a word the table holds");
                        assert!(
                            answer.words.iter().any(|w| w.eq_ignore_ascii_case(word)),
                            "{prompt:?} {line}"
                        );
                        let act = Act::Answer { to: seq, decision, reason, auto: false };
                        assert_eq!(h.conductor.judge(&who("lead"), &act, Via::Socket), Ok(true), "{line}");
                    }
                    Ok(crate::journal::Typed::Note(_)) => assert!(line.starts_with("note ")),
                    Err(_) => {}
                }
            }
        }
    }
}

#[test]
fn a_signal_or_a_transport_word_from_a_client_is_refused_with_its_login() {
    let mut h = Harness::new(SIGNED, Mode::Live);
    for act in [Act::Interrupt { signal: "SIGKILL".into() }, Act::Detach { lost: true }] {
        let said = h.on(Input::Command(Command { by: who("thandi"), act, via: Via::Inbox }));
        assert_eq!(said, ["refused deploy"]);
    }
    let refused = &h.state().refused;
    assert_eq!(
        (refused[0].login.as_str(), refused[0].what.as_str()),
        ("thandi-login", "interrupt the conductor (SIGKILL)")
    );
    // The lead's own socket is no proof on a journal whose people are database logins.
    let mut h = Harness::new(SIGNED, Mode::Live);
    h.conductor.identity = crate::engine::command::Identity::DatabaseLogins;
    assert_eq!(h.say("naledi", Act::Abort), ["refused deploy"]);
    assert!(h.state().refused[0].why.contains("the socket proves OS account naledi-login"));
    let said = h.on(Input::Command(Command { by: who("naledi"), act: Act::Abort, via: Via::Inbox }));
    assert_eq!(said, ["stop"]);
    // Without [roles], the run is its lead's alone.
    let mut h = Harness::new(DAY, Mode::Live);
    assert_eq!(h.say("thandi", Act::Stop { reason: "mine now".into() }), ["refused backup"]);
    assert!(h.state().refused[0].why.contains("no [roles]: only the lead (lead-login) may drive"));
    assert!(matches!(h.conductor.doing, Doing::Running(_)));
}

#[test]
fn an_undo_cut_short_by_the_conductors_end_is_asked_about_never_run_again_unasked() {
    let mut first = Harness::new(DAY, Mode::Live);
    first.exit(0);
    first.say("lead", Act::Rollback { reason: Some("smoke failed".into()) });
    let said = first.exit(143);
    assert_eq!(said.last().map(String::as_str), Some("start `restore.sh`"), "{said:?}");
    // The conductor is gone with the undo unfinished; the copy ended by itself meanwhile.
    let (unit, _) = first.unit();
    first.on(Input::Unit(unit, UnitReport::Spawned(4242)));
    let state = first.conductor.state().clone();
    let conductor =
        Conductor::new(first.conductor.runbook.clone(), Mode::Live, who("sam"), machine()).resuming(state);
    let mut h = Harness { conductor, now: Instant::now(), log: Vec::new() };
    assert_eq!(h.on(Input::Start), ["run_resumed", "watch group 4242"]);
    let said = leftover(&mut h, LeftoverState::Finished);
    assert_eq!(said, ["leftover backup", "confirmation_requested backup Interrupted"]);
    assert!(h.state().waiting.as_ref().unwrap().text.contains("the undo of \"backup\" was running"));
    // Marked done, with a reason: the rollback goes on without running it again.
    let said = h.answer("sam", Decision::Go, Some("restore.sh finished: checked the table"));
    assert_eq!(
        said[..3],
        ["decided backup GO", "step_finished backup passed", "step_started announce Rollback"]
    );
    assert!(!h.log.iter().map(describe).any(|e| e == "start `restore.sh`"));
}

#[test]
fn a_step_is_timed_from_when_it_began_not_from_the_decision_that_started_it() {
    let mut h = Harness::new(DAY, Mode::Live);
    // The journal held the start back for 22 s (an outage): the command began only then.
    h.now += Duration::from_secs(22);
    let (unit, _) = h.unit();
    assert!(h.on(Input::Unit(unit, UnitReport::Began)).is_empty());
    h.now += Duration::from_millis(8);
    h.exit(0);
    assert_eq!(h.state().step("backup").unwrap().duration_ms, Some(8));
}
