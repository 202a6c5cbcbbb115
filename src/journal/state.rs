//! `RunState::apply`: the one fold from events to what the lead, observers and reports see.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::event::*;

/// Lines of each step's output kept in memory; the journal keeps every byte.
pub const TAIL_LINES: usize = 500;
/// Longest line kept whole in the tail; the rest of it stays in the journal.
pub const TAIL_LINE_CHARS: usize = 2000;
/// Lines of a step's stderr kept apart (of its last attempt), for the failure dialog.
pub const STDERR_LINES: usize = 20;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunState {
    pub run_id: String,
    pub info: Option<RunInfo>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub outcome: Option<RunOutcome>,
    pub phases: Vec<PhaseState>,
    /// Every step in plan order, the `[rollback]` steps last.
    pub steps: Vec<StepState>,
    pub waiting: Option<Waiting>,
    /// The last chain head the conductor signed: what a notification or report witnesses.
    pub head: Option<Head>,
    pub notes: Vec<NoteRecord>,
    /// Each time the run was picked up again: who, on which host.
    pub resumed: Vec<NoteRecord>,
    /// Screens coming and going: who, and `attached`, `detached` or `lost`.
    pub sessions: Vec<NoteRecord>,
    /// The screens attached now.
    pub screens: Vec<NoteRecord>,
    /// Every notification to a `[[notify]]` receiver: who (`who`), and what became of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notified: Vec<NotifiedRecord>,
    /// Who chose to end the run, and why.
    pub stopped: Option<NoteRecord>,
    /// What someone's role did not allow them: who (login in `text`'s head), what, why.
    pub refused: Vec<Refusal>,
    /// Each change of lead: who took over (`who`) from whom (`text`).
    pub handovers: Vec<NoteRecord>,
    /// The login of whoever leads the run now.
    pub lead_login: Option<String>,
    pub rollback: Option<RollbackState>,
    pub last_seq: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseState {
    pub id: String,
    pub title: String,
    pub at_secs: Option<i64>,
    pub budget_secs: Option<u64>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Waiting,
    Running,
    Passed,
    Failed,
    TimedOut,
    Skipped,
    Aborted,
    /// A monitor ended before its planned time.
    EndedEarly,
}

impl From<Outcome> for StepStatus {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Passed => StepStatus::Passed,
            Outcome::Failed => StepStatus::Failed,
            Outcome::TimedOut => StepStatus::TimedOut,
            Outcome::Skipped => StepStatus::Skipped,
            Outcome::Aborted => StepStatus::Aborted,
            Outcome::EndedEarly => StepStatus::EndedEarly,
        }
    }
}

impl StepStatus {
    pub fn is_failure(self) -> bool {
        matches!(self, StepStatus::Failed | StepStatus::TimedOut | StepStatus::Aborted)
    }

    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Waiting => "waiting",
            StepStatus::Running => "running",
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::TimedOut => "timed out",
            StepStatus::Skipped => "skipped",
            StepStatus::Aborted => "aborted",
            StepStatus::EndedEarly => "ended early",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepState {
    pub plan: PlannedStep,
    /// `None` for a step of the `[rollback]` section.
    pub phase: Option<String>,
    pub status: StepStatus,
    pub attempts: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub message: Option<String>,
    pub decisions: Vec<DecisionRecord>,
    /// What the last attempt of a check measured.
    pub metrics: Vec<Metric>,
    pub output: OutputTail,
    /// The last lines its last attempt printed on stderr, bounded: the likely cause of a failure.
    #[serde(skip)]
    pub stderr: OutputTail,
    /// `output.total_lines` when its last attempt started: the lines after it are that attempt's.
    #[serde(skip)]
    pub attempt_from: u64,
    /// The step's undo, once a rollback ran it.
    pub undo: Option<UndoRecord>,
    /// The process group of its last command, while that copy may still be running.
    pub group: Option<Group>,
    /// The `StepStarted` event of its last command: the command carries it in its environment
    /// (`TMINUS_STEP_EVENT`), so its processes can be found before their group is journaled.
    pub started_event: i64,
    /// The machine whose conductor started its last command.
    pub started_on: Option<String>,
}

/// Where a step's command runs: its process group on a host, since that host's boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub pgid: i32,
    pub host: String,
    pub boot: String,
    /// A later conductor saw it end (by itself, or ended by it).
    pub ended: bool,
}

