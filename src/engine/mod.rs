//! The doing: a state machine that walks the plan, takes [`Command`]s and journals [`Event`]s.
//! It knows nothing of terminals; front-ends send commands and draw the events it emits.

mod check;
mod checks;
mod http;
mod output;
mod plan;
mod process;
mod rollback;
mod sql;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::journal::{
    Decision, Event, EventKind, Journal, Metric, Mode, Outcome, Prompt, Role, RunOutcome, RunState,
    StoreError, Stream,
};
use crate::runbook::{Expect, Gate, Redactor, Runbook, Step, StepKind, format_duration};
use output::Batcher;
use process::{CommandSpec, EndedBy, Exit, ProcEvent, ProcessRun};

pub use plan::{detail, run_info};

/// What a front-end asks of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// An answer to the prompt the engine is waiting on.
    Answer { who: String, decision: Decision, reason: Option<String>, auto: bool },
    /// A note for the journal, at any moment.
    Note { who: String, text: String },
    /// Roll back now: from a prompt, or in the middle of a running step.
    Rollback { who: String, reason: Option<String> },
    /// Stop safely: no answer will come (end of input), or the operator aborts the running step.
    Abort { who: String },
    /// Ctrl-C.
    Interrupt,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Journal(#[from] StoreError),
}

type Result<T> = std::result::Result<T, EngineError>;

pub struct Options {
    pub mode: Mode,
    pub operator: String,
    pub host: String,
}

/// What the operator said, as far as the step in hand is concerned.
enum Reply {
    Decided(Decision, Option<String>),
    Rollback { who: String, reason: Option<String> },
    Abort { who: String },
    Interrupt,
}

impl Reply {
    /// Why a running step was ended when the operator cut in.
    fn why(&self) -> String {
        match self {
            Reply::Rollback { who, .. } => format!("ended by {who} for a rollback"),
            Reply::Abort { who } => format!("aborted by {who}"),
            Reply::Interrupt | Reply::Decided(..) => "interrupted".to_string(),
        }
    }
}

/// The delay before try `n` (2, 3, …): `retry_delay`, doubling each time, at most ten minutes.
fn backoff(delay: Duration, n: u32) -> Duration {
    let doublings = n.saturating_sub(2).min(16);
    (delay * 2u32.pow(doublings)).min(Duration::from_secs(600))
}

/// Where a step stands when a run is picked up again (for a new run: always fresh).
enum Standing {
    Fresh,
    Done,
    /// It was running, or had failed and waited on the operator, when the session ended.
    Interrupted(&'static str),
}

enum Flow {
    Next,
    End(RunOutcome),
}

/// Which run of which step an ending belongs to.
#[derive(Clone, Copy)]
struct Attempt<'a> {
    step: &'a str,
    role: Role,
    number: u32,
}

/// How a step (or one attempt of it) ended, as journaled.
struct Ending {
    outcome: Outcome,
    exit: Option<i32>,
    elapsed: Duration,
    message: Option<String>,
    metrics: Vec<Metric>,
}

impl Ending {
    fn new(outcome: Outcome, elapsed: Duration, message: Option<String>) -> Self {
        Ending { outcome, exit: None, elapsed, message, metrics: Vec::new() }
    }
}

/// How one command ended.
struct Ran {
    outcome: Outcome,
    /// The operator cut in while it ran (rollback, abort, Ctrl-C).
    cut_in: Option<Reply>,
}

pub struct Engine {
    runbook: Arc<Runbook>,
    journal: Journal,
    commands: mpsc::Receiver<Command>,
    commands_open: bool,
    events: mpsc::Sender<Event>,
    options: Options,
    /// The engine's own fold of what it journaled: the gate summary and rollback read it.
    state: RunState,
    redactor: Redactor,
    env: Vec<(String, String)>,
    /// One client for every HTTP check: connections are reused across samples and rounds.
    http: reqwest::Client,
    /// Picking up a run from its journal rather than starting one.
    resumed: bool,
    /// A rollback is under way: another rollback request changes nothing.
    rolling_back: bool,
}

