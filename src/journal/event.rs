//! What happened, as data: the events every view of a run is folded from.

use chrono::{DateTime, FixedOffset, Utc};

pub use crate::runbook::{May, Roles, StepType};
use serde::{Deserialize, Serialize};

/// One journaled fact. `seq` is gap-free per run; `data` holds the raw bytes of an output batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub run_id: String,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub step: Option<String>,
    pub kind: EventKind,
    /// Every byte a step printed (secrets masked), for `Output` events; empty otherwise.
    #[serde(skip)]
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    RunStarted(Box<RunInfo>),
    PhaseStarted {
        phase: String,
    },
    PhaseFinished {
        phase: String,
    },
    StepStarted {
        attempt: u32,
        role: Role,
        /// The command text as the runbook wrote it (the shell expands its variables).
        command: Option<String>,
    },
    Output {
        stream: Stream,
        lines: u32,
    },
    /// A step's command is running as process group `pgid` on `host`, since boot `boot`:
    /// enough for a later conductor to tell whether that copy still runs.
    Spawned {
        pgid: i32,
        host: String,
        boot: String,
    },
    /// What became of a copy of a step left running by a conductor that is gone: its process
    /// group, once found.
    Leftover {
        pgid: Option<i32>,
        state: LeftoverState,
    },
    StepFinished {
        attempt: u32,
        role: Role,
        outcome: Outcome,
        exit_code: Option<i32>,
        duration_ms: u64,
        message: Option<String>,
        /// What a check measured, each against its target.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        metrics: Vec<Metric>,
    },
    ConfirmationRequested {
        prompt: Prompt,
        text: String,
    },
    Decided {
        who: String,
        /// The account that sent the answer, as its transport proved it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        decision: Decision,
        reason: Option<String>,
        /// Answered by `--yes` rather than typed.
        #[serde(default)]
        auto: bool,
    },
    Note {
        who: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        text: String,
    },
    RollbackRequested {
        who: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        reason: Option<String>,
    },
    RollbackStarted {
        /// Finished steps whose undo runs, newest first.
        undo: Vec<String>,
        /// Finished steps marked irreversible: reported, never undone.
        irreversible: Vec<String>,
        /// Finished steps with nothing to undo.
        no_undo: Vec<String>,
    },
    RollbackFinished {
        failed: Vec<String>,
    },
    /// The run was picked up again by a new conductor after the last one was gone.
    RunResumed {
        who: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        host: String,
        /// The public half of the key this conductor signs the chain's heads with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// A screen attached to the run's conductor.
    Attached {
        who: String,
        login: String,
    },
    /// A screen left: on its lead's word (`lost: false`), or its connection dropped.
    Detached {
        who: String,
        login: String,
        lost: bool,
    },
    /// Someone asked for what their role does not allow: nothing was done.
    Refused {
        who: String,
        login: String,
        /// What they asked for, in words: "sign as QA Reviewer", "roll back".
        what: String,
        why: String,
    },
    /// The lead changed: `to` drives the run from now on.
    Handover {
        from: String,
        from_login: String,
        to: String,
        to_login: String,
    },
    /// Someone chose to end the run.
    StopRequested {
        who: String,
        login: String,
        reason: String,
    },
    /// The conductor was sent a signal: it ends the running step and stops.
    Signalled {
        signal: String,
    },
    RunFinished {
        outcome: RunOutcome,
    },
    /// The conductor signed the chain's head: event `head` hashes to `hash`, as `key` (the
    /// conductor's, journaled at the run's start) says with `signature`. The conductor asks for
    /// it with every field empty; the journal's writer, which holds the chain, fills them in.
    HeadSigned {
        head: i64,
        hash: String,
        key: String,
        signature: String,
    },
    /// A notification to one of the runbook's `[[notify]]` receivers: delivered, or the error
    /// that ended its last try.
    Notified {
        receiver: String,
        /// What it told: started, waiting, gate, failed, rollback, overrun, alert, finished.
        notice: String,
        delivered: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

/// A copy of a step left running by a conductor that is gone, as the next conductor found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LeftoverState {
    /// Still running, as this many processes.
    Running { processes: u32 },
    /// It ended by itself.
    Finished,
    /// It was ended: TERM, and KILL when TERM was not enough.
    Ended { signal: String },
    /// No copy of it runs on this machine: it never started, or has ended.
    Absent,
}

impl EventKind {
    /// Bookkeeping for later conductors and the report, not news for the people watching
    /// the run: screens and headless output leave it out.
    pub fn is_bookkeeping(&self) -> bool {
        matches!(self, EventKind::Spawned { .. } | EventKind::HeadSigned { .. })
    }

    /// An event about telling others of the run, never itself news to tell.
    pub fn is_notification(&self) -> bool {
        matches!(self, EventKind::Notified { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            EventKind::RunStarted(_) => "run_started",
            EventKind::PhaseStarted { .. } => "phase_started",
            EventKind::PhaseFinished { .. } => "phase_finished",
            EventKind::StepStarted { .. } => "step_started",
            EventKind::Output { .. } => "output",
            EventKind::Spawned { .. } => "spawned",
            EventKind::Leftover { .. } => "leftover",
            EventKind::StepFinished { .. } => "step_finished",
            EventKind::ConfirmationRequested { .. } => "confirmation_requested",
            EventKind::Decided { .. } => "decided",
            EventKind::Note { .. } => "note",
            EventKind::RollbackRequested { .. } => "rollback_requested",
            EventKind::RollbackStarted { .. } => "rollback_started",
            EventKind::RollbackFinished { .. } => "rollback_finished",
            EventKind::RunResumed { .. } => "run_resumed",
            EventKind::Attached { .. } => "attached",
            EventKind::Detached { .. } => "detached",
            EventKind::Refused { .. } => "refused",
            EventKind::Handover { .. } => "handover",
            EventKind::StopRequested { .. } => "stop_requested",
            EventKind::Signalled { .. } => "signalled",
            EventKind::RunFinished { .. } => "run_finished",
            EventKind::HeadSigned { .. } => "head_signed",
            EventKind::Notified { .. } => "notified",
        }
    }
}

/// Who started the run and what it follows: enough for a report with no runbook file at hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub runbook: String,
    pub path: String,
    pub hash: String,
    pub operator: String,
    /// The lead's login, as the transport proved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    pub host: String,
    /// The public half of the key the conductor signs the chain's heads with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub mode: Mode,
    /// The runbook's T-0, in its own offset.
    pub start: Option<DateTime<FixedOffset>>,
    pub owner: Option<String>,
    pub vars: Vec<(String, String)>,
    pub contacts: Vec<PlannedContact>,
    /// Who may sign, drive and roll back; empty when the runbook has no `[roles]`.
    #[serde(default, skip_serializing_if = "Roles::is_empty")]
    pub roles: Roles,
    pub phases: Vec<PlannedPhase>,
    pub rollback: Vec<PlannedStep>,
}

#[cfg(test)]
impl RunInfo {
    /// A run of one phase, `p`, holding `steps`: for tests of what is folded from it.
    pub(crate) fn of_steps(steps: Vec<PlannedStep>) -> RunInfo {
        RunInfo {
            runbook: "demo".into(),
            path: "demo.toml".into(),
            hash: "abc".into(),
            operator: "ops".into(),
            login: None,
            host: "h".into(),
            key: None,
            mode: Mode::Live,
            start: None,
            owner: None,
            vars: Vec::new(),
            contacts: Vec::new(),
            roles: Roles::default(),
            phases: vec![PlannedPhase {
                id: "p".into(),
                title: "P".into(),
                at_secs: None,
                budget_secs: None,
                steps,
            }],
            rollback: Vec::new(),
        }
    }
}

#[cfg(test)]
impl PlannedStep {
    /// A critical step with nothing to undo: for tests.
    pub(crate) fn plain(id: &str, title: &str, kind: StepType, detail: &str) -> PlannedStep {
        PlannedStep {
            id: id.into(),
            title: title.into(),
            kind,
            doc: None,
            detail: detail.into(),
            critical: true,
            confirm: false,
            undo: None,
            irreversible: false,
            signoff: Vec::new(),
            dry_run: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedContact {
    pub role: String,
    pub name: Option<String>,
    pub reach: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedPhase {
    pub id: String,
    pub title: String,
    /// Planned start relative to T-0, in seconds.
    pub at_secs: Option<i64>,
    pub budget_secs: Option<u64>,
    pub steps: Vec<PlannedStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub kind: StepType,
    pub doc: Option<String>,
    /// What it does, in one line: the command, the URL, the query, the question.
    pub detail: String,
    pub critical: bool,
    pub confirm: bool,
    pub undo: Option<String>,
    pub irreversible: bool,
    pub signoff: Vec<String>,
    /// A `run` step with a `dry_run` form: a dry run runs that instead of skipping it.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Live,
    DryRun,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Live => "LIVE",
            Mode::DryRun => "DRY RUN",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The step itself.
    Main,
    /// The step's `undo`, during a rollback.
    Undo,
    /// A step of the `[rollback]` section.
    Rollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    TimedOut,
    Skipped,
    Aborted,
    /// A monitor someone ended before its planned time: neither passed nor failed.
    EndedEarly,
}

impl Outcome {
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::TimedOut | Outcome::Aborted)
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed out",
            Outcome::Skipped => "skipped",
            Outcome::Aborted => "aborted",
            Outcome::EndedEarly => "ended early",
        }
    }
}

/// What the engine is waiting for the operator to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "prompt", rename_all = "snake_case")]
pub enum Prompt {
    /// Before a `confirm = true` step runs.
    Confirm,
    /// A checklist item the operator ticks.
    Manual,
    /// The named approver for one sign-off role of a gate.
    Signoff { role: String },
    /// GO / NO-GO.
    Gate,
    /// A critical step failed: retry, skip, roll back or stop.
    Failure,
    /// A monitor is running: `done` ends it early.
    Monitor,
    /// A monitor's checks failed round after round: roll back, keep watching, or end it.
    Alert,
    /// After a resume, a step that was running (or had failed) when the lead's session ended.
    Interrupted,
    /// After a resume, the copy of the step the last conductor started is still running.
    StillRunning,
    /// After a resume, whether the step's last copy still runs cannot be known (it ran on
    /// another machine, or its process was never journaled): a retry must be typed out.
    Unknown,
}

impl Prompt {
    /// What the prompt is, in a word or two.
    pub fn name(&self) -> &'static str {
        match self {
            Prompt::Confirm => "confirmation",
            Prompt::Manual => "checklist",
            Prompt::Signoff { .. } => "sign-off",
            Prompt::Gate => "GO / NO-GO",
            Prompt::Failure => "failed step",
            Prompt::Monitor => "monitor",
            Prompt::Alert => "alert",
            Prompt::Interrupted => "interrupted step",
            Prompt::StillRunning => "still running",
            Prompt::Unknown => "state unknown",
        }
    }

    /// Whether the run waits on this prompt; a monitor goes on while its prompt stands.
    pub fn blocks(&self) -> bool {
        !matches!(self, Prompt::Monitor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Go,
    NoGo,
    /// End a monitor.
    Done,
    Skip,
    Retry,
    Rollback,
    /// End a copy of a step left running by a conductor that is gone.
    End,
    Signed {
        role: String,
        name: String,
    },
}

impl Decision {
    pub fn label(&self) -> String {
        match self {
            Decision::Go => "GO".into(),
            Decision::NoGo => "NO-GO".into(),
            Decision::Done => "done".into(),
            Decision::Skip => "skip".into(),
            Decision::Retry => "retry".into(),
            Decision::Rollback => "rollback".into(),
            Decision::End => "end it".into(),
            Decision::Signed { role, name } => format!("signed as {role}: {name}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Succeeded,
    Failed,
    RolledBack,
    NoGo,
    Aborted,
    Interrupted,
}

impl RunOutcome {
    /// The process exit code the CLI contract gives this outcome.
    pub fn exit_code(self) -> i32 {
        match self {
            RunOutcome::Succeeded => 0,
            RunOutcome::Failed => 1,
            RunOutcome::RolledBack => 3,
            RunOutcome::NoGo | RunOutcome::Aborted => 4,
            RunOutcome::Interrupted => 130,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::RolledBack => "rolled back",
            RunOutcome::NoGo => "NO-GO",
            RunOutcome::Aborted => "aborted",
            RunOutcome::Interrupted => "interrupted",
        }
    }

    /// An outcome as a run's row stores it (`as_str`), read back.
    pub fn parse(text: &str) -> Option<Self> {
        use RunOutcome::*;
        [Succeeded, Failed, RolledBack, NoGo, Aborted, Interrupted].into_iter().find(|o| o.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::RolledBack => "rolled_back",
            RunOutcome::NoGo => "no_go",
            RunOutcome::Aborted => "aborted",
            RunOutcome::Interrupted => "interrupted",
        }
    }
}

/// One measured figure of a check, against its target when the runbook gives one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub value: String,
    pub target: Option<String>,
    /// `None` for a figure that is reported but has no target.
    pub pass: Option<bool>,
}

impl Metric {
    pub fn info(name: &str, value: String) -> Self {
        Metric { name: name.to_string(), value, target: None, pass: None }
    }

    pub fn against(name: &str, value: String, target: String, pass: bool) -> Self {
        Metric { name: name.to_string(), value, target: Some(target), pass: Some(pass) }
    }
}
