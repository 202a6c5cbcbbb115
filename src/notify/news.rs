//! What is news for the team's channel, and how a person would say it. Pure: an event and the
//! run as folded before it in, a message (or nothing) out.

use chrono::{DateTime, Utc};

use crate::journal::state::Waiting;
use crate::journal::{Decision, Event, EventKind, Outcome, Prompt, Role, RunState, StepType};
use crate::runbook::{Notice, format_duration};

/// One notification, before it is shaped for a receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub notice: Notice,
    pub step: Option<String>,
    /// What happened, in a sentence: "GO / NO-GO for Batch 2 waits for the QA Reviewer".
    pub what: String,
    pub at: DateTime<Utc>,
    /// It asks someone to sign: they answer with `tminus sign` from their own terminal.
    pub signing: bool,
}

impl Message {
    /// The whole line: "Batch 2 rollout · GO / NO-GO waits for the QA Reviewer · T+00:02 ·
    /// tminus attach RUN_ID".
    pub fn text(&self, state: &RunState) -> String {
        let runbook = state.info.as_ref().map_or("tminus", |i| i.runbook.as_str());
        let command = match self.notice {
            Notice::Finished => format!("tminus report {}", state.run_id),
            _ if self.signing => format!("tminus sign {}", state.run_id),
            _ => format!("tminus attach {}", state.run_id),
        };
        // Each notification carries the last head the conductor signed: the team's channel
        // holds witnesses of the journal as it was.
        let head = state.head.as_ref().map(|h| format!(" · head {h}")).unwrap_or_default();
        format!("{runbook} · {} · {} · {command}{head}", self.what, clock(state, self.at))
    }
}