impl Engine {
    pub fn new(
        runbook: Arc<Runbook>,
        journal: Journal,
        options: Options,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<Event>,
    ) -> Self {
        // Commands also learn which tminus runs them and for which run: a runbook can call
        // `"$TMINUS" example-api` or stamp its own logs with the run id.
        let tminus =
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "tminus".into());
        let env = runbook
            .vars
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .chain([
                ("TMINUS".to_string(), tminus),
                ("TMINUS_RUN_ID".to_string(), journal.run_id().to_string()),
            ])
            .collect();
        Engine {
            redactor: runbook.redactor(),
            runbook,
            journal,
            commands,
            commands_open: true,
            events,
            options,
            state: RunState::default(),
            env,
            http: reqwest::Client::builder()
                .user_agent(concat!("tminus/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the HTTP client builds with its defaults"),
            resumed: false,
            rolling_back: false,
        }
    }

    /// Picks up a run whose lead's session ended: `state` is its journal folded so far.
    pub fn resuming(mut self, state: RunState) -> Self {
        self.state = state;
        self.resumed = true;
        self
    }

    /// Drives the whole run and returns how it ended; the journal holds every step of the way.
    pub async fn run(mut self) -> Result<RunOutcome> {
        let outcome = if self.resumed {
            let (who, host) = (self.options.operator.clone(), self.options.host.clone());
            self.emit(None, EventKind::RunResumed { who, host }).await?;
            match &self.state.rollback {
                // A rollback under way goes on from where it was.
                Some(_) => self.roll_back().await?,
                None => self.phases().await?,
            }
        } else {
            let info = run_info(&self.runbook, self.options.mode, &self.options.operator, &self.options.host);
            self.emit(None, EventKind::RunStarted(info)).await?;
            self.phases().await?
        };
        self.emit(None, EventKind::RunFinished { outcome }).await?;
        Ok(outcome)
    }

    async fn phases(&mut self) -> Result<RunOutcome> {
        let runbook = self.runbook.clone();
        for phase in &runbook.phases {
            let state = self.state.phases.iter().find(|p| p.id == phase.id);
            let (started, finished) =
                state.map_or((false, false), |p| (p.started_at.is_some(), p.finished_at.is_some()));
            if finished {
                continue;
            }
            if !started {
                self.emit(None, EventKind::PhaseStarted { phase: phase.id.clone() }).await?;
            }
            for step in &phase.steps {
                let flow = match self.standing(step) {
                    Standing::Done => continue,
                    Standing::Interrupted(why) => self.interrupted(step, why).await?,
                    Standing::Fresh => self.step(step).await?,
                };
                if let Flow::End(outcome) = flow {
                    self.emit(None, EventKind::PhaseFinished { phase: phase.id.clone() }).await?;
                    return Ok(outcome);
                }
            }
            self.emit(None, EventKind::PhaseFinished { phase: phase.id.clone() }).await?;
        }
        Ok(RunOutcome::Succeeded)
    }

    /// Journals an event, folds it, then hands it to the front-end: in that order, always.
    async fn emit(&mut self, step: Option<&str>, kind: EventKind) -> Result<()> {
        let event = self.journal.append(step, kind).await?;
        self.publish(event).await;
        Ok(())
    }

    async fn emit_output(&mut self, step: &str, stream: Stream, data: &[u8]) -> Result<()> {
        let event = self.journal.append_output(step, stream, data).await?;
        self.publish(event).await;
        Ok(())
    }

    async fn publish(&mut self, event: Event) {
        self.state.apply(&event);
        // A front-end that has gone away must not stop the run from being journaled.
        let _ = self.events.send(event).await;
    }

    async fn finish(&mut self, at: Attempt<'_>, end: Ending) -> Result<()> {
        let kind = EventKind::StepFinished {
            attempt: at.number,
            role: at.role,
            outcome: end.outcome,
            exit_code: end.exit,
            duration_ms: end.elapsed.as_millis() as u64,
            message: end.message,
            metrics: end.metrics,
        };
        self.emit(Some(at.step), kind).await
    }

    /// A step that did not run, and why.
    async fn skip(&mut self, step: &str, role: Role, why: Option<String>) -> Result<()> {
        let at = Attempt { step, role, number: 0 };
        self.finish(at, Ending::new(Outcome::Skipped, Duration::ZERO, why)).await
    }

    async fn next_command(&mut self) -> Option<Command> {
        if !self.commands_open {
            return None;
        }
        let command = self.commands.recv().await;
        self.commands_open = command.is_some();
        command
    }

