//! Rollback: the undo of every step that ran, newest first, then the `[rollback]` steps. What
//! it undoes is `RunState::rollback_plan`, the same answer the rollback dialog shows.

use std::collections::VecDeque;

use super::prompts::About;
use super::{Conductor, Doing};
use crate::engine::command::Who;
use crate::journal::state::StepStatus;
use crate::journal::{EventKind, Outcome, Prompt, Role, RunOutcome};
use crate::runbook::StepKind;

#[derive(Debug)]
enum Item {
    Undo(String),
    Step(String),
}

#[derive(Debug, Default)]
pub(super) struct RollbackWalk {
    queue: VecDeque<Item>,
    failed: Vec<String>,
}

impl Conductor {
    /// Starts the rollback, unless one is under way.
    pub(super) fn request_rollback(&mut self, by: Who, reason: Option<String>) {
        if self.rollback.is_some() {
            self.doing = Doing::Idle;
            return;
        }
        self.emit(None, EventKind::RollbackRequested { who: by.name, login: Some(by.login), reason });
        self.seal();
        self.settle_rollback_plan();
    }

    /// A rollback that was under way when the last conductor ended goes on where it stopped:
    /// an undo or a rollback step that already finished is not run twice.
    pub(super) fn resume_rollback(&mut self) {
        match self.state.rollback.as_ref().filter(|r| r.started) {
            Some(r) => {
                let undo = r.undo.clone();
                self.walk_rollback(undo);
            }
            None => self.settle_rollback_plan(),
        }
    }

    fn settle_rollback_plan(&mut self) {
        let plan = self.state.rollback_plan();
        let kind = EventKind::RollbackStarted {
            undo: plan.undo.clone(),
            irreversible: plan.irreversible,
            no_undo: plan.no_undo,
        };
        self.emit(None, kind);
        self.walk_rollback(plan.undo);
    }

    fn walk_rollback(&mut self, undo: Vec<String>) {
        let steps = self.runbook.rollback.iter().map(|s| Item::Step(s.id.clone()));
        let queue = undo.into_iter().map(Item::Undo).chain(steps).collect();
        self.rollback = Some(RollbackWalk { queue, failed: Vec::new() });
        self.doing = Doing::Idle;
    }

    /// The next undo or rollback step; the rollback's end once none is left.
    pub(super) fn rollback_next(&mut self) {
        // `pump` asks only while a rollback walks; without one, the plan's walk goes on.
        let Some(walk) = self.rollback.as_mut() else { return };
        let Some(item) = walk.queue.pop_front() else {
            let failed = std::mem::take(&mut walk.failed);
            self.emit(None, EventKind::RollbackFinished { failed });
            return self.end(RunOutcome::RolledBack);
        };
        match item {
            Item::Undo(id) => {
                let undo = self.state.step(&id).and_then(|s| s.undo.as_ref());
                if let Some(outcome) = undo.and_then(|u| u.outcome) {
                    return self.count_failure(&id, outcome);
                }
                // An undo the last conductor started and never saw end may have done its work,
                // or half of it: running it again is a person's decision, as for any step.
                if undo.is_some() && !self.is_unknown(&id, Role::Undo) {
                    let title = self.plan_step(&id).map_or(id.clone(), |s| s.title);
                    let text = format!(
                        "the undo of \"{title}\" was running when the last conductor ended: run it again, mark it done with a reason, or stop"
                    );
                    return self.ask(&id, Prompt::Interrupted, text, About::Interrupted(Role::Undo));
                }
                if self.dry() {
                    return self.skip(&id, Role::Undo, "dry run: the undo was not run".into());
                }
                self.launch(&id, Role::Undo, 1);
            }
            Item::Step(id) => {
                let status = self.state.step(&id).map_or(StepStatus::Pending, |s| s.status);
                if !matches!(status, StepStatus::Pending | StepStatus::Running | StepStatus::Waiting) {
                    if status.is_failure() {
                        self.rollback_failed(id);
                    }
                    return;
                }
                let Some(step) = self.plan_step(&id) else { return };
                match &step.kind {
                    StepKind::Run(_) if self.dry() && step.dry_run.is_none() => {
                        self.skip(&id, Role::Rollback, "skipped for the dry run: no `dry_run` form".into())
                    }
                    StepKind::Manual(text) => self.manual(&id, Role::Rollback, text),
                    // Checks only read, so a dry run runs them too: is the old version healthy again?
                    StepKind::Run(_) | StepKind::Http(_) | StepKind::Sql(_) => {
                        self.launch(&id, Role::Rollback, 1)
                    }
                    // Rejected when the runbook is loaded.
                    StepKind::Gate(_) | StepKind::Monitor(_) => {}
                }
            }
        }
    }

    fn count_failure(&mut self, id: &str, outcome: Outcome) {
        if outcome.is_failure() {
            self.rollback_failed(id.to_string());
        }
    }

    fn rollback_failed(&mut self, id: String) {
        if let Some(walk) = self.rollback.as_mut() {
            walk.failed.push(id);
        }
    }

    /// An undo or rollback step is settled: a failure is counted, and the rollback goes on.
    pub(super) fn rollback_step_done(&mut self, id: &str, outcome: Outcome) {
        self.count_failure(id, outcome);
        self.doing = Doing::Idle;
    }

    /// Ctrl-C or a stop in the middle of a rollback: say so in the journal and end the run.
    pub(super) fn rollback_cut_short(&mut self, outcome: RunOutcome) {
        let Some(mut walk) = self.rollback.take() else { return self.end(outcome) };
        let tag = if outcome == RunOutcome::Interrupted { "(interrupted)" } else { "(stopped)" };
        walk.failed.push(tag.into());
        self.emit(None, EventKind::RollbackFinished { failed: walk.failed });
        self.end(outcome);
    }
}