impl StepState {
    fn new(plan: PlannedStep, phase: Option<String>) -> Self {
        StepState {
            plan,
            phase,
            status: StepStatus::Pending,
            attempts: 0,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            exit_code: None,
            message: None,
            decisions: Vec::new(),
            metrics: Vec::new(),
            output: OutputTail::default(),
            stderr: OutputTail::default(),
            attempt_from: 0,
            undo: None,
            group: None,
            started_event: 0,
            started_on: None,
        }
    }

    /// The role of a command of this step that began and has not finished, if any: the copy
    /// a conductor that is gone may have left running.
    pub fn open_command(&self) -> Option<Role> {
        if self.undo.as_ref().is_some_and(|u| u.outcome.is_none()) {
            return Some(Role::Undo);
        }
        let running = self.status == StepStatus::Running && self.plan.kind == StepType::Run;
        running.then_some(if self.phase.is_some() { Role::Main } else { Role::Rollback })
    }

    /// What explains a failure of its last attempt: the last lines it printed on stderr, then
    /// the other lines of that attempt that say error, fail or fatal (newest last), at most `n`.
    pub fn cause(&self, n: usize) -> Vec<&str> {
        let stderr = self.stderr.last(n);
        let telling = |line: &&str| {
            let lower = line.to_lowercase();
            ["error", "fail", "fatal"].iter().any(|w| lower.contains(w))
        };
        let matching: Vec<&str> =
            self.output.since(self.attempt_from).filter(telling).filter(|l| !stderr.contains(l)).collect();
        let room = n.saturating_sub(stderr.len());
        let mut lines = stderr;
        lines.extend(&matching[matching.len().saturating_sub(room)..]);
        lines
    }