    /// Asks the operator and waits; notes are journaled while the question stands.
    async fn ask(&mut self, step: Option<&str>, prompt: Prompt, text: String) -> Result<Reply> {
        self.emit(step, EventKind::ConfirmationRequested { prompt: prompt.clone(), text }).await?;
        loop {
            let Some(command) = self.next_command().await else {
                return Ok(Reply::Abort { who: self.options.operator.clone() });
            };
            match command {
                Command::Answer { who, decision, reason, auto } if prompt.accepts(&decision) => {
                    let kind = EventKind::Decided {
                        who: who.clone(),
                        decision: decision.clone(),
                        reason: reason.clone(),
                        auto,
                    };
                    self.emit(step, kind).await?;
                    return Ok(match decision {
                        Decision::Rollback => Reply::Rollback { who, reason },
                        other => Reply::Decided(other, reason),
                    });
                }
                Command::Answer { .. } => {
                    tracing::warn!(?prompt, "ignored an answer this prompt does not take")
                }
                Command::Note { who, text } => self.emit(step, EventKind::Note { who, text }).await?,
                Command::Rollback { who, reason } => return Ok(Reply::Rollback { who, reason }),
                Command::Abort { who } => return Ok(Reply::Abort { who }),
                Command::Interrupt => return Ok(Reply::Interrupt),
            }
        }
    }

    /// The run's end for a reply that leaves the step: roll back, stop as decided, stop
    /// because no answer will come, or interrupted.
    async fn settle(&mut self, reply: Reply, decided: RunOutcome, unanswered: RunOutcome) -> Result<Flow> {
        Ok(Flow::End(match reply {
            Reply::Rollback { who, reason } => self.rollback(who, reason).await?,
            Reply::Interrupt => RunOutcome::Interrupted,
            Reply::Abort { .. } => unanswered,
            Reply::Decided(..) => decided,
        }))
    }

    async fn step(&mut self, step: &Step) -> Result<Flow> {
        let dry = self.options.mode == Mode::DryRun;
        if dry && matches!(step.kind, StepKind::Run(_)) && step.dry_run.is_none() {
            let why = "skipped for the dry run: no `dry_run` form".to_string();
            self.skip(&step.id, Role::Main, Some(why)).await?;
            return Ok(Flow::Next);
        }
        if step.confirm {
            match self.ask(Some(&step.id), Prompt::Confirm, confirm_text(step, dry)).await? {
                Reply::Decided(Decision::Go, _) => {}
                Reply::Decided(Decision::Skip, reason) => {
                    self.skip(&step.id, Role::Main, reason).await?;
                    return Ok(Flow::Next);
                }
                other => {
                    return self.settle(other, RunOutcome::NoGo, RunOutcome::Aborted).await;
                }
            }
        }
        self.perform(step).await
    }

    /// Runs a step (confirmed, if it asks for that) until it passes, is skipped, or the run ends.
    async fn perform(&mut self, step: &Step) -> Result<Flow> {
        let dry = self.options.mode == Mode::DryRun;
        loop {
            let ran = match &step.kind {
                StepKind::Run(command) => {
                    let command = if dry { step.dry_run.as_deref().unwrap_or(command) } else { command };
                    self.run_attempts(step, command).await?
                }
                StepKind::Manual(text) => self.manual(&step.id, Role::Main, text).await?,
                StepKind::Gate(gate) => return self.gate(step, gate).await,
                StepKind::Http(_) | StepKind::Sql(_) => self.check_attempts(step, Role::Main).await?,
                StepKind::Monitor(monitor) => self.monitor(step, monitor).await?,
            };
            if let Some(reply) = ran.cut_in {
                return self.settle(reply, RunOutcome::Aborted, RunOutcome::Aborted).await;
            }
            if !ran.outcome.is_failure() || !step.critical {
                return Ok(Flow::Next);
            }
            let text = format!("\"{}\" failed and is critical: the run cannot go on as it is", step.title);
            match self.ask(Some(&step.id), Prompt::Failure, text).await? {
                Reply::Decided(Decision::Retry, _) => continue,
                Reply::Decided(Decision::Skip, _) => return Ok(Flow::Next),
                other => {
                    return self.settle(other, RunOutcome::Failed, RunOutcome::Failed).await;
                }
            }
        }
    }