/// T-minus / T-plus to the runbook's T-0, or the time of day in its offset without one.
pub fn clock(state: &RunState, at: DateTime<Utc>) -> String {
    let Some(t0) = state.info.as_ref().and_then(|i| i.start) else {
        return at.format("%H:%M UTC").to_string();
    };
    let secs = (at - t0.with_timezone(&Utc)).num_seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let minutes = secs.unsigned_abs() / 60;
    format!("T{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// What `event` is news of; `before` is the run as folded up to (not including) it.
pub fn news(event: &Event, before: &RunState) -> Option<Message> {
    let step = event.step.clone();
    let title = |id: &str| before.step(id).map_or_else(|| id.to_string(), |s| s.plan.title.clone());
    let signing =
        matches!(&event.kind, EventKind::ConfirmationRequested { prompt: Prompt::Signoff { .. }, .. });
    let said =
        |notice, what: String| Some(Message { notice, step: step.clone(), what, at: event.at, signing });
    match &event.kind {
        EventKind::RunStarted(info) => {
            let dry = if info.mode == crate::journal::Mode::DryRun { " (dry run)" } else { "" };
            said(Notice::Started, format!("started{dry} by {} on {}", info.operator, info.host))
        }
        EventKind::RunResumed { who, host, .. } => {
            said(Notice::Started, format!("picked up again by {who} on {host}"))
        }
        EventKind::ConfirmationRequested { prompt, text } => {
            let id = step.as_deref().unwrap_or_default();
            match prompt {
                Prompt::Signoff { role } => said(
                    Notice::Gate,
                    format!(
                        "{} waits for the {role}{} to sign off",
                        question(before, id),
                        people(before, role)
                    ),
                ),
                Prompt::Gate => said(
                    Notice::Gate,
                    format!("{} waits for GO or NO-GO from {}", question(before, id), lead(before)),
                ),
                Prompt::Alert => said(Notice::Alert, format!("ALERT on “{}”: {text}", title(id))),
                _ => None,
            }
        }
        EventKind::Decided { who, decision, reason, .. } => {
            let id = step.as_deref().unwrap_or_default();
            if before.step(id).map(|s| s.plan.kind) != Some(StepType::Gate) {
                return None;
            }
            let why = reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let what = match decision {
                Decision::Go => format!("GO from {who}"),
                Decision::NoGo => format!("NO-GO from {who}{why}"),
                Decision::Signed { role, name } => format!("{name} signs off as {role} ({who})"),
                Decision::Rollback => return None,
                other => format!("{} from {who}{why}", other.label()),
            };
            said(Notice::Gate, format!("{}: {what}", question(before, id)))
        }
        EventKind::StepFinished { role, outcome, exit_code, message, .. } if outcome.is_failure() => {
            let id = step.as_deref().unwrap_or_default();
            let name = match role {
                Role::Undo => format!("the undo of “{}”", title(id)),
                Role::Rollback => format!("rollback step “{}”", title(id)),
                Role::Main => format!("“{}”", title(id)),
            };
            let how = match (outcome, exit_code) {
                (Outcome::Failed, Some(code)) => format!("failed (exit {code})"),
                _ => outcome.label().to_string(),
            };
            let why = message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
            let critical = before.step(id).is_none_or(|s| s.plan.critical);
            let goes_on =
                if !critical && *role == Role::Main { " (recommended; the run goes on)" } else { "" };
            said(Notice::Failed, format!("{name} {how}{why}{goes_on}"))
        }
        EventKind::RollbackStarted { undo, irreversible, .. } => {
            let (by, why) = match &before.rollback {
                Some(r) => (
                    r.requested_by.as_str(),
                    r.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default(),
                ),
                None => ("the lead", String::new()),
            };
            let mut what = format!("ROLLBACK started by {by}{why}");
            if !undo.is_empty() {
                what.push_str(&format!("; undoing {}", undo.join(", ")));
            }
            if !irreversible.is_empty() {
                what.push_str(&format!("; cannot undo {}", irreversible.join(", ")));
            }
            said(Notice::Rollback, what)
        }
        EventKind::RollbackFinished { failed } if failed.is_empty() => {
            said(Notice::Rollback, "rollback finished".to_string())
        }
        EventKind::RollbackFinished { failed } => {
            said(Notice::Rollback, format!("rollback finished, with failures: {}", failed.join(", ")))
        }
        EventKind::Handover { from, to, to_login, .. } => {
            said(Notice::Handover, format!("{to} ({to_login}) took over the lead from {from}"))
        }
        EventKind::RunFinished { outcome } => {
            let took = before
                .started_at
                .map(|s| format!(" after {}", format_duration((event.at - s).to_std().unwrap_or_default())))
                .unwrap_or_default();
            said(Notice::Finished, format!("run {}{took}", outcome.label()))
        }
        _ => None,
    }
}

/// A prompt that has stood `waited` unanswered: who may answer it, and what it asks.
pub fn still_waiting(waiting: &Waiting, state: &RunState, waited: std::time::Duration) -> Message {
    let id = waiting.step.as_deref().unwrap_or_default();
    let who = match &waiting.prompt {
        Prompt::Signoff { role } => format!("the {role}{}", people(state, role)),
        _ => lead(state),
    };
    let about = match &waiting.prompt {
        Prompt::Gate | Prompt::Signoff { .. } => question(state, id),
        _ => state.step(id).map_or_else(|| id.to_string(), |s| format!("“{}”", s.plan.title)),
    };
    Message {
        notice: Notice::Waiting,
        step: waiting.step.clone(),
        what: format!("{about} has waited {} for {who} ({})", format_duration(waited), waiting.prompt.name()),
        at: Utc::now(),
        signing: matches!(waiting.prompt, Prompt::Signoff { .. }),
    }
}

/// A phase past its budget.
pub fn overrun(state: &RunState, phase: &str, at: DateTime<Utc>) -> Option<Message> {
    let p = state.phases.iter().find(|p| p.id == phase)?;
    let budget = std::time::Duration::from_secs(p.budget_secs?);
    Some(Message {
        notice: Notice::Overrun,
        step: None,
        what: format!("{} has overrun its {} budget", p.title, format_duration(budget)),
        at,
        signing: false,
    })
}

/// The logins that may sign for `role`, when the runbook names them: " (thandi, sipho)".
fn people(state: &RunState, role: &str) -> String {
    let named = state.info.as_ref().and_then(|i| i.roles.get(role)).map(|r| r.people.join(", "));
    named.map(|p| format!(" ({p})")).unwrap_or_default()
}

fn question(state: &RunState, id: &str) -> String {
    state.step(id).map_or_else(|| id.to_string(), |s| s.plan.detail.clone())
}

fn lead(state: &RunState) -> String {
    state.info.as_ref().map_or_else(|| "the lead".to_string(), |i| format!("the lead, {}", i.operator))
}
