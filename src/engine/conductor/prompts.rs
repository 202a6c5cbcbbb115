//! Prompts: what the conductor asks a person, and what each answer means for the step in hand.

use super::leftover::Leftover;
use super::{Asking, Attempt, Conductor, CutIn, Doing};
use crate::engine::command::{Act, Who};
use crate::journal::{Decision, EventKind, Outcome, Prompt, Role, RunOutcome};
use crate::runbook::{Step, StepKind};

/// What a prompt is about, so its answer can be carried out.
#[derive(Debug)]
pub(super) enum About {
    Confirm,
    /// A checklist item: the attempt is open while it is asked.
    Manual(Attempt),
    /// The approver of sign-off role `index` of a gate.
    Signoff {
        index: usize,
        at: Attempt,
    },
    Gate(Attempt),
    Failure,
    /// The step (or its undo) was running, or had failed, when the last conductor ended.
    Interrupted(Role),
    /// The last conductor's copy of the step still runs, watched meanwhile.
    StillRunning(Leftover),
    /// Whether the last copy (of the step in this role) still runs cannot be known.
    Unknown(Role),
    /// A monitor's alert: the monitor waits while it is asked.
    Alert,
}

impl Conductor {
    pub(super) fn ask(&mut self, step: &str, prompt: Prompt, text: String, about: About) {
        self.emit(Some(step), EventKind::ConfirmationRequested { prompt: prompt.clone(), text });
        let seq = self.state.last_seq;
        self.doing = Doing::Asking(Asking { seq, prompt, step: step.to_string(), about });
    }

    /// Journals an answer, with who gave it.
    pub(super) fn decided(
        &mut self,
        step: &str,
        by: &Who,
        decision: &Decision,
        reason: &Option<String>,
        auto: bool,
    ) {
        let kind = EventKind::Decided {
            who: by.name.clone(),
            login: Some(by.login.clone()),
            decision: decision.clone(),
            reason: reason.clone(),
            auto,
        };
        self.emit(Some(step), kind);
    }

    /// A command while a prompt stands, already held against the prompt's table of answers:
    /// only an answer to this very prompt answers it.
    pub(super) fn prompt_command(&mut self, seq: i64, by: Who, act: Act) {
        let cut = match act {
            Act::Answer { to, decision, reason, auto } => {
                let Doing::Asking(asking) = &self.doing else { return };
                if decision == Decision::Rollback && to != seq {
                    CutIn::Rollback { by, reason }
                } else if to != seq {
                    return;
                } else {
                    let step = asking.step.clone();
                    let gate = matches!(asking.prompt, Prompt::Gate | Prompt::Signoff { .. });
                    self.decided(&step, &by, &decision, &reason, auto);
                    if gate {
                        self.seal();
                    }
                    let Doing::Asking(asking) = std::mem::replace(&mut self.doing, Doing::Idle) else {
                        return;
                    };
                    return self.answered(asking, by, decision, reason);
                }
            }
            Act::Rollback { reason } => CutIn::Rollback { by, reason },
            Act::Stop { reason } => {
                self.stop_requested(&by, reason);
                CutIn::Stop(by)
            }
            Act::Interrupt { signal } => self.signalled(signal),
            // Nothing runs while a prompt stands: there is no step to abort.
            Act::Abort
            | Act::Note { .. }
            | Act::Notified { .. }
            | Act::Unreadable { .. }
            | Act::Attach
            | Act::Detach { .. }
            | Act::TakeOver => return,
        };
        if matches!(cut, CutIn::Rollback { .. }) && self.rollback.is_some() {
            return;
        }
        let Doing::Asking(asking) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
        self.prompt_cut(asking, cut);
    }

    /// The prompt is left unanswered: close the step in hand as the cut-in says, then settle.
    fn prompt_cut(&mut self, asking: Asking, cut: CutIn) {
        if let About::StillRunning(leftover) = asking.about {
            // Nothing else happens while the last conductor's copy may run: it is ended first.
            return self.end_leftover(leftover, Some(cut));
        }
        let unanswered = match &asking.about {
            // A failed critical step that nobody decided on leaves the run failed.
            About::Failure => RunOutcome::Failed,
            _ => RunOutcome::Aborted,
        };
        match asking.about {
            About::Manual(at) => {
                self.finish(&at, Outcome::Aborted, None, Some(cut.why()), Vec::new());
                if at.role != Role::Main {
                    self.rollback_step_done(&at.step, Outcome::Aborted);
                }
            }
            About::Signoff { at, .. } | About::Gate(at) => {
                let (outcome, message) = match &cut {
                    CutIn::Rollback { .. } => (Outcome::Failed, "rollback instead of a decision"),
                    _ => (Outcome::Aborted, "no decision"),
                };
                self.finish(&at, outcome, None, Some(message.into()), Vec::new());
            }
            About::Alert => self.monitor_ended_by(&cut),
            About::Confirm
            | About::Failure
            | About::Interrupted(_)
            | About::Unknown(_)
            | About::StillRunning(_) => {}
        }
        match cut {
            CutIn::Rollback { by, reason } => self.request_rollback(by, reason),
            CutIn::Stop(_) if self.rollback.is_none() => self.end(unanswered),
            CutIn::Stop(_) => self.stop_run(RunOutcome::Aborted),
            CutIn::Interrupt(_) => self.stop_run(RunOutcome::Interrupted),
            CutIn::Abort(_) => {}
        }
    }

