//! Running checks inside the engine: HTTP and SQL steps with retries, and monitors that repeat
//! them. A check runs as its own future while the engine keeps journaling what it reports and
//! listening to the operator.

use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::{Instant, sleep_until};

use super::check::CheckOutcome;
use super::{Attempt, Command, Ending, Engine, Ran, Reply, Result, backoff, detail, http, sql};
use crate::journal::{Decision, EventKind, Metric, Outcome, Prompt, Role, Stream};
use crate::runbook::{Monitor, Step, StepKind, format_duration};

/// A check followed on its own shows its lines and can be cut into; a check in a monitor's
/// round is quiet, and what the operator says waits for the round to end.
#[derive(Clone, Copy, PartialEq)]
enum Following {
    Step,
    Round,
}

/// How following a check ended: its outcome, or the operator cut in first.
enum Followed {
    Done(CheckOutcome),
    CutIn(Reply),
}

impl Engine {
    /// An HTTP or SQL step: up to `retries + 1` tries with backoff, stopping at the first pass.
    pub(super) async fn check_attempts(&mut self, step: &Step, role: Role) -> Result<Ran> {
        let tries = step.retries + 1;
        for n in 1..=tries {
            if n > 1 {
                if let Some(reply) = self.pause(&step.id, backoff(step.retry_delay, n)).await? {
                    return Ok(Ran { outcome: Outcome::Aborted, cut_in: Some(reply) });
                }
            }
            let number = self.next_attempt(&step.id);
            let at = Attempt { step: &step.id, role, number };
            let started_event =
                EventKind::StepStarted { attempt: number, role, command: Some(detail(&step.kind)) };
            self.emit(Some(&step.id), started_event).await?;
            let started = Instant::now();
            let (lines, read) = unbounded_channel();
            let work =
                self.check_work(&step.kind, step.timeout, lines).expect("http and sql steps are checks");
            match self.follow(&step.id, work, read, Following::Step).await? {
                Followed::Done(found) => {
                    let outcome = if found.pass { Outcome::Passed } else { Outcome::Failed };
                    let end = Ending {
                        metrics: found.metrics,
                        ..Ending::new(outcome, started.elapsed(), found.message)
                    };
                    self.finish(at, end).await?;
                    if found.pass || n == tries {
                        return Ok(Ran { outcome, cut_in: None });
                    }
                }
                Followed::CutIn(reply) => {
                    self.finish(at, Ending::new(Outcome::Aborted, started.elapsed(), Some(reply.why())))
                        .await?;
                    return Ok(Ran { outcome: Outcome::Aborted, cut_in: Some(reply) });
                }
            }
        }
        unreachable!("the last try returns")
    }

