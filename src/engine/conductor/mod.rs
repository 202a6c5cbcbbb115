//! The conductor: one run's decisions as a plain state machine. It takes one [`Input`] at a time
//! (a client's command, a unit's report, a timer) and returns [`Effect`]s (append this event,
//! start or stop that unit, wake me then, the run is over). It does no I/O itself, so every
//! decision is tested without bash, a network or a database; the driver carries the effects out.

mod leftover;
mod monitor;
mod people;
mod prompts;
mod rollback;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::check::CheckOutcome;
use super::command::{Act, Command, Identity, Who};
use super::plan::{detail, run_info};
use super::process::Exit;
use super::verdict::{StdoutMatch, judge};
use crate::journal::{
    Decision, Event, EventKind, LeftoverState, Metric, Mode, Outcome, Prompt, Role, RunOutcome, RunState,
    Stream,
};
use crate::runbook::{Expect, Runbook, Step, StepKind};
pub use leftover::Copy;
use leftover::{Leftover, Unknown};
use monitor::MonitorRun;
use prompts::About;
use rollback::RollbackWalk;

pub type UnitId = u64;
pub type TimerId = u64;

#[derive(Debug)]
pub enum Input {
    /// Begin: journal the run's start, or that it was picked up again.
    Start,
    Command(Command),
    Unit(UnitId, UnitReport),
    Timer(TimerId),
}

/// What a running unit tells the conductor.
#[derive(Debug)]
pub enum UnitReport {
    /// The unit has begun its work: a step's time is counted from here, not from the decision
    /// that started it (the journal may have held it up meanwhile).
    Began,
    /// A batch of a command's output, cut at a line end where it could be.
    Output(Stream, Vec<u8>),
    /// A line of a check's progress.
    Line(String),
    /// A shell command ended (by itself, its timeout, or being stopped).
    Exited(Exit),
    /// A check ended.
    Checked(CheckOutcome),
    /// The unit could not start at all.
    Failed(String),
    /// A shell command runs, as this process group.
    Spawned(i32),
    /// A leftover copy of a step, watched: its process group once found, and whether it still
    /// runs or how it ended.
    Leftover(Option<i32>, LeftoverState),
}

impl UnitReport {
    /// Whether the unit has ended with this report.
    pub fn is_last(&self) -> bool {
        match self {
            UnitReport::Began | UnitReport::Output(..) | UnitReport::Line(_) | UnitReport::Spawned(_) => {
                false
            }
            UnitReport::Leftover(_, state) => !matches!(state, LeftoverState::Running { .. }),
            UnitReport::Exited(_) | UnitReport::Checked(_) | UnitReport::Failed(_) => true,
        }
    }
}

/// The I/O a unit does for the conductor.
#[derive(Debug, Clone)]
pub enum Work {
    Shell {
        script: String,
        timeout: Option<Duration>,
        /// The seq of the `StepStarted` event, which the command carries in its environment.
        started_event: i64,
    },
    Check {
        kind: StepKind,
        timeout: Option<Duration>,
    },
    /// Watch a step's copy left running by the last conductor; stopping it ends that copy.
    Leftover(Copy),
}

#[derive(Debug)]
pub enum Effect {
    Append {
        step: Option<String>,
        kind: EventKind,
    },
    Output {
        step: String,
        stream: Stream,
        data: Vec<u8>,
    },
    Start {
        unit: UnitId,
        work: Work,
    },
    /// End the unit now (a shell command's whole process group); it still reports its end.
    Stop(UnitId),
    Wake {
        at: Instant,
        timer: TimerId,
    },
    /// The run is over: `RunFinished`, and the head that signs it, are the last appends before this.
    End(RunOutcome),
}

/// Why someone cut into a running step.
#[derive(Debug, Clone)]
enum CutIn {
    Rollback {
        by: Who,
        reason: Option<String>,
    },
    Abort(Who),
    Stop(Who),
    /// A signal to the conductor (or Ctrl-C of one in the foreground), by name.
    Interrupt(String),
}