    fn answered(&mut self, asking: Asking, by: Who, decision: Decision, reason: Option<String>) {
        if decision == Decision::Rollback {
            // The step in hand closes as a rollback cuts it, then the rollback runs.
            return self.prompt_cut(asking, CutIn::Rollback { by, reason });
        }
        // Only steps of the plan are asked about; the plan cannot change under a run.
        let Some(step) = self.plan_step(&asking.step) else { return self.next() };
        match (asking.about, decision) {
            (About::Confirm, Decision::Go) => self.perform(&step),
            (About::Confirm, Decision::Skip) => {
                self.skip(&asking.step, Role::Main, reason.unwrap_or_else(|| "skipped".into()));
                self.next();
            }
            (About::Confirm, _) => self.end(RunOutcome::NoGo),
            (About::Manual(at), decision) => {
                let (outcome, message) = match decision {
                    Decision::Go => (Outcome::Passed, None),
                    Decision::Skip => (Outcome::Skipped, reason),
                    _ => (Outcome::Failed, reason),
                };
                self.finish(&at, outcome, None, message, Vec::new());
                self.attempt_done(&at, outcome);
            }
            (About::Signoff { index, at }, Decision::Signed { .. }) => {
                self.signoff_or_gate(&step, index + 1, at.started);
            }
            (About::Gate(at), Decision::Go) => {
                self.finish(&at, Outcome::Passed, None, Some("GO".into()), Vec::new());
                self.next();
            }
            (About::Signoff { at, .. } | About::Gate(at), _) => {
                let why = format!("NO-GO: {}", reason.as_deref().unwrap_or("no reason given"));
                self.finish(&at, Outcome::Failed, None, Some(why), Vec::new());
                self.end(RunOutcome::NoGo);
            }
            (About::Failure, Decision::Retry) | (About::Interrupted(Role::Main), Decision::Retry) => {
                self.perform(&step)
            }
            (About::Interrupted(role), Decision::Retry) => self.launch(&asking.step, role, 1),
            (About::Failure, Decision::Skip) => self.next(),
            (About::Interrupted(role), Decision::Go) => self.mark_done(&asking.step, role, &by, reason),
            (About::Failure, _) => self.end(RunOutcome::Failed),
            (About::Interrupted(_), _) => self.stop_run(RunOutcome::Failed),
            (About::StillRunning(leftover), Decision::End) => self.end_leftover(leftover, None),
            (About::StillRunning(leftover), _) => self.end_leftover(leftover, Some(CutIn::Stop(by))),
            (About::Unknown(role), Decision::Retry) => {
                self.known();
                match role {
                    Role::Main => self.perform(&step),
                    _ => self.launch(&asking.step, role, 1),
                }
            }
            (About::Unknown(role), Decision::Go) => {
                self.known();
                self.mark_done(&asking.step, role, &by, reason);
            }
            (About::Unknown(_), _) => self.stop_run(RunOutcome::Failed),
            (About::Alert, decision) => self.alert_answered(by, decision, reason),
        }
    }

    /// The operator says a step whose copy was interrupted did finish.
    fn mark_done(&mut self, id: &str, role: Role, by: &Who, reason: Option<String>) {
        let number = match role {
            Role::Undo => 1,
            _ => self.state.step(id).map_or(1, |s| s.attempts.max(1)),
        };
        let at = Attempt { step: id.to_string(), role, number, try_n: 1, started: self.now };
        let why = format!("marked done by {}: {}", by.name, reason.unwrap_or_default());
        self.finish(&at, Outcome::Passed, None, Some(why), Vec::new());
        match role {
            Role::Main => self.next(),
            _ => self.rollback_step_done(id, Outcome::Passed),
        }
    }

    /// A checklist item: the attempt opens, and the operator ticks it, fails it or skips it.
    pub(super) fn manual(&mut self, step: &str, role: Role, text: &str) {
        let at = self.attempt(step, role, 1);
        self.emit(Some(step), EventKind::StepStarted { attempt: at.number, role, command: None });
        self.ask(step, Prompt::Manual, text.to_string(), About::Manual(at));
    }

    /// GO / NO-GO: each sign-off role named first (from `index` on), then the decision itself.
    pub(super) fn signoff_or_gate(&mut self, step: &Step, index: usize, started: tokio::time::Instant) {
        let StepKind::Gate(gate) = &step.kind else { return };
        let at = Attempt { step: step.id.clone(), role: Role::Main, number: 1, try_n: 1, started };
        if let Some(role) = gate.signoff.get(index) {
            // With [roles], everyone watching reads whom the gate waits for, and how they sign.
            let text = match self.runbook.roles.get(role) {
                Some(r) => format!(
                    "Sign-off for \"{}\": waits for the {role} ({}) to sign with `tminus sign`",
                    gate.question,
                    r.people.join(", ")
                ),
                None => format!("Sign-off for \"{}\": who approves as {role}?", gate.question),
            };
            let prompt = Prompt::Signoff { role: role.clone() };
            return self.ask(&step.id, prompt, text, About::Signoff { index, at });
        }
        let text = format!("{} — {}", gate.question, self.state.gate_summary(&step.id));
        self.ask(&step.id, Prompt::Gate, text, About::Gate(at));
    }
}