    /// The check a step describes, as a future that owns what it needs.
    fn check_work(
        &self,
        kind: &StepKind,
        limit: Option<Duration>,
        lines: UnboundedSender<String>,
    ) -> Option<BoxFuture<'static, CheckOutcome>> {
        match kind {
            StepKind::Http(check) => {
                let (check, client) = (check.clone(), self.http.clone());
                Some(Box::pin(async move {
                    let samples = http::run(&check, &client, &lines);
                    match limit {
                        // The step's `timeout` bounds all its samples together.
                        Some(limit) => tokio::time::timeout(limit, samples).await.unwrap_or_else(|_| {
                            CheckOutcome::failed(format!(
                                "the check did not finish within {}",
                                format_duration(limit)
                            ))
                        }),
                        None => samples.await,
                    }
                }))
            }
            StepKind::Sql(check) => {
                let (check, dir) = (check.clone(), self.runbook.dir.clone());
                Some(Box::pin(async move { sql::run(&check, &dir, limit, &lines).await }))
            }
            _ => None,
        }
    }

    /// Waits for a check, journaling its lines and notes as they come (for a step of its own);
    /// a rollback, abort or Ctrl-C ends the wait and drops the check.
    async fn follow(
        &mut self,
        step: &str,
        work: BoxFuture<'static, CheckOutcome>,
        mut lines: UnboundedReceiver<String>,
        how: Following,
    ) -> Result<Followed> {
        let show_lines = how == Following::Step;
        let mut work = work;
        loop {
            tokio::select! {
                biased;
                Some(line) = lines.recv() => {
                    if show_lines {
                        self.emit_output(step, Stream::Stdout, format!("{line}\n").as_bytes()).await?;
                    }
                }
                found = &mut work => {
                    while let Ok(line) = lines.try_recv() {
                        if show_lines {
                            self.emit_output(step, Stream::Stdout, format!("{line}\n").as_bytes()).await?;
                        }
                    }
                    return Ok(Followed::Done(found));
                }
                command = self.next_command(), if self.commands_open && how == Following::Step => {
                    if let Some(reply) = self.cut_in(step, command).await? {
                        return Ok(Followed::CutIn(reply));
                    }
                }
            }
        }
    }

    /// Waits `delay` (a retry's backoff) while listening: a cut-in ends the wait.
    pub(super) async fn pause(&mut self, step: &str, delay: Duration) -> Result<Option<Reply>> {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = sleep_until(until) => return Ok(None),
                command = self.next_command(), if self.commands_open => {
                    if let Some(reply) = self.cut_in(step, command).await? {
                        return Ok(Some(reply));
                    }
                }
            }
        }
    }

    /// What a command that arrives while something runs means: a note is journaled and the
    /// work goes on; a rollback (unless one is under way), abort or Ctrl-C cuts in.
    pub(super) async fn cut_in(&mut self, step: &str, command: Option<Command>) -> Result<Option<Reply>> {
        Ok(match command {
            Some(Command::Note { who, text }) => {
                self.emit(Some(step), EventKind::Note { who, text }).await?;
                None
            }
            Some(Command::Rollback { .. } | Command::Answer { decision: Decision::Rollback, .. })
                if self.rolling_back =>
            {
                None
            }
            Some(Command::Rollback { who, reason }) => Some(Reply::Rollback { who, reason }),
            // A rollback typed as an answer to a prompt that has just gone is still a rollback.
            Some(Command::Answer { who, decision: Decision::Rollback, reason, .. }) => {
                Some(Reply::Rollback { who, reason })
            }
            Some(Command::Abort { who }) => Some(Reply::Abort { who }),
            Some(Command::Interrupt) => Some(Reply::Interrupt),
            Some(Command::Answer { .. }) | None => None,
        })
    }

    /// Repeats the named checks every `every` for `for`; after `alert_after` failed rounds in a
    /// row, asks whether to roll back. The operator can end it early with `done`.
    pub(super) async fn monitor(&mut self, step: &Step, monitor: &Monitor) -> Result<Ran> {
        let at = Attempt { step: &step.id, role: Role::Main, number: 1 };
        let started_event =
            EventKind::StepStarted { attempt: 1, role: Role::Main, command: Some(detail(&step.kind)) };
        self.emit(Some(&step.id), started_event).await?;
        let started = Instant::now();
        let end = started + monitor.duration;
        let standing = format!(
            "monitoring {} every {} for {}; answer done to end it early",
            monitor.steps.join(", "),
            format_duration(monitor.every),
            format_duration(monitor.duration)
        );
        self.emit(
            Some(&step.id),
            EventKind::ConfirmationRequested { prompt: Prompt::Monitor, text: standing.clone() },
        )
        .await?;

        let (mut rounds, mut failed_rounds, mut streak, mut alerts) = (0u32, 0u32, 0u32, 0u32);
        let mut next = started;
        let mut ended_by: Option<String> = None;
        while Instant::now() < end {
            tokio::select! {
                _ = sleep_until(next.min(end)) => {}
                command = self.next_command(), if self.commands_open => {
                    match command {
                        Some(Command::Answer { who, decision, reason, auto }) if Prompt::Monitor.accepts(&decision) => {
                            let ends = decision == Decision::Done;
                            let kind = EventKind::Decided { who: who.clone(), decision: decision.clone(), reason: reason.clone(), auto };
                            self.emit(Some(&step.id), kind).await?;
                            if ends {
                                ended_by = Some(who);
                                break;
                            }
                            let reply = Reply::Rollback { who, reason };
                            return self.monitor_cut(at, started, reply).await;
                        }
                        other => {
                            if let Some(reply) = self.cut_in(&step.id, other).await? {
                                return self.monitor_cut(at, started, reply).await;
                            }
                        }
                    }
                    continue;
                }
            }
            if Instant::now() >= end {
                break;
            }
            rounds += 1;
            let passed = match self.round(step, monitor, rounds).await? {
                Ok(passed) => passed,
                Err(reply) => return self.monitor_cut(at, started, reply).await,
            };
            if passed {
                streak = 0;
            } else {
                failed_rounds += 1;
                streak += 1;
            }
            // Every `alert_after` failed rounds in a row, not only the first time: a service that
            // stays down keeps asking.
            if streak > 0 && streak % monitor.alert_after == 0 {
                alerts += 1;
                let text = format!("ALERT: {streak} rounds in a row failed. Roll back?");
                match self.ask(Some(&step.id), Prompt::Alert, text).await? {
                    Reply::Decided(Decision::Done, _) => break,
                    Reply::Decided(..) => {
                        let kind = EventKind::ConfirmationRequested {
                            prompt: Prompt::Monitor,
                            text: standing.clone(),
                        };
                        self.emit(Some(&step.id), kind).await?;
                    }
                    reply => return self.monitor_cut(at, started, reply).await,
                }
            }
            next += monitor.every;
            if next < Instant::now() {
                next = Instant::now() + monitor.every;
            }
        }

        let metrics = vec![
            Metric::info("rounds", rounds.to_string()),
            Metric::against(
                "failed rounds",
                failed_rounds.to_string(),
                format!("< {} in a row", monitor.alert_after),
                alerts == 0,
            ),
        ];
        let (outcome, message) = match (alerts, ended_by) {
            (0, Some(who)) => {
                (Outcome::Passed, format!("{rounds} rounds, all healthy; ended early by {who}"))
            }
            (0, None) => (Outcome::Passed, format!("{rounds} rounds, {failed_rounds} failed, no alert")),
            (n, _) => (
                Outcome::Failed,
                format!(
                    "{n} alert{} raised; {failed_rounds} of {rounds} rounds failed",
                    if n == 1 { "" } else { "s" }
                ),
            ),
        };
        self.finish(at, Ending { metrics, ..Ending::new(outcome, started.elapsed(), Some(message)) }).await?;
        Ok(Ran { outcome, cut_in: None })
    }

    /// One round: every named check once, one line each. `Err` when the operator cut in.
    async fn round(
        &mut self,
        step: &Step,
        monitor: &Monitor,
        n: u32,
    ) -> Result<std::result::Result<bool, Reply>> {
        let runbook = self.runbook.clone();
        let mut passed = true;
        let mut parts = Vec::new();
        for id in &monitor.steps {
            let Some(check) = runbook.step(id) else {
                continue;
            };
            let (lines, read) = unbounded_channel();
            let Some(work) = self.check_work(&check.kind, check.timeout, lines) else {
                continue;
            };
            match self.follow(&step.id, work, read, Following::Round).await? {
                Followed::Done(found) => {
                    passed &= found.pass;
                    let verdict = if found.pass { "ok" } else { "FAILED" };
                    parts.push(format!("{id} {verdict}: {}", found.message.unwrap_or_default()));
                }
                Followed::CutIn(reply) => return Ok(Err(reply)),
            }
        }
        let line = format!("round {n} · {}\n", parts.join(" · "));
        self.emit_output(&step.id, Stream::Stdout, line.as_bytes()).await?;
        Ok(Ok(passed))
    }

    async fn monitor_cut(&mut self, at: Attempt<'_>, started: Instant, reply: Reply) -> Result<Ran> {
        self.finish(at, Ending::new(Outcome::Aborted, started.elapsed(), Some(reply.why()))).await?;
        Ok(Ran { outcome: Outcome::Aborted, cut_in: Some(reply) })
    }
}
