//! The one loop around the conductor: commands from clients, reports from units and timers go
//! in one at a time; the effects come out and are carried out in order. An event is journaled
//! before anything after it happens, so the journal never lags what was done.

use std::collections::HashMap;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::command::{Act, Command, Who};
use super::conductor::{Conductor, Effect, Input, TimerId, UnitId, Work};
use super::units::{self, Context, Unit};
use crate::journal::{Event, Journal, RunOutcome, StoreError};
use crate::runbook::Runbook;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Journal(#[from] StoreError),
}

/// Reports in flight from units: small, so a step that floods waits for the journal.
const REPORTS: usize = 16;

pub struct Driver {
    journal: Journal,
    cx: Context,
    units: HashMap<UnitId, Unit>,
    timers: Vec<(Instant, TimerId)>,
    /// Each journaled event, for a front-end in this process (headless lines); may be none.
    events: Option<mpsc::Sender<Event>>,
    /// Told once the run's start is journaled, so its clients find it in the journal.
    started: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Driver {
    pub fn new(runbook: &Runbook, journal: Journal, events: Option<mpsc::Sender<Event>>) -> Self {
        // Commands also learn which tminus runs them and for which run: a runbook can call
        // `"$TMINUS" example-api` or stamp its own logs with the run id.
        let tminus =
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "tminus".into());
        let env = runbook
            .vars
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .chain([
                ("TMINUS".to_string(), tminus),
                ("TMINUS_RUN_ID".to_string(), journal.run_id().to_string()),
            ])
            .collect();
        let cx = Context {
            run_id: journal.run_id().to_string(),
            dir: runbook.dir.clone(),
            env,
            kill_grace: runbook.kill_grace,
            redactor: runbook.redactor(),
            http: reqwest::Client::builder()
                .user_agent(concat!("tminus/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the HTTP client builds with its defaults"),
        };
        Driver { journal, cx, units: HashMap::new(), timers: Vec::new(), events, started: None }
    }

    /// Says on `started` once the run's first events are journaled.
    pub fn telling(mut self, started: Option<tokio::sync::oneshot::Sender<()>>) -> Self {
        self.started = started;
        self
    }

    /// Drives the run to its end and returns how it ended; the journal holds every step of it.
    /// When every client has gone (`commands` closed), a prompt is answered by stopping safely.
    pub async fn run(
        mut self,
        mut conductor: Conductor,
        mut commands: mpsc::Receiver<Command>,
        lead: Who,
    ) -> Result<RunOutcome, EngineError> {
        let (reports_tx, mut reports) = mpsc::channel(REPORTS);
        let mut effects = conductor.on(Instant::now(), Input::Start);
        let mut listening = true;
        loop {
            for effect in std::mem::take(&mut effects) {
                if let Some(outcome) = self.carry_out(effect, &reports_tx).await? {
                    return Ok(outcome);
                }
            }
            if let Some(started) = self.started.take() {
                let _ = started.send(());
            }
            let timer = self.timers.iter().min_by_key(|(at, _)| *at).copied();
            let input = tokio::select! {
                Some((unit, report)) = reports.recv() => {
                    if report.is_last() {
                        self.units.remove(&unit);
                    }
                    Input::Unit(unit, report)
                }
                command = commands.recv(), if listening => match command {
                    Some(command) => Input::Command(command),
                    None => {
                        listening = false;
                        let act = Act::Stop { reason: "no client is left to answer".into() };
                        Input::Command(Command { by: lead.clone(), act })
                    }
                },
                _ = sleep_until(timer.map_or_else(Instant::now, |(at, _)| at)), if timer.is_some() => {
                    let (_, id) = timer.expect("guarded");
                    self.timers.retain(|(_, t)| *t != id);
                    Input::Timer(id)
                }
            };
            effects = conductor.on(Instant::now(), input);
        }
    }

    async fn carry_out(
        &mut self,
        effect: Effect,
        reports: &units::Reports,
    ) -> Result<Option<RunOutcome>, EngineError> {
        match effect {
            Effect::Append { step, kind } => {
                let event = self.journal.append(step.as_deref(), kind).await?;
                self.publish(event).await;
            }
            Effect::Output { step, stream, data } => {
                let event = self.journal.append_output(&step, stream, &data).await?;
                self.publish(event).await;
            }
            Effect::Start { unit, work } => {
                let started = match work {
                    Work::Shell { script, timeout } => {
                        units::shell(unit, script, timeout, &self.cx, reports.clone())
                    }
                    Work::Check { kind, timeout } => {
                        units::check(unit, kind, timeout, &self.cx, reports.clone())
                    }
                    Work::Leftover { pgid } => units::leftover(unit, pgid, &self.cx, reports.clone()),
                };
                self.units.insert(unit, started);
            }
            Effect::Stop(unit) => {
                if let Some(unit) = self.units.get_mut(&unit) {
                    unit.stop();
                }
            }
            Effect::Wake { at, timer } => self.timers.push((at, timer)),
            Effect::End(outcome) => return Ok(Some(outcome)),
        }
        Ok(None)
    }

    async fn publish(&mut self, event: Event) {
        if let Some(events) = &self.events {
            // A front-end that has gone away must not stop the run from being journaled.
            if events.send(event).await.is_err() {
                self.events = None;
            }
        }
    }
}
