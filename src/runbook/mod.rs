//! The plan: a runbook parsed once into plain, immutable types.

mod diag;
mod duration;
mod expectation;
mod load;
mod reader;
mod roles;
mod secrets;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta};
use regex::Regex;

pub use diag::{Problem, Problems};
pub use duration::{format_duration, parse_duration, parse_signed_duration};
pub use expectation::{Expectation, Op};
pub use load::{LoadError, load, parse};
pub use roles::{May, Role, Roles};
pub use secrets::{MASK, Redactor, url_passwords};

/// A validated runbook: everything the engine needs, with `${VAR}` already interpolated.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub path: PathBuf,
    /// The working directory of every command: the folder the runbook lives in.
    pub dir: PathBuf,
    /// SHA-256 of the file's bytes, journaled so a report names exactly what was run.
    pub hash: String,
    pub name: String,
    pub description: Option<String>,
    /// T-0 of the day; phases plan their start relative to it.
    pub start: Option<DateTime<FixedOffset>>,
    pub owner: Option<String>,
    /// Between TERM and KILL when a step times out or is aborted.
    pub kill_grace: Duration,
    pub vars: Vec<Var>,
    pub contacts: Vec<Contact>,
    /// Who may sign, drive and roll back; empty: the lead does it all.
    pub roles: Roles,
    pub phases: Vec<Phase>,
    pub rollback: Vec<Step>,
    /// Who hears what needs a person: the `[[notify]]` receivers.
    pub notify: Vec<Notify>,
}

/// A webhook the team's channel listens on.
#[derive(Debug, Clone)]
pub struct Notify {
    /// How the journal names it: `name`, or the format and the URL's host.
    pub name: String,
    pub url: String,
    pub format: NotifyFormat,
    /// The key of the `X-Tminus-Signature` HMAC of a json body.
    pub secret: Option<String>,
    /// What it hears.
    pub on: Vec<Notice>,
    /// A prompt unanswered this long is announced again.
    pub waiting_after: Duration,
    /// How long one try may take.
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyFormat {
    /// An incoming-webhook body: `{"text": ...}`.
    Slack,
    /// One object per notification: run id, runbook, kind, step, text, time.
    Json,
}

/// What a receiver may hear of, as `on` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    Started,
    Waiting,
    Gate,
    Failed,
    Rollback,
    Overrun,
    Alert,
    Handover,
    Finished,
}

impl Notice {
    pub const ALL: [Notice; 9] = [
        Notice::Started,
        Notice::Waiting,
        Notice::Gate,
        Notice::Failed,
        Notice::Rollback,
        Notice::Overrun,
        Notice::Alert,
        Notice::Handover,
        Notice::Finished,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Notice::Started => "started",
            Notice::Waiting => "waiting",
            Notice::Gate => "gate",
            Notice::Failed => "failed",
            Notice::Rollback => "rollback",
            Notice::Overrun => "overrun",
            Notice::Alert => "alert",
            Notice::Handover => "handover",
            Notice::Finished => "finished",
        }
    }

    pub fn parse(word: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|n| n.name() == word)
    }
}

#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub role: String,
    pub name: Option<String>,
    pub reach: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub id: String,
    pub title: String,
    /// Planned start relative to T-0 (negative before it).
    pub at: Option<TimeDelta>,
    pub budget: Option<Duration>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub doc: Option<String>,
    pub kind: StepKind,
    pub expect: Expect,
    pub timeout: Option<Duration>,
    pub retries: u32,
    pub retry_delay: Duration,
    /// A failed critical step blocks the run; a failed recommended one only warns.
    pub critical: bool,
    pub confirm: bool,
    pub dry_run: Option<String>,
    pub undo: Option<String>,
    pub irreversible: bool,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Run(String),
    Http(HttpCheck),
    Sql(SqlCheck),
    Manual(String),
    Gate(Gate),
    Monitor(Monitor),
}

impl StepKind {
    pub fn step_type(&self) -> StepType {
        match self {
            StepKind::Run(_) => StepType::Run,
            StepKind::Http(_) => StepType::Http,
            StepKind::Sql(_) => StepType::Sql,
            StepKind::Manual(_) => StepType::Manual,
            StepKind::Gate(_) => StepType::Gate,
            StepKind::Monitor(_) => StepType::Monitor,
        }
    }

    pub fn name(&self) -> &'static str {
        self.step_type().name()
    }
}

/// What kind of step it is, without what it holds: as the plan is journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepType {
    Run,
    Http,
    Sql,
    Manual,
    Gate,
    Monitor,
}

impl StepType {
    pub fn name(self) -> &'static str {
        match self {
            StepType::Run => "run",
            StepType::Http => "http",
            StepType::Sql => "sql",
            StepType::Manual => "manual",
            StepType::Gate => "gate",
            StepType::Monitor => "monitor",
        }
    }

    /// A step that does something on the machine (rather than asking a person).
    pub fn acts(self) -> bool {
        matches!(self, StepType::Run | StepType::Http | StepType::Sql)
    }
}

impl std::fmt::Display for StepType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub exit: i32,
    pub stdout: Option<Regex>,
}

#[derive(Debug, Clone)]
pub struct Gate {
    pub question: String,
    /// Roles whose approver must be named before GO counts.
    pub signoff: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct HttpCheck {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub data: Option<String>,
    pub status: u16,
    pub body: Option<Regex>,
    /// JSON pointer → expected value (compared as JSON).
    pub json: Vec<(String, serde_json::Value)>,
    pub timeout: Duration,
    pub samples: u32,
    pub concurrency: u32,
    pub p95_ms: Option<f64>,
    pub max_error_rate: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct SqlCheck {
    pub url: String,
    pub query: String,
    pub expect: Option<Expectation>,
    pub expect_rows: bool,
    pub max_ms: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Monitor {
    pub every: Duration,
    pub duration: Duration,
    pub steps: Vec<String>,
    pub alert_after: u32,
}

impl Runbook {
    pub fn steps(&self) -> impl Iterator<Item = (&Phase, &Step)> {
        self.phases.iter().flat_map(|phase| phase.steps.iter().map(move |step| (phase, step)))
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps().map(|(_, s)| s).find(|s| s.id == id)
    }

    /// The planned wall-clock start of a phase: `start` + `at`.
    pub fn planned_start(&self, phase: &Phase) -> Option<DateTime<FixedOffset>> {
        Some(self.start? + phase.at?)
    }

    /// Masks the value of every secret variable, and every password written into a URL.
    pub fn redactor(&self) -> Redactor {
        let secrets = self.vars.iter().filter(|v| v.secret).map(|v| v.value.clone());
        let urls = self.steps().map(|(_, s)| s).chain(&self.rollback).filter_map(|s| match &s.kind {
            StepKind::Http(h) => Some(h.url.as_str()),
            StepKind::Sql(q) => Some(q.url.as_str()),
            _ => None,
        });
        let urls = urls.chain(self.notify.iter().map(|n| n.url.as_str()));
        let passwords = urls.filter_map(|u| url::Url::parse(u).ok()).flat_map(|u| url_passwords(&u));
        let keys = self.notify.iter().filter_map(|n| n.secret.clone());
        Redactor::new(secrets.chain(passwords).chain(keys))
    }
}
