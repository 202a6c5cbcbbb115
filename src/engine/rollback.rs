//! Rollback: the undo of every step that ran, newest first, then the `[rollback]` steps.

use super::{Engine, Ran, Reply, Result};
use crate::journal::state::StepStatus;
use crate::journal::{EventKind, Mode, Outcome, Role, RunOutcome};
use crate::runbook::{Expect, StepKind};

impl Engine {
    pub(super) async fn rollback(&mut self, who: String, reason: Option<String>) -> Result<RunOutcome> {
        self.emit(None, EventKind::RollbackRequested { who, reason }).await?;
        self.roll_back().await
    }

    /// Carries out a requested rollback. After a resume it goes on where it stopped: an undo
    /// or a rollback step that already finished is not run twice.
    pub(super) async fn roll_back(&mut self) -> Result<RunOutcome> {
        self.rolling_back = true;
        let runbook = self.runbook.clone();
        let dry = self.options.mode == Mode::DryRun;

        let undo = match self.state.rollback.as_ref().filter(|r| r.started) {
            Some(r) => r.undo.clone(),
            None => {
                // Newest first: the order steps started in, reversed.
                let mut ran: Vec<_> =
                    self.state.steps.iter().filter(|s| s.phase.is_some() && s.ran()).collect();
                ran.sort_by_key(|s| std::cmp::Reverse(s.started_at));
                let ids = |pred: &dyn Fn(&crate::journal::state::StepState) -> bool| -> Vec<String> {
                    ran.iter().filter(|s| pred(s)).map(|s| s.plan.id.clone()).collect()
                };
                let undo = ids(&|s| s.plan.undo.is_some() && !s.plan.irreversible);
                let irreversible = ids(&|s| s.plan.irreversible);
                let no_undo = ids(&|s| s.plan.undo.is_none() && !s.plan.irreversible);
                self.emit(None, EventKind::RollbackStarted { undo: undo.clone(), irreversible, no_undo })
                    .await?;
                undo
            }
        };

        let mut failed = Vec::new();
        for id in &undo {
            let undone = self.state.step(id).and_then(|s| s.undo.as_ref()).and_then(|u| u.outcome);
            if let Some(outcome) = undone {
                if outcome.is_failure() {
                    failed.push(id.clone());
                }
                continue;
            }
            let Some(step) = runbook.step(id) else {
                continue;
            };
            let command = step.undo.as_deref().unwrap_or_default();
            if dry {
                let why = Some("dry run: the undo was not run".to_string());
                self.skip(id, Role::Undo, why).await?;
                continue;
            }
            let ran = self.execute(id, Role::Undo, 1, command, &Expect::default(), step.timeout).await?;
            if ran.outcome.is_failure() {
                failed.push(id.clone());
            }
            if matches!(ran.cut_in, Some(Reply::Interrupt)) {
                return self.rollback_interrupted(failed).await;
            }
        }

        for step in &runbook.rollback {
            let before = self.state.step(&step.id).map(|s| s.status);
            if let Some(status) = before
                .filter(|s| !matches!(s, StepStatus::Pending | StepStatus::Running | StepStatus::Waiting))
            {
                if status.is_failure() {
                    failed.push(step.id.clone());
                }
                continue;
            }
            let ran = match &step.kind {
                StepKind::Run(command) => match (dry, &step.dry_run) {
                    (false, _) => {
                        self.execute(&step.id, Role::Rollback, 1, command, &step.expect, step.timeout).await?
                    }
                    (true, Some(dry_command)) => {
                        self.execute(&step.id, Role::Rollback, 1, dry_command, &step.expect, step.timeout)
                            .await?
                    }
                    (true, None) => {
                        let why = Some("skipped for the dry run: no `dry_run` form".to_string());
                        self.skip(&step.id, Role::Rollback, why).await?;
                        Ran { outcome: Outcome::Skipped, cut_in: None }
                    }
                },
                StepKind::Manual(text) => self.manual(&step.id, Role::Rollback, text).await?,
                // Checks only read, so a dry run runs them too: is the old version healthy again?
                StepKind::Http(_) | StepKind::Sql(_) => self.check_attempts(step, Role::Rollback).await?,
                StepKind::Gate(_) | StepKind::Monitor(_) => {
                    unreachable!("a runbook with one is rejected on load")
                }
            };
            if ran.outcome.is_failure() {
                failed.push(step.id.clone());
            }
            // Only Ctrl-C stops a rollback; an abort or the end of input ends one step, not it.
            if matches!(ran.cut_in, Some(Reply::Interrupt)) {
                return self.rollback_interrupted(failed).await;
            }
        }
        self.emit(None, EventKind::RollbackFinished { failed }).await?;
        Ok(RunOutcome::RolledBack)
    }

    /// Ctrl-C in the middle of a rollback: say so in the journal, and end the run interrupted.
    async fn rollback_interrupted(&mut self, mut failed: Vec<String>) -> Result<RunOutcome> {
        failed.push("(interrupted)".into());
        self.emit(None, EventKind::RollbackFinished { failed }).await?;
        Ok(RunOutcome::Interrupted)
    }
}