    /// Whether a rollback has anything of this step to undo: it ran, or began to.
    pub fn ran(&self) -> bool {
        self.attempts > 0 && self.status != StepStatus::Skipped
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UndoRecord {
    /// `None` while the undo runs.
    pub outcome: Option<Outcome>,
    pub duration_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub message: Option<String>,
    pub output: OutputTail,
}

/// Which finished steps a rollback undoes (newest first), which it cannot, and the
/// `[rollback]` steps it runs after them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RollbackPlan {
    pub undo: Vec<String>,
    pub irreversible: Vec<String>,
    pub no_undo: Vec<String>,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    pub at: DateTime<Utc>,
    pub who: String,
    /// The account that sent it, as its transport proved it.
    pub login: Option<String>,
    pub decision: Decision,
    pub reason: Option<String>,
    pub auto: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    /// The `ConfirmationRequested` event's seq: an answer names it.
    pub seq: i64,
    pub step: Option<String>,
    pub prompt: Prompt,
    pub text: String,
    pub since: DateTime<Utc>,
}

/// One notification to a receiver and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct NotifiedRecord {
    pub at: DateTime<Utc>,
    pub receiver: String,
    pub notice: String,
    pub delivered: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub at: DateTime<Utc>,
    pub step: Option<String>,
    pub who: String,
    pub login: String,
    pub what: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteRecord {
    pub at: DateTime<Utc>,
    pub who: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RollbackState {
    /// The undo list is settled (RollbackStarted was journaled).
    pub started: bool,
    pub requested_by: String,
    pub reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub undo: Vec<String>,
    pub irreversible: Vec<String>,
    pub no_undo: Vec<String>,
    pub failed: Vec<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The last lines a step printed, bounded; counts cover everything it printed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutputTail {
    pub lines: VecDeque<String>,
    /// A line not yet ended by a newline.
    pub partial: String,
    pub total_bytes: u64,
    pub total_lines: u64,
}

impl OutputTail {
    pub fn push(&mut self, data: &[u8]) {
        self.push_bounded(data, TAIL_LINES);
    }

    /// As `push`, keeping at most `keep` lines.
    pub fn push_bounded(&mut self, data: &[u8], keep: usize) {
        let keep = keep.max(1);
        self.total_bytes += data.len() as u64;
        let mut rest = data;
        // Lines that the batch's own last `keep` push out are only counted, never built.
        let ended = memchr::memchr_iter(b'\n', data).count();
        if let Some(cut) = ended.checked_sub(keep + 1).and_then(|n| memchr::memchr_iter(b'\n', data).nth(n)) {
            self.total_lines += (ended - keep) as u64;
            self.partial.clear();
            rest = &data[cut + 1..];
        }
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.extend_partial(&rest[..i]);
            // A line pushed out of the tail lends its buffer to the next one.
            let mut spare = None;
            while self.lines.len() >= keep {
                spare = self.lines.pop_front();
            }
            let next = spare.map(|mut s| {
                s.clear();
                s
            });
            let line = std::mem::replace(&mut self.partial, next.unwrap_or_default());
            self.total_lines += 1;
            self.lines.push_back(line);
            rest = &rest[i + 1..];
        }
        self.extend_partial(rest);
    }

    fn extend_partial(&mut self, bytes: &[u8]) {
        let room = TAIL_LINE_CHARS.saturating_sub(self.partial.chars().count());
        if room == 0 || bytes.is_empty() {
            return;
        }
        // ASCII, the usual case: a byte is a character, and nothing needs decoding.
        let head = &bytes[..bytes.len().min(room)];
        if head.is_ascii() && !head.contains(&b'\r') {
            self.partial.push_str(std::str::from_utf8(head).expect("ASCII is UTF-8"));
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        self.partial.extend(text.chars().filter(|c| *c != '\r').take(room));
    }

    /// The lines kept that came after the first `from` lines printed, oldest first.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &str> {
        let first = self.total_lines - self.lines.len() as u64;
        let skip = from.saturating_sub(first) as usize;
        self.lines
            .iter()
            .skip(skip)
            .map(String::as_str)
            .chain((!self.partial.is_empty()).then_some(self.partial.as_str()))
    }

    /// The last `n` lines, the unfinished one included.
    pub fn last(&self, n: usize) -> Vec<&str> {
        let mut all: Vec<&str> = self.lines.iter().map(String::as_str).collect();
        if !self.partial.is_empty() {
            all.push(&self.partial);
        }
        let skip = all.len().saturating_sub(n);
        all.split_off(skip)
    }
}

impl RunState {
    pub fn apply(&mut self, event: &Event) {
        self.last_seq = event.seq;
        match &event.kind {
            EventKind::RunStarted(info) => {
                self.run_id = event.run_id.clone();
                self.started_at = Some(event.at);
                self.phases = info
                    .phases
                    .iter()
                    .map(|p| PhaseState {
                        id: p.id.clone(),
                        title: p.title.clone(),
                        at_secs: p.at_secs,
                        budget_secs: p.budget_secs,
                        started_at: None,
                        finished_at: None,
                    })
                    .collect();
                self.steps = info
                    .phases
                    .iter()
                    .flat_map(|p| p.steps.iter().map(|s| StepState::new(s.clone(), Some(p.id.clone()))))
                    .chain(info.rollback.iter().map(|s| StepState::new(s.clone(), None)))
                    .collect();
                self.lead_login = info.login.clone();
                self.info = Some(RunInfo::clone(info));
            }
            EventKind::PhaseStarted { phase } => {
                if let Some(p) = self.phase_mut(phase) {
                    p.started_at = Some(event.at);
                }
            }
            EventKind::PhaseFinished { phase } => {
                if let Some(p) = self.phase_mut(phase) {
                    p.finished_at = Some(event.at);
                }
            }
            EventKind::StepStarted { attempt, role, .. } => {
                let host = self.conductor_host().map(str::to_string);
                let Some(step) = self.step_mut(event.step.as_deref()) else {
                    return;
                };
                step.group = None;
                step.started_event = event.seq;
                step.started_on = host;
                if *role == Role::Undo {
                    step.undo = Some(UndoRecord::default());
                    return;
                }
                step.status = StepStatus::Running;
                step.attempts = *attempt;
                step.stderr = OutputTail::default();
                step.attempt_from = step.output.total_lines;
                step.started_at.get_or_insert(event.at);
                step.finished_at = None;
                step.message = None;
            }
            EventKind::Output { stream, .. } => {
                if let Some(step) = self.step_mut(event.step.as_deref()) {
                    // While its undo runs, a step's output is the undo's.
                    match &mut step.undo {
                        Some(undo) if undo.outcome.is_none() => undo.output.push(&event.data),
                        _ => {
                            step.output.push(&event.data);
                            if *stream == Stream::Stderr {
                                step.stderr.push_bounded(&event.data, STDERR_LINES);
                            }
                        }
                    }
                }
            }
            EventKind::Spawned { pgid, host, boot } => {
                if let Some(step) = self.step_mut(event.step.as_deref()) {
                    let (host, boot) = (host.clone(), boot.clone());
                    step.group = Some(Group { pgid: *pgid, host, boot, ended: false });
                }
            }
            EventKind::Leftover { state, .. } => {
                if matches!(state, LeftoverState::Running { .. }) {
                    return;
                }
                if let Some(group) = self.step_mut(event.step.as_deref()).and_then(|s| s.group.as_mut()) {
                    group.ended = true;
                }
                // The question whether to end it is moot once it has ended.
                if self.waiting.as_ref().is_some_and(|w| w.prompt == Prompt::StillRunning) {
                    self.waiting = None;
                }
            }
            EventKind::StepFinished { role, outcome, exit_code, duration_ms, message, attempt, metrics } => {
                let Some(step) = self.step_mut(event.step.as_deref()) else {
                    return;
                };
                step.group = None;
                if *role == Role::Undo {
                    let undo = step.undo.get_or_insert_with(UndoRecord::default);
                    undo.outcome = Some(*outcome);
                    undo.duration_ms = Some(*duration_ms);
                    undo.exit_code = *exit_code;
                    undo.message = message.clone();
                    return;
                }
                step.status = (*outcome).into();
                step.attempts = step.attempts.max(*attempt);
                step.finished_at = Some(event.at);
                step.duration_ms = Some(match step.started_at {
                    Some(start) if *attempt > 1 => (event.at - start).num_milliseconds().max(0) as u64,
                    _ => *duration_ms,
                });
                step.exit_code = *exit_code;
                step.message = message.clone();
                step.metrics = metrics.clone();
                // A prompt that stood while the step ran (a monitor's) is gone with it.
                if self.waiting.as_ref().is_some_and(|w| w.step == event.step) {
                    self.waiting = None;
                }
            }
            EventKind::ConfirmationRequested { prompt, text } => {
                if let Some(step) = self.step_mut(event.step.as_deref())
                    && step.status == StepStatus::Pending
                {
                    step.status = StepStatus::Waiting;
                }
                self.waiting = Some(Waiting {
                    seq: event.seq,
                    step: event.step.clone(),
                    prompt: prompt.clone(),
                    text: text.clone(),
                    since: event.at,
                });
            }
            EventKind::Decided { who, login, decision, reason, auto } => {
                self.waiting = None;
                if let Some(step) = self.step_mut(event.step.as_deref()) {
                    if step.status == StepStatus::Waiting {
                        step.status = StepStatus::Pending;
                    }
                    step.decisions.push(DecisionRecord {
                        at: event.at,
                        who: who.clone(),
                        login: login.clone(),
                        decision: decision.clone(),
                        reason: reason.clone(),
                        auto: *auto,
                    });
                }
            }
            EventKind::Note { who, text, .. } => {
                self.notes.push(NoteRecord { at: event.at, who: who.clone(), text: text.clone() })
            }
            EventKind::RollbackRequested { who, reason, .. } => {
                self.waiting = None;
                self.rollback = Some(RollbackState {
                    started: false,
                    requested_by: who.clone(),
                    reason: reason.clone(),
                    requested_at: event.at,
                    undo: Vec::new(),
                    irreversible: Vec::new(),
                    no_undo: Vec::new(),
                    failed: Vec::new(),
                    finished_at: None,
                });
            }
            EventKind::RollbackStarted { undo, irreversible, no_undo } => {
                if let Some(r) = &mut self.rollback {
                    r.started = true;
                    r.undo = undo.clone();
                    r.irreversible = irreversible.clone();
                    r.no_undo = no_undo.clone();
                }
            }
            EventKind::RollbackFinished { failed } => {
                if let Some(r) = &mut self.rollback {
                    r.failed = failed.clone();
                    r.finished_at = Some(event.at);
                }
            }
            EventKind::RunResumed { who, host, login, .. } => {
                self.lead_login = login.clone().or(self.lead_login.take());
                self.waiting = None;
                // The screens of the conductor that is gone went with it.
                self.screens.clear();
                self.resumed.push(NoteRecord { at: event.at, who: who.clone(), text: host.clone() });
            }
            EventKind::Attached { who, login } => {
                let record = NoteRecord { at: event.at, who: who.clone(), text: login.clone() };
                self.screens.push(record.clone());
                self.sessions.push(NoteRecord { text: format!("{login}: attached"), ..record });
            }
            EventKind::Detached { who, login, lost } => {
                if let Some(i) = self.screens.iter().position(|s| &s.who == who && &s.text == login) {
                    self.screens.remove(i);
                }
                let how = if *lost { "lost (the screen went away)" } else { "detached" };
                self.sessions.push(NoteRecord {
                    at: event.at,
                    who: who.clone(),
                    text: format!("{login}: {how}"),
                });
            }
            EventKind::Refused { who, login, what, why } => self.refused.push(Refusal {
                at: event.at,
                step: event.step.clone(),
                who: who.clone(),
                login: login.clone(),
                what: what.clone(),
                why: why.clone(),
            }),
            EventKind::Handover { from, to, to_login, .. } => {
                self.lead_login = Some(to_login.clone());
                self.handovers.push(NoteRecord {
                    at: event.at,
                    who: format!("{to} ({to_login})"),
                    text: from.clone(),
                });
            }
            EventKind::StopRequested { who, reason, .. } => {
                self.stopped = Some(NoteRecord { at: event.at, who: who.clone(), text: reason.clone() });
            }
            EventKind::Signalled { signal } => {
                let text = "the conductor ended the running step and stopped".to_string();
                self.stopped = Some(NoteRecord { at: event.at, who: signal.clone(), text });
            }
            EventKind::Notified { receiver, notice, delivered, error } => {
                self.notified.push(NotifiedRecord {
                    at: event.at,
                    receiver: receiver.clone(),
                    notice: notice.clone(),
                    delivered: *delivered,
                    error: error.clone(),
                });
            }
            EventKind::HeadSigned { head, hash, .. } => {
                self.head = Some(Head { seq: *head, hash: hash.clone() });
            }
            EventKind::RunFinished { outcome } => {
                self.waiting = None;
                self.outcome = Some(*outcome);
                self.ended_at = Some(event.at);
            }
        }
    }

    /// The machine of the run's last conductor: where it started, or was last picked up.
    pub fn conductor_host(&self) -> Option<&str> {
        self.resumed.last().map(|r| r.text.as_str()).or(self.info.as_ref().map(|i| i.host.as_str()))
    }

    pub fn step(&self, id: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.plan.id == id)
    }

    fn step_mut(&mut self, id: Option<&str>) -> Option<&mut StepState> {
        let id = id?;
        self.steps.iter_mut().find(|s| s.plan.id == id)
    }

    fn phase_mut(&mut self, id: &str) -> Option<&mut PhaseState> {
        self.phases.iter_mut().find(|p| p.id == id)
    }

    pub fn phase_steps<'a>(&'a self, phase: &'a str) -> impl Iterator<Item = &'a StepState> + 'a {
        self.steps.iter().filter(move |s| s.phase.as_deref() == Some(phase))
    }

