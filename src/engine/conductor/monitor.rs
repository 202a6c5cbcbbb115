//! Monitors: the named checks, round after round, every `every` for `for`; after `alert_after`
//! failed rounds in a row, a person is asked whether to roll back.

use std::time::Duration;

use tokio::time::Instant;

use super::prompts::About;
use super::{Attempt, Conductor, CutIn, Doing, Effect, TimerId, UnitId, UnitReport, Work};
use crate::engine::command::Who;
use crate::journal::{Decision, EventKind, Metric, Outcome, Prompt, Role, Stream};
use crate::runbook::{Monitor, Step, StepKind, format_duration};

#[derive(Debug)]
pub(super) struct MonitorRun {
    pub(super) step: String,
    at: Attempt,
    end: Instant,
    duration: Duration,
    every: Duration,
    alert_after: u32,
    checks: Vec<String>,
    rounds: u32,
    failed_rounds: u32,
    streak: u32,
    alerts: u32,
    /// The seq of its standing prompt: `done` answers it.
    pub(super) prompt: i64,
    standing: String,
    next: Instant,
    timer: TimerId,
    round: Option<Round>,
}

impl MonitorRun {
    /// Rounds start at once and then every `every` until `for` is up.
    fn planned_rounds(&self) -> u64 {
        let every = self.every.as_millis().max(1);
        self.duration.as_millis().div_ceil(every) as u64
    }
}

#[derive(Debug)]
struct Round {
    /// Index into `checks` of the check running now.
    index: usize,
    unit: Option<UnitId>,
    passed: bool,
    parts: Vec<String>,
}

impl Conductor {
    pub(super) fn start_monitor(&mut self, step: &Step, monitor: &Monitor) {
        let at = self.attempt(&step.id, Role::Main, 1);
        let command = Some(super::detail(&step.kind));
        self.emit(Some(&step.id), EventKind::StepStarted { attempt: at.number, role: Role::Main, command });
        let standing = format!(
            "monitoring {} every {} for {}",
            monitor.steps.join(", "),
            format_duration(monitor.every),
            format_duration(monitor.duration)
        );
        self.monitor = Some(MonitorRun {
            step: step.id.clone(),
            end: self.now + monitor.duration,
            duration: monitor.duration,
            at,
            every: monitor.every,
            alert_after: monitor.alert_after.max(1),
            checks: monitor.steps.clone(),
            rounds: 0,
            failed_rounds: 0,
            streak: 0,
            alerts: 0,
            prompt: 0,
            standing,
            next: self.now,
            timer: 0,
            round: None,
        });
        self.announce_monitor();
        self.wake_monitor(self.now);
    }

    /// The monitor's standing prompt: the run goes on while it stands.
    fn announce_monitor(&mut self) {
        let Some(m) = &self.monitor else { return };
        let (step, text) = (m.step.clone(), m.standing.clone());
        self.emit(Some(&step), EventKind::ConfirmationRequested { prompt: Prompt::Monitor, text });
        let seq = self.state.last_seq;
        if let Some(m) = self.monitor.as_mut() {
            m.prompt = seq;
        }
        self.doing = Doing::Monitoring;
    }

    fn wake_monitor(&mut self, at: Instant) {
        let timer = self.id();
        let Some(m) = self.monitor.as_mut() else { return };
        m.timer = timer;
        let at = at.min(m.end);
        self.effects.push(Effect::Wake { at, timer });
        self.doing = Doing::Monitoring;
    }

    pub(super) fn monitor_timer(&mut self, timer: TimerId) {
        let Some(m) = self.monitor.as_mut() else { return };
        if m.timer != timer || m.round.is_some() {
            return;
        }
        if self.now >= m.end {
            return self.finish_monitor(None);
        }
        m.rounds += 1;
        m.round = Some(Round { index: 0, unit: None, passed: true, parts: Vec::new() });
        self.next_round_check();
    }

    /// Starts the round's next check, or ends the round when none is left.
    fn next_round_check(&mut self) {
        let runbook = self.runbook.clone();
        let Some(m) = self.monitor.as_mut() else { return };
        let Some(round) = m.round.as_mut() else { return };
        while let Some(id) = m.checks.get(round.index) {
            match runbook.step(id).map(|s| (&s.kind, s.timeout)) {
                Some((kind @ (StepKind::Http(_) | StepKind::Sql(_)), timeout)) => {
                    self.ids += 1;
                    let unit = self.ids;
                    round.unit = Some(unit);
                    let work = Work::Check { kind: kind.clone(), timeout };
                    self.effects.push(Effect::Start { unit, work });
                    return;
                }
                _ => round.index += 1,
            }
        }
        self.finish_round();
    }

    pub(super) fn monitor_unit(&mut self, unit: UnitId, report: UnitReport) {
        let Some(m) = self.monitor.as_mut() else { return };
        let Some(round) = m.round.as_mut().filter(|r| r.unit == Some(unit)) else { return };
        let (pass, message) = match report {
            UnitReport::Checked(found) => (found.pass, found.message.unwrap_or_default()),
            UnitReport::Failed(why) => (false, why),
            // A round is quiet: only its summary line is journaled.
            UnitReport::Began
            | UnitReport::Output(..)
            | UnitReport::Line(_)
            | UnitReport::Exited(_)
            | UnitReport::Spawned(_)
            | UnitReport::Leftover(..) => return,
        };
        let id = &m.checks[round.index];
        let verdict = if pass { "ok" } else { "FAILED" };
        round.parts.push(format!("{id} {verdict}: {message}"));
        round.passed &= pass;
        round.index += 1;
        round.unit = None;
        self.next_round_check();
    }

