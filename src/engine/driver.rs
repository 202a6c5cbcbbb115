//! The one loop around the conductor: commands from clients, reports from units and timers go
//! in one at a time; the effects come out and are carried out in order. An event is journaled
//! before anything after it happens, so the journal never lags what was done.

use std::collections::HashMap;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::OptionFuture;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};

use super::command::{Act, Command, Via, Who};
use super::conductor::{Conductor, Effect, Input, TimerId, UnitId, UnitReport, Work};
use super::units::{self, Context, Unit};
use crate::journal::chain::Linked;
use crate::journal::{Event, EventKind, Journal, RunOutcome, StoreError};
use crate::runbook::Runbook;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Journal(#[from] StoreError),
}

/// After a failed append, the first wait before trying again; it doubles up to `RETRY_MAX`.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// How long the units of a conductor that lost its run get to end before it exits anyway.
const UNITS_END: Duration = Duration::from_secs(15);

/// Reports in flight from units: small, so a step that floods waits for the journal.
const REPORTS: usize = 4;

/// A commit going on while the driver stages what comes next; it gives its events back.
type Pending = futures::future::BoxFuture<'static, (Vec<Linked>, Result<(), StoreError>)>;

pub struct Driver {
    journal: Journal,
    cx: Context,
    units: HashMap<UnitId, Unit>,
    timers: Vec<(Instant, TimerId)>,
    /// Each journaled event, for a front-end in this process (headless lines); may be none.
    events: Option<mpsc::Sender<Event>>,
    /// Told once the run's start is journaled, so its clients find it in the journal.
    started: Option<tokio::sync::oneshot::Sender<()>>,
    /// What every screen should know about the conductor itself: the journal is unavailable.
    health: Option<watch::Sender<Option<String>>>,
    /// Says who took the run, once this conductor's lease is gone.
    lost: Option<oneshot::Receiver<String>>,
    /// Someone signalled the conductor to end.
    signalled: Arc<AtomicBool>,
    /// Each journaled event but output, for the notifier; it never holds the run up.
    notifier: Option<mpsc::UnboundedSender<Event>>,
    /// Output being committed while the next batch is read and hashed.
    pending: Option<Pending>,
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
            http: Default::default(),
        };
        Driver {
            journal,
            cx,
            units: HashMap::new(),
            timers: Vec::new(),
            events,
            started: None,
            health: None,
            lost: None,
            signalled: Arc::default(),
            notifier: None,
            pending: None,
        }
    }

    /// Tells `notifier` of each journaled event but output, without ever waiting for it.
    pub fn notifying(mut self, notifier: Option<mpsc::UnboundedSender<Event>>) -> Self {
        self.notifier = notifier;
        self
    }

    /// Says on `started` once the run's first events are journaled.
    pub fn telling(mut self, started: Option<oneshot::Sender<()>>) -> Self {
        self.started = started;
        self
    }

    /// Says on `health` while the journal is unavailable, and stops when `lost` says the
    /// run was taken over.
    /// `signalled` is set once the conductor has been told to end: then a journal that is
    /// unavailable is not waited for any longer.
    pub fn watched(
        mut self,
        health: watch::Sender<Option<String>>,
        lost: oneshot::Receiver<String>,
        signalled: Arc<AtomicBool>,
    ) -> Self {
        self.health = Some(health);
        self.lost = Some(lost);
        self.signalled = signalled;
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
        let mut lost = self.lost.take();
        loop {
            match self.carry_out_all(std::mem::take(&mut effects), &reports_tx).await {
                Ok(Some(outcome)) => return Ok(outcome),
                Ok(None) => {}
                Err(e) => return Err(self.give_up(e, &mut reports).await),
            }
            if let Some(started) = self.started.take() {
                let _ = started.send(());
            }
            let timer = self.timers.iter().min_by_key(|(at, _)| *at).copied();
            let input = tokio::select! {
                Some((unit, report)) = reports.recv() => {
                    // Reports already waiting go in too, in order: their events share one transaction.
                    effects = self.unit_report(&mut conductor, unit, report);
                    for _ in 0..REPORTS {
                        let Ok((unit, report)) = reports.try_recv() else { break };
                        effects.extend(self.unit_report(&mut conductor, unit, report));
                    }
                    continue;
                }
                command = commands.recv(), if listening => match command {
                    Some(command) => Input::Command(command),
                    None => {
                        listening = false;
                        let act = Act::Stop { reason: "no client is left to answer".into() };
                        Input::Command(Command { by: lead.clone(), act, via: Via::Own })
                    }
                },
                _ = sleep_until(timer.map_or_else(Instant::now, |(at, _)| at)), if timer.is_some() => {
                    let (_, id) = timer.expect("guarded");
                    self.timers.retain(|(_, t)| *t != id);
                    Input::Timer(id)
                }
                Some((events, done)) = OptionFuture::from(self.pending.as_mut()), if self.pending.is_some() => {
                    self.pending = None;
                    if let Err(e) = self.until_stored(events, done).await {
                        return Err(self.give_up(e, &mut reports).await);
                    }
                    continue;
                }
                Ok(by) = async { lost.as_mut().expect("guarded").await }, if lost.is_some() => {
                    let taken = StoreError::LeaseTaken { run_id: self.journal.run_id().to_string(), by };
                    return Err(self.give_up(taken, &mut reports).await);
                }
            };
            effects = conductor.on(Instant::now(), input);
        }
    }

    /// A unit's report, in to the conductor; a unit that has ended is let go.
    fn unit_report(&mut self, conductor: &mut Conductor, unit: UnitId, report: UnitReport) -> Vec<Effect> {
        if report.is_last() {
            self.units.remove(&unit);
        }
        conductor.on(Instant::now(), Input::Unit(unit, report))
    }

    /// Carries out effects in order. Events in a row are journaled in one transaction, and
    /// always before the effect that follows them.
    async fn carry_out_all(
        &mut self,
        effects: Vec<Effect>,
        reports: &units::Reports,
    ) -> Result<Option<RunOutcome>, StoreError> {
        let mut events = Vec::new();
        for effect in effects {
            let is_event = matches!(effect, Effect::Append { .. } | Effect::Output { .. });
            if !is_event {
                self.commit(std::mem::take(&mut events)).await?;
            }
            match effect {
                Effect::Append { step, kind } => {
                    events.push(self.journal.stage(step.as_deref(), kind, Vec::new()));
                }
                Effect::Output { step, stream, data } => {
                    let kind = Journal::output_kind(stream, &data);
                    events.push(self.journal.stage(Some(&step), kind, data));
                }
                Effect::Start { unit, work } => self.start(unit, work, reports),
                Effect::Stop(unit) => {
                    if let Some(unit) = self.units.get_mut(&unit) {
                        unit.stop();
                    }
                }
                Effect::Wake { at, timer } => self.timers.push((at, timer)),
                Effect::End(outcome) => return Ok(Some(outcome)),
            }
        }
        let output_only = events.iter().all(|e| matches!(e.event.kind, EventKind::Output { .. }));
        if output_only && !events.is_empty() {
            // Nothing follows from output but more output: it is committed while the driver
            // goes on to read and hash the next batch, and anything else waits for it.
            self.settle().await?;
            self.pending = Some(Box::pin(self.journal.commit_in_background(events)));
            return Ok(None);
        }
        self.commit(events).await?;
        Ok(None)
    }

    fn start(&mut self, unit: UnitId, work: Work, reports: &units::Reports) {
        let started = match work {
            Work::Shell { script, timeout, started_event } => {
                units::shell(unit, script, timeout, started_event, &self.cx, reports.clone())
            }
            Work::Check { kind, timeout } => units::check(unit, kind, timeout, &self.cx, reports.clone()),
            Work::Leftover(copy) => units::leftover(unit, copy, &self.cx, reports.clone()),
        };
        self.units.insert(unit, started);
    }

    /// Stores events before anything after them happens, after any still being committed.
    async fn commit(&mut self, events: Vec<Linked>) -> Result<(), StoreError> {
        self.settle().await?;
        if events.is_empty() {
            return Ok(());
        }
        let done = self.journal.commit(&events).await;
        self.until_stored(events, done).await
    }

    /// Waits for the output being committed in the background, if any.
    async fn settle(&mut self) -> Result<(), StoreError> {
        let Some(pending) = self.pending.take() else { return Ok(()) };
        let (events, done) = pending.await;
        self.until_stored(events, done).await
    }

    /// After a try at committing `events`, and until one succeeds: while the journal is
    /// unavailable the run holds, says so, and tries again; units wait on their full report
    /// queue, so a step's output is kept, in order, until it can be journaled. Then the events
    /// are told to this process's front-end.
    async fn until_stored(
        &mut self,
        events: Vec<Linked>,
        mut done: Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut down_since = None;
        let mut wait = RETRY_FIRST;
        while let Err(e) = done {
            match e {
                StoreError::LeaseTaken { .. } | StoreError::Forged { .. } => return Err(e),
                // Told to end while the journal is away: the run is left to be resumed.
                e if self.signalled.load(Ordering::Relaxed) => return Err(e),
                e => {
                    let since = *down_since.get_or_insert_with(chrono::Local::now);
                    let said =
                        format!("journal unavailable since {}, retrying: {e}", since.format("%H:%M:%S"));
                    tracing::warn!("{said}");
                    self.tell(Some(said));
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_MAX);
                }
            }
            done = self.journal.commit(&events).await;
        }
        if down_since.is_some() {
            tracing::info!("journal available again");
            self.tell(None);
        }
        for linked in events {
            self.publish(linked.event).await;
        }
        Ok(())
    }

    fn tell(&self, health: Option<String>) {
        if let Some(tx) = &self.health {
            tx.send_replace(health);
        }
    }

    /// The run is no longer this conductor's to drive: its units are ended, nothing more is
    /// journaled, and the error says why.
    async fn give_up(
        &mut self,
        error: StoreError,
        reports: &mut mpsc::Receiver<(UnitId, UnitReport)>,
    ) -> EngineError {
        tracing::error!("{error}");
        for unit in self.units.values_mut() {
            unit.stop();
        }
        let deadline = Instant::now() + UNITS_END;
        while !self.units.is_empty() {
            match tokio::time::timeout_at(deadline, reports.recv()).await {
                Ok(Some((unit, report))) if report.is_last() => {
                    self.units.remove(&unit);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        EngineError::Journal(error)
    }

    async fn publish(&mut self, event: Event) {
        if let Some(notifier) = &self.notifier
            && !matches!(event.kind, crate::journal::EventKind::Output { .. })
            && notifier.send(event.clone()).is_err()
        {
            self.notifier = None;
        }
        if let Some(events) = &self.events {
            // A front-end that has gone away must not stop the run from being journaled.
            if events.send(event).await.is_err() {
                self.events = None;
            }
        }
    }
}