    /// Runs a command up to `retries + 1` times, stopping at the first pass.
    async fn run_attempts(&mut self, step: &Step, command: &str) -> Result<Ran> {
        let tries = step.retries + 1;
        for n in 1..=tries {
            if n > 1 {
                if let Some(reply) = self.pause(&step.id, backoff(step.retry_delay, n)).await? {
                    return Ok(Ran { outcome: Outcome::Aborted, cut_in: Some(reply) });
                }
            }
            let attempt = self.next_attempt(&step.id);
            let ran =
                self.execute(&step.id, Role::Main, attempt, command, &step.expect, step.timeout).await?;
            if ran.outcome == Outcome::Passed || ran.cut_in.is_some() || n == tries {
                return Ok(ran);
            }
        }
        unreachable!("the last try returns")
    }

    fn standing(&self, step: &Step) -> Standing {
        use crate::journal::state::StepStatus::*;
        let Some(s) = self.state.step(&step.id) else { return Standing::Fresh };
        let skipped = s.decisions.iter().any(|d| d.decision == Decision::Skip);
        let acts = matches!(step.kind, StepKind::Run(_) | StepKind::Http(_) | StepKind::Sql(_));
        match s.status {
            Passed | Skipped => Standing::Done,
            Failed | TimedOut | Aborted if !step.critical || skipped => Standing::Done,
            Failed | TimedOut | Aborted => Standing::Interrupted("had failed"),
            Running if acts => Standing::Interrupted("was running"),
            // Nothing ran yet, or it only waited on a person: asking again is safe.
            Pending | Waiting | Running => Standing::Fresh,
        }
    }

    /// A step the crash caught in the middle: the operator decides what it means.
    async fn interrupted(&mut self, step: &Step, why: &str) -> Result<Flow> {
        let text = format!(
            "\"{}\" {why} when the lead's session ended: retry it, mark it done with a reason, or roll back",
            step.title
        );
        match self.ask(Some(&step.id), Prompt::Interrupted, text).await? {
            Reply::Decided(Decision::Retry, _) => self.perform(step).await,
            Reply::Decided(Decision::Go, reason) => {
                let number = self.state.step(&step.id).map_or(1, |s| s.attempts.max(1));
                let at = Attempt { step: &step.id, role: Role::Main, number };
                let why = format!("marked done by {}: {}", self.options.operator, reason.unwrap_or_default());
                self.finish(at, Ending::new(Outcome::Passed, Duration::ZERO, Some(why))).await?;
                Ok(Flow::Next)
            }
            other => self.settle(other, RunOutcome::Failed, RunOutcome::Aborted).await,
        }
    }

    fn next_attempt(&self, step: &str) -> u32 {
        self.state.step(step).map_or(0, |s| s.attempts) + 1
    }