impl CutIn {
    /// Why the running step ended, for its `StepFinished`.
    fn why(&self) -> String {
        match self {
            CutIn::Rollback { by, .. } => format!("ended by {} for a rollback", by.name),
            CutIn::Abort(by) => format!("aborted by {}", by.name),
            CutIn::Stop(by) => format!("ended by {}, who stopped the run", by.name),
            CutIn::Interrupt(signal) => format!("interrupted: {signal} to the conductor"),
        }
    }
}

/// One attempt at a step (or its undo, or a rollback step).
#[derive(Debug, Clone)]
struct Attempt {
    step: String,
    role: Role,
    /// As journaled: the step's attempts so far, this one included.
    number: u32,
    /// Which of the `retries + 1` tries of this go at the step.
    try_n: u32,
    started: Instant,
}

#[derive(Debug)]
struct Running {
    unit: UnitId,
    at: Attempt,
    /// What a shell command is held against; `None` for a check.
    shell: Option<(Expect, Option<Duration>, StdoutMatch)>,
    cut_in: Option<CutIn>,
}

#[derive(Debug)]
struct Backoff {
    timer: TimerId,
    at: Attempt,
    outcome: Outcome,
}

#[derive(Debug)]
struct Asking {
    /// The `ConfirmationRequested` event's seq: answers name it.
    seq: i64,
    prompt: Prompt,
    step: String,
    about: About,
}

#[derive(Debug)]
enum Doing {
    /// Ready for the next thing: the walk (or the rollback) goes on.
    Idle,
    Asking(Asking),
    Running(Running),
    Backoff(Backoff),
    Monitoring,
    /// Watching (or ending) a copy of a step that the last conductor left running.
    Leftover(Leftover),
    Ended,
}

/// Where the walk through the plan is.
#[derive(Debug, Default)]
struct Walk {
    phase: usize,
    step: usize,
    /// The phase's start is journaled and its end is not.
    open: bool,
}

/// Where a step stands when a run is picked up again (for a new run: always fresh).
enum Standing {
    Fresh,
    Done,
    /// It was running, or had failed and waited on the operator, when the last conductor ended.
    Interrupted(&'static str),
}

/// Where the conductor runs: the machine, and which boot of it.
#[derive(Debug, Clone)]
pub struct Machine {
    pub host: String,
    pub boot: String,
}

pub struct Conductor {
    runbook: Arc<Runbook>,
    mode: Mode,
    /// Who started (or picked up) the run.
    lead: Who,
    /// Which accounts the run's people are, so which transport proves them.
    identity: Identity,
    machine: Machine,
    /// A fold of every event it appended: what its decisions read.
    state: RunState,
    resumed: bool,
    now: Instant,
    effects: Vec<Effect>,
    doing: Doing,
    walk: Walk,
    rollback: Option<RollbackWalk>,
    monitor: Option<MonitorRun>,
    /// A step (and role) whose last copy may still run somewhere nobody can look: a retry
    /// of it must be typed out.
    unknown: Option<Unknown>,
    ids: u64,
}

impl Conductor {
    /// A new run of `runbook`.
    pub fn new(runbook: Arc<Runbook>, mode: Mode, lead: Who, machine: Machine) -> Self {
        Conductor {
            runbook,
            mode,
            lead,
            identity: Identity::OsAccounts,
            machine,
            state: RunState::default(),
            resumed: false,
            now: Instant::now(),
            effects: Vec::new(),
            doing: Doing::Idle,
            walk: Walk::default(),
            rollback: None,
            monitor: None,
            unknown: None,
            ids: 0,
        }
    }