    pub fn rollback_steps(&self) -> impl Iterator<Item = &StepState> {
        self.steps.iter().filter(|s| s.phase.is_none())
    }

    /// Critical steps before `step_id` that did not pass: what stands against a GO. In a dry
    /// run, a step skipped because it has no dry form is not held against it.
    pub fn unmet_before<'a>(&'a self, step_id: &'a str) -> Vec<&'a StepState> {
        self.before(step_id)
            .filter(|s| s.plan.critical && s.status != StepStatus::Passed && !self.skipped_for_dry_run(s))
            .collect()
    }

    /// The steps of the plan before `step_id`, in order.
    pub fn before<'a>(&'a self, step_id: &'a str) -> impl Iterator<Item = &'a StepState> + 'a {
        self.steps.iter().take_while(move |s| s.plan.id != step_id).filter(|s| s.phase.is_some())
    }

    /// A `run` step a dry run passed over because it has no `dry_run` form.
    pub fn skipped_for_dry_run(&self, step: &StepState) -> bool {
        self.mode() == Mode::DryRun
            && step.status == StepStatus::Skipped
            && step.plan.kind == StepType::Run
            && !step.plan.dry_run
    }

    /// What a gate has seen: the steps before it, critical failures first.
    pub fn gate_results<'a>(&'a self, gate: &'a str) -> Vec<&'a StepState> {
        let unmet = self.unmet_before(gate);
        let is_unmet = |s: &StepState| unmet.iter().any(|u| u.plan.id == s.plan.id);
        let mut ordered: Vec<&StepState> = self.before(gate).filter(|s| is_unmet(s)).collect();
        ordered.extend(self.before(gate).filter(|s| !is_unmet(s)));
        ordered
    }

    /// The approvers who signed this gate so far, as (role, name), oldest first.
    pub fn signed(&self, gate: &str) -> Vec<(String, String)> {
        let Some(step) = self.step(gate) else { return Vec::new() };
        step.decisions
            .iter()
            .filter(|d| step.started_at.is_none_or(|s| d.at >= s))
            .filter_map(|d| match &d.decision {
                Decision::Signed { role, name } => Some((role.clone(), name.clone())),
                _ => None,
            })
            .collect()
    }

    /// Who signed this gate for a role other than `role` under `name`: the role, if anyone did.
    pub fn signed_other(&self, gate: &str, role: &str, name: &str) -> Option<String> {
        self.signed(gate).into_iter().find(|(r, n)| r != role && n.eq_ignore_ascii_case(name)).map(|(r, _)| r)
    }

    /// The gate's question's second half: how the steps before it went, in one line.
    pub fn gate_summary(&self, gate: &str) -> String {
        let total = self.before(gate).count();
        let passed = self.before(gate).filter(|s| s.status == StepStatus::Passed).count();
        let dry = self.before(gate).filter(|s| self.skipped_for_dry_run(s)).count();
        let mut text = format!("{passed} of {total} steps passed");
        if dry > 0 {
            text.push_str(&format!(", {dry} skipped for the dry run"));
        }
        let unmet = self.unmet_before(gate);
        if !unmet.is_empty() {
            let names: Vec<String> =
                unmet.iter().map(|s| format!("{} ({})", s.plan.id, s.status.label())).collect();
            text.push_str(&format!("; NOT MET (critical): {}", names.join(", ")));
        }
        text
    }

    /// What a rollback pulled now would do with the steps that ran: the one answer the
    /// rollback dialog shows and the conductor carries out.
    pub fn rollback_plan(&self) -> RollbackPlan {
        // Newest first: the order steps started in, reversed.
        let mut ran: Vec<&StepState> = self.steps.iter().filter(|s| s.phase.is_some() && s.ran()).collect();
        ran.sort_by_key(|s| std::cmp::Reverse(s.started_at));
        let ids = |pred: &dyn Fn(&StepState) -> bool| -> Vec<String> {
            ran.iter().filter(|s| pred(s)).map(|s| s.plan.id.clone()).collect()
        };
        RollbackPlan {
            undo: ids(&|s| s.plan.undo.is_some() && !s.plan.irreversible),
            irreversible: ids(&|s| s.plan.irreversible),
            no_undo: ids(&|s| s.plan.undo.is_none() && !s.plan.irreversible),
            steps: self.rollback_steps().map(|s| s.plan.id.clone()).collect(),
        }
    }

    /// The rollback plan as a person reads it, line by line: what the `R` dialog and
    /// `tminus rollback` both show before anyone says yes.
    pub fn rollback_preview(&self) -> Vec<(Preview, String)> {
        let plan = self.rollback_plan();
        let steps =
            |ids: &[String]| -> Vec<&StepState> { ids.iter().filter_map(|id| self.step(id)).collect() };
        let mut lines = vec![(Preview::Heading, "Roll back now? This runs, in order:".to_string())];
        if plan.undo.is_empty() {
            lines.push((Preview::Step, "  (no finished step has an undo)".to_string()));
        }
        for s in steps(&plan.undo) {
            let undo = s.plan.undo.as_deref().unwrap_or_default();
            lines.push((Preview::Step, format!("  ↶ undo {}: {undo}", s.plan.title)));
        }
        for s in steps(&plan.steps) {
            lines.push((Preview::Step, format!("  ⟲ {} ({})", s.plan.title, s.plan.kind)));
        }
        if !plan.irreversible.is_empty() {
            lines.push((Preview::Warning, "Cannot be undone (irreversible):".to_string()));
            for s in steps(&plan.irreversible) {
                lines.push((Preview::Irreversible, format!("  ⚑ {}", s.plan.title)));
            }
        }
        lines
    }

    pub fn mode(&self) -> Mode {
        self.info.as_ref().map_or(Mode::Live, |i| i.mode)
    }
}