    /// Runs one shell command, streaming its output into the journal as it comes.
    async fn execute(
        &mut self,
        step: &str,
        role: Role,
        attempt: u32,
        command: &str,
        expect: &Expect,
        timeout: Option<Duration>,
    ) -> Result<Ran> {
        // Said while nothing ran (between steps, during a backoff): honoured before spawning.
        while let Ok(command) = self.commands.try_recv() {
            if let Some(reply) = self.cut_in(step, Some(command)).await? {
                return Ok(Ran { outcome: Outcome::Aborted, cut_in: Some(reply) });
            }
        }
        self.emit(Some(step), EventKind::StepStarted { attempt, role, command: Some(command.to_string()) })
            .await?;
        let started = Instant::now();
        let spec = CommandSpec {
            script: command.to_string(),
            dir: self.runbook.dir.clone(),
            env: self.env.clone(),
            timeout,
            kill_grace: self.runbook.kill_grace,
        };
        let mut process = match ProcessRun::spawn(&spec) {
            Ok(p) => p,
            Err(e) => {
                let why = format!("cannot start bash in {}: {e}", spec.dir.display());
                self.finish(
                    Attempt { step, role, number: attempt },
                    Ending::new(Outcome::Failed, started.elapsed(), Some(why)),
                )
                .await?;
                return Ok(Ran { outcome: Outcome::Failed, cut_in: None });
            }
        };
        let mut batches = [
            Batcher::new(Stream::Stdout, self.redactor.clone()),
            Batcher::new(Stream::Stderr, self.redactor.clone()),
        ];
        let mut matched = StdoutMatch::new(expect);
        let mut cut_in = None;
        let exit = loop {
            let due = batches.iter().filter_map(Batcher::due_at).min();
            tokio::select! {
                event = process.next() => match event {
                    ProcEvent::Output(stream, bytes) => {
                        let batch = &mut batches[stream as usize];
                        batch.push(&bytes);
                        if let Some(data) = batch.take_ready(Instant::now()) {
                            self.journal_output(step, stream, &data, &mut matched).await?;
                        }
                    }
                    ProcEvent::Exited(exit) => break exit,
                },
                _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    for batch in &mut batches {
                        if let Some(data) = batch.take_ready(Instant::now()) {
                            let stream = batch.stream;
                            self.journal_output(step, stream, &data, &mut matched).await?;
                        }
                    }
                }
                // Read on after a cut-in too (and ignore it): a front-end must never block on us.
                command = self.next_command(), if self.commands_open => {
                    if let Some(reply) = self.cut_in(step, command).await? {
                        if cut_in.is_none() {
                            process.abort();
                            cut_in = Some(reply);
                        }
                    }
                }
            }
        };
        for batch in &mut batches {
            if let Some(data) = batch.take_all() {
                let stream = batch.stream;
                self.journal_output(step, stream, &data, &mut matched).await?;
            }
        }
        let matched = matched.finish();
        let (outcome, message) = judge(&exit, expect, matched, timeout, cut_in.as_ref());
        self.finish(
            Attempt { step, role, number: attempt },
            Ending { exit: exit.code, ..Ending::new(outcome, started.elapsed(), message) },
        )
        .await?;
        Ok(Ran { outcome, cut_in })
    }

    async fn journal_output(
        &mut self,
        step: &str,
        stream: Stream,
        data: &[u8],
        matched: &mut StdoutMatch<'_>,
    ) -> Result<()> {
        if stream == Stream::Stdout {
            matched.feed(data);
        }
        self.emit_output(step, stream, data).await
    }

    /// A checklist item: the operator ticks it, fails it with a reason, or skips it.
    async fn manual(&mut self, step: &str, role: Role, text: &str) -> Result<Ran> {
        let attempt = self.next_attempt(step);
        self.emit(Some(step), EventKind::StepStarted { attempt, role, command: None }).await?;
        let started = Instant::now();
        let reply = self.ask(Some(step), Prompt::Manual, text.to_string()).await?;
        let (outcome, message, cut_in) = match reply {
            Reply::Decided(Decision::Go, _) => (Outcome::Passed, None, None),
            Reply::Decided(Decision::Skip, reason) => (Outcome::Skipped, reason, None),
            Reply::Decided(_, reason) => (Outcome::Failed, reason, None),
            other => (Outcome::Aborted, None, Some(other)),
        };
        self.finish(
            Attempt { step, role, number: attempt },
            Ending::new(outcome, started.elapsed(), message),
        )
        .await?;
        Ok(Ran { outcome, cut_in })
    }

    /// GO / NO-GO: every sign-off role named first, then the decision itself.
    async fn gate(&mut self, step: &Step, gate: &Gate) -> Result<Flow> {
        self.emit(Some(&step.id), EventKind::StepStarted { attempt: 1, role: Role::Main, command: None })
            .await?;
        let started = Instant::now();
        for role in &gate.signoff {
            let text = format!("Sign-off for \"{}\": who approves as {role}?", gate.question);
            match self.ask(Some(&step.id), Prompt::Signoff { role: role.clone() }, text).await? {
                Reply::Decided(Decision::Signed { .. }, _) => {}
                other => return self.gate_ends(step, started, other).await,
            }
        }
        let text = format!("{} — {}", gate.question, self.results_so_far(&step.id));
        match self.ask(Some(&step.id), Prompt::Gate, text).await? {
            Reply::Decided(Decision::Go, _) => {
                self.finish(
                    Attempt { step: &step.id, role: Role::Main, number: 1 },
                    Ending::new(Outcome::Passed, started.elapsed(), Some("GO".into())),
                )
                .await?;
                Ok(Flow::Next)
            }
            other => self.gate_ends(step, started, other).await,
        }
    }

    async fn gate_ends(&mut self, step: &Step, started: Instant, reply: Reply) -> Result<Flow> {
        let (outcome, message) = match &reply {
            Reply::Decided(_, reason) => {
                (Outcome::Failed, format!("NO-GO: {}", reason.as_deref().unwrap_or("no reason given")))
            }
            Reply::Rollback { .. } => (Outcome::Failed, "rollback instead of a decision".to_string()),
            _ => (Outcome::Aborted, "no decision".to_string()),
        };
        let message = Some(message);
        self.finish(
            Attempt { step: &step.id, role: Role::Main, number: 1 },
            Ending::new(outcome, started.elapsed(), message),
        )
        .await?;
        self.settle(reply, RunOutcome::NoGo, RunOutcome::Aborted).await
    }

    /// One line for the gate: how the steps before it went, critical failures first.
    fn results_so_far(&self, gate: &str) -> String {
        let before: Vec<_> =
            self.state.steps.iter().take_while(|s| s.plan.id != gate).filter(|s| s.phase.is_some()).collect();
        let passed = before.iter().filter(|s| s.status == crate::journal::state::StepStatus::Passed).count();
        let unmet = self.state.unmet_before(gate);
        let mut text = format!("{passed} of {} steps passed", before.len());
        if !unmet.is_empty() {
            let names: Vec<String> =
                unmet.iter().map(|s| format!("{} ({})", s.plan.id, s.status.label())).collect();
            text.push_str(&format!("; NOT MET (critical): {}", names.join(", ")));
        }
        text
    }
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