    /// Its people are `identity`: OS accounts (a file journal) or database logins (shared).
    pub fn people_are(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Picks up a run whose conductor is gone: `state` is its journal folded so far.
    pub fn resuming(mut self, state: RunState) -> Self {
        self.mode = state.mode();
        self.state = state;
        self.resumed = true;
        self
    }

    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// Takes one input at `now` and returns what to do about it, in order.
    pub fn on(&mut self, now: Instant, input: Input) -> Vec<Effect> {
        self.now = now;
        if !matches!(self.doing, Doing::Ended) {
            match input {
                Input::Start => self.start(),
                Input::Command(command) => self.command(command),
                Input::Unit(unit, report) => self.unit(unit, report),
                Input::Timer(timer) => self.timer(timer),
            }
            self.pump();
        }
        std::mem::take(&mut self.effects)
    }

    fn start(&mut self) {
        if self.resumed {
            let lead = self.lead.clone();
            let host = self.machine.host.clone();
            let kind = EventKind::RunResumed { who: lead.name, login: Some(lead.login), host, key: None };
            self.emit(None, kind);
            // A copy of a step the last conductor left running is settled before anything else.
            self.look_for_leftover();
            if matches!(self.doing, Doing::Idle) {
                self.carry_on();
            }
        } else {
            let mut info = run_info(&self.runbook, self.mode, &self.lead.name, &self.machine.host);
            info.login = Some(self.lead.login.clone());
            self.emit(None, EventKind::RunStarted(Box::new(info)));
        }
    }

    /// Goes on while nothing is in hand: the next step, or the next part of a rollback.
    fn pump(&mut self) {
        while matches!(self.doing, Doing::Idle) {
            if self.rollback.is_some() {
                self.rollback_next();
            } else {
                self.walk_next();
            }
        }
    }

    fn walk_next(&mut self) {
        let runbook = self.runbook.clone();
        let Some(phase) = runbook.phases.get(self.walk.phase) else {
            return self.end(RunOutcome::Succeeded);
        };
        if !self.walk.open {
            let journaled = self.state.phases.iter().find(|p| p.id == phase.id);
            if journaled.is_some_and(|p| p.finished_at.is_some()) {
                self.walk.phase += 1;
                return;
            }
            if journaled.is_none_or(|p| p.started_at.is_none()) {
                self.emit(None, EventKind::PhaseStarted { phase: phase.id.clone() });
            }
            self.walk = Walk { phase: self.walk.phase, step: 0, open: true };
            return;
        }
        let Some(step) = phase.steps.get(self.walk.step) else {
            self.emit(None, EventKind::PhaseFinished { phase: phase.id.clone() });
            self.walk = Walk { phase: self.walk.phase + 1, step: 0, open: false };
            return;
        };
        match self.standing(step) {
            Standing::Done => self.walk.step += 1,
            Standing::Interrupted(_) if self.is_unknown(&step.id, Role::Main) => {
                self.ask_unknown(&step.id, Role::Main);
            }
            Standing::Interrupted(why) => {
                let text = format!(
                    "\"{}\" {why} when the last conductor ended: retry it, mark it done with a reason, or roll back",
                    step.title
                );
                self.ask(&step.id, Prompt::Interrupted, text, About::Interrupted(Role::Main));
            }
            Standing::Fresh => self.begin(step),
        }
    }

    fn standing(&self, step: &Step) -> Standing {
        use crate::journal::state::StepStatus::*;
        let Some(s) = self.state.step(&step.id) else { return Standing::Fresh };
        let skipped = s.decisions.iter().any(|d| d.decision == Decision::Skip);
        match s.status {
            Passed | Skipped | EndedEarly => Standing::Done,
            Failed | TimedOut | Aborted if !step.critical || skipped => Standing::Done,
            Failed | TimedOut | Aborted => Standing::Interrupted("had failed"),
            Running if step.kind.step_type().acts() => Standing::Interrupted("was running"),
            // Nothing ran yet, or it only waited on a person: asking again is safe.
            Pending | Waiting | Running => Standing::Fresh,
        }
    }

    /// The step in hand is settled: on to the next one.
    fn next(&mut self) {
        self.walk.step += 1;
        self.doing = Doing::Idle;
    }

    /// Ends the run: the open phase closes, then `RunFinished`.
    fn end(&mut self, outcome: RunOutcome) {
        if self.walk.open {
            if let Some(phase) = self.runbook.phases.get(self.walk.phase) {
                self.emit(None, EventKind::PhaseFinished { phase: phase.id.clone() });
            }
            self.walk.open = false;
        }
        self.emit(None, EventKind::RunFinished { outcome });
        self.seal();
        self.effects.push(Effect::End(outcome));
        self.doing = Doing::Ended;
    }

    fn dry(&self) -> bool {
        self.mode == Mode::DryRun
    }

    /// A step of the plan or of the `[rollback]` section.
    fn plan_step(&self, id: &str) -> Option<Step> {
        self.runbook.step(id).or_else(|| self.runbook.rollback.iter().find(|s| s.id == id)).cloned()
    }

    fn begin(&mut self, step: &Step) {
        if self.dry() && matches!(step.kind, StepKind::Run(_)) && step.dry_run.is_none() {
            self.skip(&step.id, Role::Main, "skipped for the dry run: no `dry_run` form".into());
            return self.next();
        }
        if step.confirm {
            let text = confirm_text(step, self.dry());
            return self.ask(&step.id, Prompt::Confirm, text, About::Confirm);
        }
        self.perform(step);
    }

    /// Does the step (confirmed, if it asks for that).
    fn perform(&mut self, step: &Step) {
        match &step.kind {
            StepKind::Run(_) | StepKind::Http(_) | StepKind::Sql(_) => self.launch(&step.id, Role::Main, 1),
            StepKind::Manual(text) => self.manual(&step.id, Role::Main, text),
            StepKind::Gate(_) => {
                let at = self.attempt(&step.id, Role::Main, 1);
                self.emit(
                    Some(&step.id),
                    EventKind::StepStarted { attempt: 1, role: Role::Main, command: None },
                );
                self.signoff_or_gate(step, 0, at.started);
            }
            StepKind::Monitor(monitor) => self.start_monitor(step, monitor),
        }
    }

    fn attempt(&self, step: &str, role: Role, try_n: u32) -> Attempt {
        let number = match role {
            Role::Undo => 1,
            _ => self.state.step(step).map_or(0, |s| s.attempts) + 1,
        };
        Attempt { step: step.to_string(), role, number, try_n, started: self.now }
    }

    /// Starts try `try_n` of a shell command or a check, for the step itself, its undo, or a
    /// rollback step.
    fn launch(&mut self, id: &str, role: Role, try_n: u32) {
        if self.is_unknown(id, role) {
            return self.ask_unknown(id, role);
        }
        let Some(step) = self.plan_step(id) else { return self.doing = Doing::Idle };
        let at = self.attempt(id, role, try_n);
        // The seq the `StepStarted` below is journaled as.
        let started_event = self.state.last_seq + 1;
        let (work, command, shell) = match (&step.kind, role) {
            (_, Role::Undo) => {
                let script = step.undo.clone().unwrap_or_default();
                let expect = Expect::default();
                let matched = StdoutMatch::new(&expect);
                (
                    Work::Shell { script: script.clone(), timeout: step.timeout, started_event },
                    script,
                    Some((expect, step.timeout, matched)),
                )
            }
            (StepKind::Run(command), _) => {
                let script = if self.dry() {
                    step.dry_run.clone().unwrap_or(command.clone())
                } else {
                    command.clone()
                };
                let matched = StdoutMatch::new(&step.expect);
                let shell = Some((step.expect.clone(), step.timeout, matched));
                let work = Work::Shell { script: script.clone(), timeout: step.timeout, started_event };
                (work, script, shell)
            }
            (kind, _) => (Work::Check { kind: kind.clone(), timeout: step.timeout }, detail(kind), None),
        };
        let started = EventKind::StepStarted { attempt: at.number, role, command: Some(command) };
        self.emit(Some(id), started);
        let unit = self.id();
        self.effects.push(Effect::Start { unit, work });
        self.doing = Doing::Running(Running { unit, at, shell, cut_in: None });
    }

    fn unit(&mut self, unit: UnitId, report: UnitReport) {
        if let UnitReport::Leftover(pgid, state) = report {
            return self.leftover_report(unit, pgid, state);
        }
        if matches!(self.doing, Doing::Monitoring) {
            return self.monitor_unit(unit, report);
        }
        let Doing::Running(run) = &mut self.doing else { return };
        if run.unit != unit {
            return;
        }
        let step = run.at.step.clone();
        match report {
            UnitReport::Began => run.at.started = self.now,
            UnitReport::Output(stream, data) => {
                if let (Stream::Stdout, Some((_, _, matched))) = (stream, run.shell.as_mut()) {
                    matched.feed(&data);
                }
                self.output(&step, stream, data);
            }
            UnitReport::Line(line) => self.output(&step, Stream::Stdout, format!("{line}\n").into_bytes()),
            UnitReport::Spawned(pgid) => {
                let Machine { host, boot } = self.machine.clone();
                self.emit(Some(&step), EventKind::Spawned { pgid, host, boot });
            }
            UnitReport::Leftover(..) => {}
            UnitReport::Exited(exit) => {
                let Doing::Running(mut run) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
                let (expect, timeout, mut matched) = run
                    .shell
                    .take()
                    .unwrap_or_else(|| (Expect::default(), None, StdoutMatch::new(&Expect::default())));
                let why = run.cut_in.as_ref().map(CutIn::why);
                let (outcome, message) = judge(&exit, &expect, matched.finish(), timeout, why);
                self.finish(&run.at, outcome, exit.code, message, Vec::new());
                self.attempt_ended(run.at, outcome, run.cut_in);
            }
            UnitReport::Checked(found) => {
                let Doing::Running(run) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
                let (outcome, message, metrics) = match &run.cut_in {
                    Some(cut) => (Outcome::Aborted, Some(cut.why()), Vec::new()),
                    None if found.pass => (Outcome::Passed, found.message, found.metrics),
                    None => (Outcome::Failed, found.message, found.metrics),
                };
                self.finish(&run.at, outcome, None, message, metrics);
                self.attempt_ended(run.at, outcome, run.cut_in);
            }
            UnitReport::Failed(why) => {
                let Doing::Running(run) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
                self.finish(&run.at, Outcome::Failed, None, Some(why), Vec::new());
                self.attempt_ended(run.at, Outcome::Failed, run.cut_in);
            }
        }
    }

    /// An attempt is journaled as ended: cut short, tried again after a backoff, or settled.
    fn attempt_ended(&mut self, at: Attempt, outcome: Outcome, cut_in: Option<CutIn>) {
        if let Some(cut) = cut_in {
            return self.settle_cut(&at, outcome, cut);
        }
        let Some(step) = self.plan_step(&at.step) else { return self.attempt_done(&at, outcome) };
        let tries = if at.role == Role::Undo { 1 } else { step.retries + 1 };
        if outcome.is_failure() && at.try_n < tries {
            let timer = self.id();
            let at_time = self.now + backoff(step.retry_delay, at.try_n + 1);
            self.effects.push(Effect::Wake { at: at_time, timer });
            self.doing = Doing::Backoff(Backoff { timer, at, outcome });
            return;
        }
        self.attempt_done(&at, outcome);
    }

    /// A step's last attempt is in: the walk goes on, or a failed critical step asks a person.
    fn attempt_done(&mut self, at: &Attempt, outcome: Outcome) {
        if at.role != Role::Main {
            return self.rollback_step_done(&at.step, outcome);
        }
        let Some(step) = self.plan_step(&at.step) else { return self.next() };
        if !outcome.is_failure() || !step.critical {
            return self.next();
        }
        let text = format!("\"{}\" failed and is critical: the run cannot go on as it is", step.title);
        self.ask(&step.id, Prompt::Failure, text, About::Failure);
    }

    /// What a cut-in means once the step it cut into has ended.
    fn settle_cut(&mut self, at: &Attempt, outcome: Outcome, cut: CutIn) {
        match cut {
            CutIn::Rollback { by, reason } => self.request_rollback(by, reason),
            // Only the step ends: the run goes on to its next decision.
            CutIn::Abort(_) => self.attempt_done(at, outcome),
            CutIn::Stop(_) => self.stop_run(RunOutcome::Aborted),
            CutIn::Interrupt(_) => self.stop_run(RunOutcome::Interrupted),
        }
    }

    /// Ends the run now, closing a rollback under way first.
    fn stop_run(&mut self, outcome: RunOutcome) {
        if self.rollback.is_some() {
            return self.rollback_cut_short(outcome);
        }
        self.end(outcome);
    }

    fn timer(&mut self, timer: TimerId) {
        match &self.doing {
            Doing::Backoff(b) if b.timer == timer => {
                let Doing::Backoff(b) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
                self.launch(&b.at.step, b.at.role, b.at.try_n + 1);
            }
            Doing::Monitoring => self.monitor_timer(timer),
            _ => {}
        }
    }

    fn command(&mut self, command: Command) {
        let Command { by, act, via } = command;
        let Some(act) = self.permitted(&by, act, via) else { return };
        match act {
            Act::Attach => {
                return self.emit(None, EventKind::Attached { who: by.name, login: by.login });
            }
            Act::Detach { lost } => {
                return self.emit(None, EventKind::Detached { who: by.name, login: by.login, lost });
            }
            Act::Note { text } => {
                let step = self.step_in_hand();
                return self
                    .emit(step.as_deref(), EventKind::Note { who: by.name, login: Some(by.login), text });
            }
            Act::TakeOver => return self.take_over(by),
            Act::Notified { receiver, notice, error } => {
                let delivered = error.is_none();
                return self.emit(None, EventKind::Notified { receiver, notice, delivered, error });
            }
            _ => {}
        }
        if let Doing::Asking(asking) = &self.doing {
            return self.prompt_command(asking.seq, by, act);
        }
        let cut = match act {
            // Nothing but a rollback cuts into a rollback: its steps are what must run now.
            Act::Rollback { .. } | Act::Answer { decision: Decision::Rollback, .. }
                if self.rollback.is_some() =>
            {
                return;
            }
            Act::Rollback { reason } => CutIn::Rollback { by, reason },
            // A rollback typed as an answer to a prompt that has just gone is still a rollback.
            Act::Answer { decision: Decision::Rollback, reason, to, .. } if !self.monitor_answer(to) => {
                CutIn::Rollback { by, reason }
            }
            Act::Answer { to, decision, reason, auto } => {
                return self.monitor_command(to, by, decision, reason, auto);
            }
            Act::Abort => CutIn::Abort(by),
            Act::Stop { reason } => {
                self.stop_requested(&by, reason);
                CutIn::Stop(by)
            }
            Act::Interrupt { signal } => self.signalled(signal),
            Act::Attach
            | Act::Detach { .. }
            | Act::Note { .. }
            | Act::TakeOver
            | Act::Notified { .. }
            | Act::Unreadable { .. } => {
                return;
            }
        };
        self.cut_in(cut);
    }

    fn stop_requested(&mut self, by: &Who, reason: String) {
        let kind = EventKind::StopRequested { who: by.name.clone(), login: by.login.clone(), reason };
        self.emit(None, kind);
    }

    /// A signal is journaled the moment it arrives, before the step it ends has ended.
    fn signalled(&mut self, signal: String) -> CutIn {
        self.emit(self.step_in_hand().as_deref(), EventKind::Signalled { signal: signal.clone() });
        CutIn::Interrupt(signal)
    }

    /// Someone cut in while something runs, waits out a backoff, or monitors.
    fn cut_in(&mut self, cut: CutIn) {
        match &mut self.doing {
            Doing::Running(run) => {
                if run.cut_in.is_none() {
                    run.cut_in = Some(cut);
                    let unit = run.unit;
                    self.effects.push(Effect::Stop(unit));
                }
            }
            Doing::Backoff(_) => {
                let Doing::Backoff(b) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
                self.settle_cut(&b.at, b.outcome, cut);
            }
            Doing::Monitoring => self.monitor_cut(cut),
            Doing::Leftover(_) => self.leftover_cut(cut),
            Doing::Idle | Doing::Asking(_) | Doing::Ended => {}
        }
    }

    /// The step whose moment it is, for a note.
    fn step_in_hand(&self) -> Option<String> {
        match &self.doing {
            Doing::Asking(a) => Some(a.step.clone()),
            Doing::Running(r) => Some(r.at.step.clone()),
            Doing::Backoff(b) => Some(b.at.step.clone()),
            Doing::Monitoring => self.monitor.as_ref().map(|m| m.step.clone()),
            Doing::Leftover(l) => Some(l.step.clone()),
            Doing::Idle | Doing::Ended => None,
        }
    }

    fn id(&mut self) -> u64 {
        self.ids += 1;
        self.ids
    }

    /// Appends an event, and folds it so the next decision sees it.
    fn emit(&mut self, step: Option<&str>, kind: EventKind) {
        let event = Event {
            run_id: self.state.run_id.clone(),
            seq: self.state.last_seq + 1,
            at: Utc::now(),
            step: step.map(str::to_string),
            kind: kind.clone(),
            data: Vec::new(),
        };
        self.state.apply(&event);
        self.effects.push(Effect::Append { step: step.map(str::to_string), kind });
    }

    /// Asks for the chain's head to be signed: at every gate, rollback and the run's end, so
    /// the journal's history up to there cannot be written again without the conductor's key.
    /// The journal's writer, which holds the chain and the key, fills the head in.
    fn seal(&mut self) {
        let (hash, key, signature) = (String::new(), String::new(), String::new());
        self.emit(None, EventKind::HeadSigned { head: self.state.last_seq, hash, key, signature });
    }

    /// Output is journaled but not folded here: no decision reads it back.
    fn output(&mut self, step: &str, stream: Stream, data: Vec<u8>) {
        self.state.last_seq += 1;
        self.effects.push(Effect::Output { step: step.to_string(), stream, data });
    }

    fn finish(
        &mut self,
        at: &Attempt,
        outcome: Outcome,
        exit_code: Option<i32>,
        message: Option<String>,
        metrics: Vec<Metric>,
    ) {
        let kind = EventKind::StepFinished {
            attempt: at.number,
            role: at.role,
            outcome,
            exit_code,
            duration_ms: self.now.saturating_duration_since(at.started).as_millis() as u64,
            message,
            metrics,
        };
        self.emit(Some(&at.step), kind);
    }

    /// A step that did not run, and why.
    fn skip(&mut self, step: &str, role: Role, why: String) {
        let at = Attempt { step: step.to_string(), role, number: 0, try_n: 1, started: self.now };
        self.finish(&at, Outcome::Skipped, None, Some(why), Vec::new());
    }
}

/// The delay before try `n` (2, 3, …): `retry_delay`, doubling each time, at most ten minutes.
fn backoff(delay: Duration, n: u32) -> Duration {
    let doublings = n.saturating_sub(2).min(16);
    (delay * 2u32.pow(doublings)).min(Duration::from_secs(600))
}

fn confirm_text(step: &Step, dry: bool) -> String {
    let mut text = format!("Run \"{}\"?", step.title);
    if let StepKind::Run(command) = &step.kind {
        let command = if dry { step.dry_run.as_deref().unwrap_or(command) } else { command };
        text.push_str(&format!(" Command: {command}"));
    }
    match (&step.undo, step.irreversible) {
        (_, true) => text.push_str(" — IRREVERSIBLE: a rollback cannot undo it"),
        (Some(undo), false) => text.push_str(&format!(" — undo: {undo}")),
        (None, false) => {}
    }
    text
}