/// A chain head the conductor signed: event `seq` hashes to `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Head {
    /// `SEQ:HASH`, the hash cut to 16 hex digits: what a witness keeps and `verify --witness` takes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, &self.hash[..self.hash.len().min(16)])
    }
}

/// How a line of the rollback preview is meant: its screen gives each its own look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preview {
    Heading,
    Step,
    Warning,
    Irreversible,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_lines_of_a_batch_longer_than_itself() {
        let mut tail = OutputTail::default();
        tail.push(b"old 1\nold 2\nhalf ");
        let batch: String = (1..=TAIL_LINES + 300).map(|n| format!("line {n}\n")).collect();
        tail.push(batch.as_bytes());
        tail.push("caf\u{e9} \r\n".as_bytes());
        assert_eq!(tail.total_lines, (2 + TAIL_LINES + 300 + 1) as u64);
        assert_eq!(tail.lines.len(), TAIL_LINES);
        assert_eq!(tail.lines.front().map(String::as_str), Some("line 302"));
        assert_eq!(tail.last(2), ["line 800", "caf\u{e9} "]);
        // A short batch after it: the line before it, completed, is whole.
        tail.push(b"a\nb");
        assert_eq!(tail.last(2), ["a", "b"]);
    }

    fn planned(id: &str, critical: bool) -> PlannedStep {
        PlannedStep { critical, ..PlannedStep::plain(id, id, StepType::Run, "true") }
    }

    fn event(seq: i64, step: Option<&str>, kind: EventKind) -> Event {
        Event { run_id: "r1".into(), seq, at: Utc::now(), step: step.map(Into::into), kind, data: Vec::new() }
    }

    fn started() -> Event {
        event(
            1,
            None,
            EventKind::RunStarted(Box::new(RunInfo {
                rollback: vec![planned("rollback-1", true)],
                ..RunInfo::of_steps(vec![planned("a", true), planned("b", false), planned("gate", true)])
            })),
        )
    }

    #[test]
    fn fold_tracks_steps_attempts_and_output() {
        let mut s = RunState::default();
        s.apply(&started());
        assert_eq!(s.steps.len(), 4);
        assert_eq!(s.rollback_steps().count(), 1);
        s.apply(&event(2, Some("a"), EventKind::StepStarted { attempt: 1, role: Role::Main, command: None }));
        assert_eq!(s.step("a").unwrap().status, StepStatus::Running);
        let mut out = event(3, Some("a"), EventKind::Output { stream: Stream::Stdout, lines: 2 });
        out.data = b"one\ntwo\nthr".to_vec();
        s.apply(&out);
        let finished = |seq, attempt, outcome| {
            event(
                seq,
                Some("a"),
                EventKind::StepFinished {
                    attempt,
                    role: Role::Main,
                    outcome,
                    exit_code: Some(0),
                    duration_ms: 5,
                    message: None,
                    metrics: Vec::new(),
                },
            )
        };
        s.apply(&finished(4, 1, Outcome::Failed));
        assert_eq!(s.step("a").unwrap().status, StepStatus::Failed);
        s.apply(&event(5, Some("a"), EventKind::StepStarted { attempt: 2, role: Role::Main, command: None }));
        s.apply(&finished(6, 2, Outcome::Passed));
        let a = s.step("a").unwrap();
        assert_eq!((a.status, a.attempts), (StepStatus::Passed, 2));
        assert_eq!(a.output.last(5), vec!["one", "two", "thr"]);
        assert_eq!(a.output.total_lines, 2);
        assert_eq!(s.last_seq, 6);
    }

    #[test]
    fn a_failures_cause_is_its_last_attempts_stderr_then_its_telling_lines_bounded() {
        let mut s = RunState::default();
        s.apply(&started());
        let output = |seq, stream, data: String| {
            let mut out = event(seq, Some("a"), EventKind::Output { stream, lines: 1 });
            out.data = data.into_bytes();
            out
        };
        s.apply(&event(2, Some("a"), EventKind::StepStarted { attempt: 1, role: Role::Main, command: None }));
        s.apply(&output(3, Stream::Stdout, "FAIL from the first attempt\n".into()));
        s.apply(&output(4, Stream::Stderr, "stderr from the first attempt\n".into()));
        s.apply(&event(5, Some("a"), EventKind::StepStarted { attempt: 2, role: Role::Main, command: None }));
        s.apply(&output(6, Stream::Stdout, "Fatal: disk full\nall good here\n".into()));
        let noise: String = (0..100).map(|n| format!("warning {n}\n")).collect();
        s.apply(&output(7, Stream::Stderr, noise));
        s.apply(&output(8, Stream::Stdout, "an Error at the end\n".into()));
        let a = s.step("a").unwrap();
        assert_eq!(a.stderr.lines.len(), STDERR_LINES, "the stderr kept apart is bounded");
        let cause = a.cause(STDERR_LINES + 2);
        assert_eq!(cause[0], "warning 80");
        assert_eq!(cause[STDERR_LINES - 1], "warning 99");
        assert_eq!(&cause[STDERR_LINES..], ["Fatal: disk full", "an Error at the end"]);
        assert!(!a.cause(50).iter().any(|l| l.contains("first attempt")), "only the last attempt's lines");
    }

    #[test]
    fn gate_sees_unmet_critical_steps_only() {
        let mut s = RunState::default();
        s.apply(&started());
        // a (critical) not run yet, b is recommended
        assert_eq!(s.unmet_before("gate").iter().map(|s| s.plan.id.as_str()).collect::<Vec<_>>(), ["a"]);
        s.apply(&event(
            2,
            Some("a"),
            EventKind::StepFinished {
                attempt: 1,
                role: Role::Main,
                outcome: Outcome::Passed,
                exit_code: Some(0),
                duration_ms: 1,
                message: None,
                metrics: Vec::new(),
            },
        ));
        assert!(s.unmet_before("gate").is_empty());
    }

    #[test]
    fn decisions_and_prompts_and_end() {
        let mut s = RunState::default();
        s.apply(&started());
        s.apply(&event(
            2,
            Some("gate"),
            EventKind::ConfirmationRequested { prompt: Prompt::Gate, text: "GO?".into() },
        ));
        assert!(s.waiting.is_some());
        assert_eq!(s.step("gate").unwrap().status, StepStatus::Waiting);
        s.apply(&event(
            3,
            Some("gate"),
            EventKind::Decided {
                who: "ops".into(),
                login: None,
                decision: Decision::NoGo,
                reason: Some("db down".into()),
                auto: false,
            },
        ));
        assert!(s.waiting.is_none());
        assert_eq!(s.step("gate").unwrap().decisions[0].reason.as_deref(), Some("db down"));
        s.apply(&event(4, None, EventKind::RunFinished { outcome: RunOutcome::NoGo }));
        assert_eq!(s.outcome, Some(RunOutcome::NoGo));
    }

    #[test]
    fn tail_is_bounded_but_counts_everything() {
        let mut tail = OutputTail::default();
        for i in 0..(TAIL_LINES + 10) {
            tail.push(format!("line {i}\n").as_bytes());
        }
        tail.push(&vec![b'x'; TAIL_LINE_CHARS * 3]);
        assert_eq!(tail.lines.len(), TAIL_LINES);
        assert_eq!(tail.total_lines, (TAIL_LINES + 10) as u64);
        assert_eq!(tail.partial.len(), TAIL_LINE_CHARS);
        assert_eq!(tail.lines.front().unwrap(), "line 10");
    }
}