/// `expect.stdout` held against whole lines of stdout, however the output was batched.
struct StdoutMatch<'a> {
    pattern: Option<&'a regex::Regex>,
    matched: bool,
    /// The line not yet ended by a newline, up to a bound.
    line: Vec<u8>,
}

impl<'a> StdoutMatch<'a> {
    /// Longest line the pattern is held against; the journal keeps longer ones whole anyway.
    const LONGEST: usize = 1 << 20;

    fn new(expect: &'a Expect) -> Self {
        StdoutMatch { pattern: expect.stdout.as_ref(), matched: expect.stdout.is_none(), line: Vec::new() }
    }

    fn feed(&mut self, data: &[u8]) {
        if self.matched {
            return;
        }
        let mut rest = data;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.extend(&rest[..i]);
            self.check_line();
            rest = &rest[i + 1..];
        }
        self.extend(rest);
    }

    fn extend(&mut self, bytes: &[u8]) {
        let room = Self::LONGEST.saturating_sub(self.line.len());
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn check_line(&mut self) {
        if let Some(pattern) = self.pattern {
            self.matched |= pattern.is_match(&String::from_utf8_lossy(&self.line));
        }
        self.line.clear();
    }

    /// Whether the expectation was met, the last unterminated line included.
    fn finish(mut self) -> bool {
        if !self.matched && !self.line.is_empty() {
            self.check_line();
        }
        self.matched
    }
}

/// Pass or fail, and why, in the words a person would use.
fn judge(
    exit: &Exit,
    expect: &Expect,
    matched: bool,
    timeout: Option<Duration>,
    cut_in: Option<&Reply>,
) -> (Outcome, Option<String>) {
    match exit.ended_by {
        Some(EndedBy::Timeout) => {
            let limit = timeout.map(format_duration).unwrap_or_default();
            return (
                Outcome::TimedOut,
                Some(format!("timed out after {limit}; its process group was ended")),
            );
        }
        Some(EndedBy::Abort) => {
            return (Outcome::Aborted, Some(cut_in.map_or_else(|| "interrupted".into(), Reply::why)));
        }
        None => {}
    }
    let lingering =
        exit.lingering.then_some("background processes kept its output open; tminus stopped reading it");
    match (exit.code, exit.signal) {
        (Some(code), _) if code != expect.exit => {
            (Outcome::Failed, Some(format!("exit code {code} (expected {})", expect.exit)))
        }
        (None, Some(signal)) => (Outcome::Failed, Some(format!("killed by signal {signal}"))),
        _ if !matched => {
            let pattern = expect.stdout.as_ref().map(|r| r.as_str()).unwrap_or_default();
            (Outcome::Failed, Some(format!("no output line matched `{pattern}`")))
        }
        _ => (Outcome::Passed, lingering.map(str::to_string)),
    }
}