    fn finish_round(&mut self) {
        let Some(m) = self.monitor.as_mut() else { return };
        let Some(round) = m.round.take() else { return };
        let line = format!("round {} · {}\n", m.rounds, round.parts.join(" · "));
        if round.passed {
            m.streak = 0;
        } else {
            m.failed_rounds += 1;
            m.streak += 1;
        }
        // Every `alert_after` failed rounds in a row, not only the first time: a service that
        // stays down keeps asking.
        let alert = m.streak > 0 && m.streak % m.alert_after == 0;
        let streak = m.streak;
        let step = m.step.clone();
        self.output(&step, Stream::Stdout, line.into_bytes());
        if alert {
            if let Some(m) = self.monitor.as_mut() {
                m.alerts += 1;
            }
            let text = format!("ALERT: {streak} rounds in a row failed. Roll back?");
            return self.ask(&step, Prompt::Alert, text, About::Alert);
        }
        self.schedule_round();
    }

    fn schedule_round(&mut self) {
        let now = self.now;
        let Some(m) = self.monitor.as_mut() else { return };
        m.next += m.every;
        if m.next < now {
            m.next = now + m.every;
        }
        let next = m.next;
        self.wake_monitor(next);
    }

    /// Whether `to` is the monitor's standing prompt.
    pub(super) fn monitor_answer(&self, to: i64) -> bool {
        matches!(self.doing, Doing::Monitoring) && self.monitor.as_ref().is_some_and(|m| m.prompt == to)
    }

    /// An answer while the monitor runs: `done` to its prompt ends it; anything else waits.
    pub(super) fn monitor_command(
        &mut self,
        to: i64,
        by: Who,
        decision: Decision,
        reason: Option<String>,
        auto: bool,
    ) {
        // Held against the monitor's table of answers already: only whether it is still open.
        if !self.monitor_answer(to) {
            return;
        }
        let step = self.monitor.as_ref().map(|m| m.step.clone()).unwrap_or_default();
        self.decided(&step, &by, &decision, &reason, auto);
        match decision {
            Decision::Done => {
                self.stop_round();
                self.finish_monitor(Some((by.name, reason.unwrap_or_default())));
            }
            _ => self.monitor_cut(CutIn::Rollback { by, reason }),
        }
    }

    fn stop_round(&mut self) {
        if let Some(unit) = self.monitor.as_mut().and_then(|m| m.round.take()).and_then(|r| r.unit) {
            self.effects.push(Effect::Stop(unit));
        }
    }

    /// Someone cut in while the monitor runs: it ends, aborted, and the cut-in is settled.
    pub(super) fn monitor_cut(&mut self, cut: CutIn) {
        self.stop_round();
        let Some(at) = self.monitor.as_ref().map(|m| m.at.clone()) else { return };
        self.monitor_ended_by(&cut);
        self.settle_cut(&at, Outcome::Aborted, cut);
    }

    /// The monitor ends, aborted by the cut-in.
    pub(super) fn monitor_ended_by(&mut self, cut: &CutIn) {
        let Some(m) = self.monitor.take() else { return };
        self.finish(&m.at, Outcome::Aborted, None, Some(cut.why()), Vec::new());
        self.doing = Doing::Idle;
    }

    pub(super) fn alert_answered(&mut self, by: Who, decision: Decision, reason: Option<String>) {
        match decision {
            Decision::Done => self.finish_monitor(Some((by.name, reason.unwrap_or_default()))),
            // Keep watching.
            _ => {
                self.announce_monitor();
                self.schedule_round();
            }
        }
    }

    /// The monitor's end: on time, or `ended` early by someone, for a reason.
    fn finish_monitor(&mut self, ended: Option<(String, String)>) {
        let Some(m) = self.monitor.take() else { return };
        let planned = m.planned_rounds();
        let rounds =
            if ended.is_some() { format!("{} of {planned}", m.rounds) } else { m.rounds.to_string() };
        let metrics = vec![
            Metric::info("rounds", rounds.clone()),
            Metric::against(
                "failed rounds",
                m.failed_rounds.to_string(),
                format!("< {} in a row", m.alert_after),
                m.alerts == 0,
            ),
        ];
        let (outcome, message) = match (m.alerts, ended) {
            (0, Some((who, why))) => (
                Outcome::EndedEarly,
                format!("ended early by {who} after {rounds} rounds, {} failed: {why}", m.failed_rounds),
            ),
            (0, None) => {
                (Outcome::Passed, format!("{} rounds, {} failed, no alert", m.rounds, m.failed_rounds))
            }
            (n, _) => (
                Outcome::Failed,
                format!(
                    "{n} alert{} raised; {} of {} rounds failed",
                    if n == 1 { "" } else { "s" },
                    m.failed_rounds,
                    m.rounds
                ),
            ),
        };
        self.finish(&m.at, outcome, None, Some(message), metrics);
        self.doing = Doing::Idle;
        self.attempt_done(&m.at, outcome);
    }
}
