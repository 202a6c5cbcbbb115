//! One line of plain text per event, as the headless output, the log pane and the report say it.

use std::borrow::Cow;
use std::time::Duration;

use super::event::{Decision, Event, EventKind, LeftoverState, Outcome, Role, StepType};
use super::state::RunState;
use crate::runbook::format_duration;
use crate::sanitize::one_line;

/// A person as a record shows them: the name they gave, and the login their transport proved
/// when it is neither that name nor the lead's, so nobody passes for someone else by the name
/// they type.
fn person(name: &str, login: Option<&str>, state: &RunState) -> String {
    match login {
        Some(login) if login != name && state.lead_login.as_deref() != Some(login) => {
            format!("{name} ({login})")
        }
        _ => name.to_string(),
    }
}

/// What an event says, in a line; output batches are summarised, not quoted. Every view shows
/// events through here, and names, notes, reasons and titles are in them as people typed them:
/// the line is made one line, its controls shown, whatever they typed.
pub fn describe(event: &Event, state: &RunState) -> String {
    let said = say(event, state);
    match one_line(&said) {
        Cow::Owned(shown) => shown,
        Cow::Borrowed(_) => said,
    }
}

fn say(event: &Event, state: &RunState) -> String {
    let step = event.step.as_deref().unwrap_or_default();
    match &event.kind {
        EventKind::Output { stream, lines } => {
            let on = if *stream == super::Stream::Stderr { " on stderr" } else { "" };
            format!(
                "{step} printed {lines} line{}{on} ({} bytes)",
                if *lines == 1 { "" } else { "s" },
                event.data.len()
            )
        }
        EventKind::RunStarted(info) => format!(
            "tminus · {} · {} · run {} · operator {} on {}",
            info.runbook,
            info.mode.label(),
            event.run_id,
            info.operator,
            info.host
        ),
        EventKind::PhaseStarted { phase } => {
            let title = state.phases.iter().find(|p| &p.id == phase).map_or("", |p| p.title.as_str());
            format!("── phase {phase}: {title}")
        }
        EventKind::PhaseFinished { phase } => format!("── phase {phase} done"),
        EventKind::StepStarted { attempt, role, command } => {
            let title = state.step(step).map_or("", |s| s.plan.title.as_str());
            match role {
                Role::Undo => format!("↶ undo {step}: {}", command.as_deref().unwrap_or_default()),
                _ if *attempt > 1 => format!("▶ {step} \"{title}\" (attempt {attempt})"),
                _ => format!("▶ {step} \"{title}\""),
            }
        }
        EventKind::Spawned { pgid, host, .. } => format!("· {step} runs as process group {pgid} on {host}"),
        EventKind::Leftover { pgid, state } => {
            let group = pgid.map(|g| format!(" (process group {g})")).unwrap_or_default();
            match state {
                LeftoverState::Running { processes } => format!(
                    "⚠ {step} is still running from the last conductor{group}: {processes} process{}",
                    if *processes == 1 { "" } else { "es" }
                ),
                LeftoverState::Finished => format!("· the earlier copy of {step}{group} has ended by itself"),
                LeftoverState::Ended { signal } => {
                    format!("■ the earlier copy of {step}{group} was ended with {signal}")
                }
                LeftoverState::Absent => {
                    format!("· no copy of {step} runs here: it never started, or has ended")
                }
            }
        }
        EventKind::StepFinished { role, outcome, duration_ms, message, metrics, .. } => {
            let took = format_duration(Duration::from_millis(*duration_ms));
            let mut why = message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
            // Each measured figure next to its target.
            let targeted: Vec<String> = metrics
                .iter()
                .filter_map(|m| {
                    let mark = if m.pass? { "✔" } else { "✖" };
                    Some(format!("{} {} (target {}) {mark}", m.name, m.value, m.target.as_deref()?))
                })
                .collect();
            if !targeted.is_empty() {
                why.push_str(&format!(" [{}]", targeted.join(", ")));
            }
            let critical = state.step(step).is_none_or(|s| s.plan.critical);
            let what = if *role == Role::Undo { format!("undo of {step}") } else { step.to_string() };
            match outcome {
                Outcome::Passed => format!("✔ {what} passed in {took}{why}"),
                Outcome::Skipped => format!("⏭ {what} skipped{why}"),
                Outcome::EndedEarly => format!("◼ {what} ended early after {took}{why}"),
                _ if !critical && *role == Role::Main => {
                    format!("⚠ {what} {} (recommended, the run goes on){why}", outcome.label())
                }
                _ => format!("✖ {what} {} after {took}{why}", outcome.label()),
            }
        }
        EventKind::ConfirmationRequested { prompt, text } => {
            format!("? {step}: {text}  [{}]", prompt.usage())
        }
        EventKind::Decided { who, login, decision, reason, auto } => {
            let who = person(who, login.as_deref(), state);
            let why = reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let how = if *auto { " (--yes)" } else { "" };
            // A yes means GO at a gate, done for a checklist item, go ahead elsewhere.
            let said = match (decision, state.step(step).map(|s| s.plan.kind)) {
                (Decision::Go, Some(StepType::Gate)) => "GO".to_string(),
                (Decision::Go, Some(StepType::Manual)) => "done".to_string(),
                (Decision::Go, _) => "confirmed".to_string(),
                (other, _) => other.label(),
            };
            format!("✔ {who} answered {said} for {step}{why}{how}")
        }
        EventKind::Note { who, login, text } => {
            format!("✎ note from {}: {text}", person(who, login.as_deref(), state))
        }
        EventKind::RollbackRequested { who, login, reason } => {
            let who = person(who, login.as_deref(), state);
            let why = reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            format!("⟲ ROLLBACK requested by {who}{why}")
        }
        EventKind::RollbackStarted { undo, irreversible, no_undo } => {
            let mut text = format!("⟲ undoing, newest first: {}", list(undo));
            if !irreversible.is_empty() {
                text.push_str(&format!("; NOT undone (irreversible): {}", list(irreversible)));
            }
            if !no_undo.is_empty() {
                text.push_str(&format!("; nothing to undo: {}", list(no_undo)));
            }
            text
        }
        EventKind::RollbackFinished { failed } if failed.is_empty() => "⟲ rollback finished".to_string(),
        EventKind::RollbackFinished { failed } => {
            format!("⟲ rollback finished with failures: {}", list(failed))
        }
        EventKind::RunResumed { who, host, .. } => format!("⟳ run resumed by {who} on {host}"),
        EventKind::Attached { who, login } => format!("◉ {who} ({login}) attached a screen"),
        EventKind::Detached { who, login, lost: false } => {
            format!("○ {who} ({login}) detached; the run goes on")
        }
        EventKind::Detached { who, login, lost: true } => {
            format!("○ {who}'s screen ({login}) went away; the run goes on")
        }
        EventKind::StopRequested { who, login, reason } => {
            format!("■ {} stopped the run: {reason}", person(who, Some(login), state))
        }
        EventKind::Refused { who, login, what, why } => format!("⛔ {who} ({login}) may not {what}: {why}"),
        EventKind::Handover { from, to, to_login, .. } => {
            format!("⇄ {to} ({to_login}) took over the lead from {from}")
        }
        EventKind::Signalled { signal } => {
            format!("■ the conductor got {signal}: it ends the running step and stops")
        }
        EventKind::HeadSigned { head, hash, .. } => {
            format!("⚿ chain head signed at event {head} ({})", &hash[..hash.len().min(16)])
        }
        EventKind::RunFinished { outcome } => {
            format!("■ run {} {} (exit {})", event.run_id, outcome.label(), outcome.exit_code())
        }
        EventKind::Notified { receiver, notice, delivered: true, .. } => {
            format!("✉ {receiver} told: {notice}")
        }
        EventKind::Notified { receiver, notice, error, .. } => {
            format!("✉ {receiver} was not told ({notice}): {}", error.as_deref().unwrap_or("not delivered"))
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "none".to_string() } else { items.join(", ") }
}
