//! The conductor process and its clients. A live run belongs to one conductor: it holds the
//! run's lease, drives the engine, and listens on a socket beside the journal; screens and
//! commands are clients that come and go without touching the run.

pub mod client;
pub mod launch;
pub mod remote;
mod server;
mod wire;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::engine::{Act, Command, Conductor, Driver, Identity, Machine, Via, Who, group};
use crate::error::Error;
use crate::journal::{self, Event, Journal, Lease, Mode, RunOutcome, RunState, Store};
use crate::notify::{Delivered, Notifier};
use crate::report;
use crate::runbook::{self, Runbook};
pub use server::Socket;

/// Where the conductor of `run_id` listens.
pub fn socket_path(location: &str, run_id: &str) -> PathBuf {
    journal::conductors_dir(location).join(format!("{run_id}.sock"))
}

/// A run to conduct: a new one, or one picked up from its journal.
pub enum Start {
    New(Runbook, Mode),
    Resume(Resumed),
}

pub struct Resumed {
    runbook: Runbook,
    state: Box<RunState>,
}

impl Resumed {
    /// The run as journaled so far.
    pub fn state(&self) -> &RunState {
        &self.state
    }
}

/// Rebuilds a run from the journal alone, and finds its runbook unchanged.
pub async fn resume_from(store: &dyn Store, run_id: &str) -> Result<Resumed, Error> {
    let record = store.run(Some(run_id)).await?;
    // A prefix names the run: messages give its whole id.
    let run_id = record.id.as_str();
    let state = journal::fold_run(store, run_id, |_, _| {}).await?;
    if let Some(outcome) = state.outcome {
        return Err(Error::Usage(format!(
            "run {run_id} has already ended ({}): there is nothing to resume; `tminus report {run_id}` shows it",
            outcome.label()
        )));
    }
    let info = state
        .info
        .as_ref()
        .ok_or_else(|| Error::Usage(format!("run {run_id} has no start in the journal")))?;
    let runbook = runbook::load(Path::new(&info.path))?;
    if runbook.hash != info.hash {
        return Err(Error::Usage(format!(
            "{} has changed since run {run_id} began (sha256 {} then, {} now): resume needs the same runbook",
            info.path,
            &info.hash[..12.min(info.hash.len())],
            &runbook.hash[..12.min(runbook.hash.len())]
        )));
    }
    Ok(Resumed { runbook, state: Box::new(state) })
}

/// This user's conductor key; without one the run goes on, its heads unsigned, and says why:
/// `verify` names such a run as unsigned.
fn seal() -> Option<Arc<journal::seal::Seal>> {
    match journal::seal::Seal::mine() {
        Ok(seal) => Some(Arc::new(seal)),
        Err(why) => {
            tracing::warn!("no conductor key, the chain's heads go unsigned: {why}");
            crate::cli::print_err(&format!("tminus: no conductor key, the chain's heads go unsigned: {why}"));
            None
        }
    }
}

/// This machine's name, as leases and events record it.
pub fn host() -> String {
    nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_else(|_| "unknown".into())
}

/// A run ready to go: its journal open, its lease held, its socket bound.
pub struct Conducting {
    store: Arc<dyn Store>,
    location: String,
    run_id: String,
    lease: Lease,
    socket: Socket,
    conductor: Conductor,
    runbook: Arc<Runbook>,
    last_seq: i64,
    lead: Who,
    telling: Telling,
}

/// What the notifier needs to know of the run.
struct Telling {
    mode: Mode,
    /// The run as journaled before this conductor: what the notifier starts from.
    so_far: RunState,
    /// Notifications in a dry run too (`run --notify`).
    dry_run: bool,
}

impl Conducting {
    pub async fn prepare(
        start: Start,
        store: Arc<dyn Store>,
        location: &str,
        operator: &str,
    ) -> Result<Self, Error> {
        // tminus's own folders are made, or refused, before the run is anyone's: a run that
        // cannot listen takes no lease.
        crate::logging::init(&journal::logs_dir(location))?;
        crate::folders::make(&journal::conductors_dir(location))?;
        let host = host();
        let machine = Machine { host: host.clone(), boot: group::boot_id() };
        // One identity rule: on a shared journal the lead is the database login it writes as,
        // like everyone who reaches the run through its inbox; on a file journal, an OS account.
        let (lead, identity) = match journal::inbox::login(location).await? {
            Some(login) => (Who { name: operator.to_string(), login }, Identity::DatabaseLogins),
            None => (Who::local(operator), Identity::OsAccounts),
        };
        let (run_id, runbook, conductor, last_seq, mode, so_far) = match start {
            Start::New(runbook, mode) => {
                let runbook = Arc::new(runbook);
                let conductor =
                    Conductor::new(runbook.clone(), mode, lead.clone(), machine).people_are(identity);
                (journal::new_run_id(), runbook, conductor, 0, mode, RunState::default())
            }
            Start::Resume(r) => {
                let runbook = Arc::new(r.runbook);
                let (run_id, last_seq, mode) = (r.state.run_id.clone(), r.state.last_seq, r.state.mode());
                let so_far = (*r.state).clone();
                let conductor = Conductor::new(runbook.clone(), mode, lead.clone(), machine)
                    .people_are(identity)
                    .resuming(*r.state);
                (run_id, runbook, conductor, last_seq, mode, so_far)
            }
        };
        // One conductor per run: a second one is refused while the first is alive.
        let lease = Lease::mine(&run_id, operator, &host);
        if let Err(held) = store.acquire(&lease, journal::lease::stale_after()).await? {
            return Err(Error::Usage(format!(
                "run {run_id} is conducted by {} on {} (pid {}) since {}; its last heartbeat was {}s ago: `tminus attach {run_id}` joins it",
                held.holder,
                held.host,
                held.pid,
                held.since.with_timezone(&chrono::Local).format("%H:%M:%S"),
                (chrono::Utc::now() - held.heartbeat).num_seconds()
            )));
        }
        let path = socket_path(location, &run_id);
        let socket = Socket::bind(&path)?;
        tracing::info!(%run_id, runbook = %runbook.path.display(), "conductor ready");
        Ok(Conducting {
            store,
            location: location.to_string(),
            run_id,
            lease,
            socket,
            conductor,
            runbook,
            last_seq,
            lead,
            telling: Telling { mode, so_far, dry_run: false },
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Sends the runbook's notifications in a dry run too.
    pub fn notify_dry_run(mut self, yes: bool) -> Self {
        self.telling.dry_run = yes;
        self
    }

    /// Conducts the run to its end. Clients on the socket, and `local` (a client in this very
    /// process: headless stdin) send commands; `events` hears each event once it is journaled.
    /// The report is written when the run ends, whoever is watching.
    pub async fn run(
        self,
        local: Option<mpsc::Receiver<Act>>,
        events: Option<mpsc::Sender<Event>>,
        started: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Result<(RunOutcome, PathBuf), Error> {
        let Conducting { store, location, run_id, lease, socket, conductor, runbook, last_seq, lead, .. } =
            self;
        let telling = self.telling;
        let journal = Journal::continuing(store.clone(), run_id.clone(), last_seq, runbook.redactor())
            .await?
            .held_by(lease.clone())
            .sealed_by(seal());
        let detached = local.is_none();
        let (commands, queue) = mpsc::channel(64);
        let (health, healthy) = tokio::sync::watch::channel(None);
        let server = tokio::spawn(socket.serve(run_id.clone(), commands.clone(), healthy.clone()));
        // A conductor in the foreground says it on stderr; screens hear it on the socket.
        let complaints = (!detached).then(|| tokio::spawn(complain(healthy)));
        let signalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let relay = local.map(|mut local| {
            let (commands, lead, signalled) = (commands.clone(), lead.clone(), signalled.clone());
            tokio::spawn(async move {
                while let Some(act) = local.recv().await {
                    if matches!(act, Act::Interrupt { .. }) {
                        signalled.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    if commands.send(Command { by: lead.clone(), act, via: Via::Own }).await.is_err() {
                        return;
                    }
                }
            })
        });
        let inbox = tokio::spawn(hear_inbox(location.clone(), run_id.clone(), commands.clone()));
        // A conductor of its own has no terminal: a signal is someone ending it on purpose.
        let signals = detached
            .then(|| tokio::spawn(forward_signals(commands.clone(), lead.clone(), signalled.clone())));
        // A dry run tells nobody unless asked to.
        let notifier = (telling.mode == Mode::Live || telling.dry_run)
            .then(|| Notifier::new(runbook.notify.clone(), runbook.redactor(), telling.so_far))
            .flatten();
        let (notify, notifying) = match notifier {
            Some(notifier) => {
                let (events, heard) = mpsc::unbounded_channel();
                let (results, told) = mpsc::unbounded_channel();
                let task = tokio::spawn(notifier.run(heard, results));
                let forward = tokio::spawn(forward_notified(told, commands.downgrade(), lead.clone()));
                (Some(events), Some((task, forward)))
            }
            None => (None, None),
        };
        drop(commands);
        let (lost, losing) = tokio::sync::oneshot::channel();
        let heartbeat = tokio::spawn(keep_lease(store.clone(), lease.clone(), lost));
        let outcome = Driver::new(&runbook, journal, events)
            .notifying(notify)
            .telling(started)
            .watched(health, losing, signalled)
            .run(conductor, queue, lead)
            .await;
        heartbeat.abort();
        server.abort();
        inbox.abort();
        for task in [relay, signals, complaints].into_iter().flatten() {
            task.abort();
        }
        if let Some((task, forward)) = notifying {
            // The notifier waits a little for its last notifications, and no longer.
            let ended = task.await.ok();
            forward.abort();
            if let Some(crate::notify::Ended { last_seq: Some(last_seq), unjournaled }) = ended {
                let journal =
                    Journal::continuing(store.clone(), run_id.clone(), last_seq, runbook.redactor());
                let journaled = async {
                    let mut journal = journal.await?.held_by(lease.clone());
                    for d in unjournaled {
                        journal.append(None, notified(d)).await?;
                    }
                    Ok::<_, journal::StoreError>(())
                };
                if let Err(e) = journaled.await {
                    tracing::warn!("cannot journal a notification: {e}");
                }
            }
        }
        let outcome = outcome?;
        // The report is written as the run ends, before anything else can fail.
        let gathered = report::gather(store.as_ref(), &run_id).await?;
        let reports = journal::reports_dir(&location);
        crate::folders::make(&reports)?;
        let path = reports.join(format!("{run_id}.md"));
        crate::cli::write_file(&path, &report::markdown(&gathered), crate::cli::OWNER_ONLY)?;
        store.release(&lease).await?;
        tracing::info!(%run_id, outcome = outcome.label(), "run ended");
        Ok((outcome, path))
    }
}

/// Commands from other machines, through a shared PostgreSQL journal's inbox: each as the
/// login the database recorded, held by the conductor against its rights table.
async fn hear_inbox(location: String, run_id: String, commands: mpsc::Sender<Command>) {
    let (to, mut posted) = mpsc::channel::<journal::inbox::Posted>(16);
    let reader = tokio::spawn(async move {
        if let Err(e) = journal::inbox::follow(&location, &run_id, to).await {
            tracing::warn!("the inbox cannot be followed: {e}");
        }
    });
    while let Some(p) = posted.recv().await {
        // What is no command is refused on the record too, with the login that wrote it.
        let act = serde_json::from_str::<Act>(&p.act).unwrap_or_else(|_| {
            let mut what: String = p.act.chars().take(80).collect();
            if what.len() < p.act.len() {
                what.push('…');
            }
            Act::Unreadable { what }
        });
        let by =
            Who { name: if p.name.trim().is_empty() { p.login.clone() } else { p.name }, login: p.login };
        if commands.send(Command { by, act, via: Via::Inbox }).await.is_err() {
            break;
        }
    }
    reader.abort();
}

/// Says what became of each notification to the conductor, which journals it. What the
/// conductor does not journal before the run ends, the notifier gives back at its end.
async fn forward_notified(
    mut told: mpsc::UnboundedReceiver<Delivered>,
    commands: mpsc::WeakSender<Command>,
    lead: Who,
) {
    while let Some(d) = told.recv().await {
        let Some(commands) = commands.upgrade() else { return };
        let act = Act::Notified { receiver: d.receiver, notice: d.notice.name().to_string(), error: d.error };
        if commands.send(Command { by: lead.clone(), act, via: Via::Own }).await.is_err() {
            return;
        }
    }
}

fn notified(d: Delivered) -> journal::EventKind {
    journal::EventKind::Notified {
        receiver: d.receiver,
        notice: d.notice.name().to_string(),
        delivered: d.error.is_none(),
        error: d.error,
    }
}

/// Renews the lease while the run goes on; says on `lost` who has it once it is not ours.
async fn keep_lease(store: Arc<dyn Store>, lease: Lease, lost: tokio::sync::oneshot::Sender<String>) {
    loop {
        tokio::time::sleep(journal::lease::HEARTBEAT).await;
        match store.heartbeat(&lease).await {
            Ok(true) => {}
            Ok(false) => {
                let by = match store.lease(&lease.run_id).await {
                    Ok(Some(held)) => format!("{} on {} (pid {})", held.holder, held.host, held.pid),
                    _ => "someone else".to_string(),
                };
                let _ = lost.send(by);
                return;
            }
            Err(e) => tracing::warn!("lease heartbeat failed: {e}"),
        }
    }
}

/// Says on stderr what the conductor's screens would show: the journal is unavailable.
async fn complain(mut health: tokio::sync::watch::Receiver<Option<String>>) {
    while health.changed().await.is_ok() {
        let said = health.borrow_and_update().clone();
        let text = said.unwrap_or_else(|| "journal available again: the run goes on".into());
        crate::cli::print_err(&format!("{} {text}", chrono::Local::now().format("%H:%M:%S")));
    }
}

/// SIGTERM, SIGHUP and SIGINT each end the run safely: journaled, the running step ended.
async fn forward_signals(
    commands: mpsc::Sender<Command>,
    lead: Who,
    signalled: Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [
        ("SIGTERM", SignalKind::terminate()),
        ("SIGHUP", SignalKind::hangup()),
        ("SIGINT", SignalKind::interrupt()),
    ];
    let mut streams = Vec::new();
    for (name, kind) in kinds {
        match signal(kind) {
            Ok(stream) => streams.push((name, stream)),
            Err(e) => tracing::warn!("cannot watch {name}: {e}"),
        }
    }
    let next = futures::future::select_all(streams.iter_mut().map(|(name, s)| {
        Box::pin(async move {
            s.recv().await;
            *name
        })
    }));
    let (name, _, _) = next.await;
    tracing::info!("{name}: ending the run");
    signalled.store(true, std::sync::atomic::Ordering::Relaxed);
    let act = Act::Interrupt { signal: name.to_string() };
    let _ = commands.send(Command { by: lead, act, via: Via::Own }).await;
}

/// A conductor of its own (`tminus run` in a terminal): says it is ready, then lets go of the
/// terminal it was started from and runs the run to its end.
pub async fn detached(conducting: Conducting) -> Result<i32, Error> {
    let run_id = conducting.run_id().to_string();
    let (started, ready) = tokio::sync::oneshot::channel();
    let run = tokio::spawn(conducting.run(None, None, Some(started)));
    // Ready once the run's start is journaled: the screen that attaches next finds it there.
    if ready.await.is_ok() {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "ready {run_id}");
        let _ = out.flush();
        launch::let_go_of_terminal();
    }
    let (outcome, _) = run.await.map_err(|e| Error::Internal(format!("the conductor stopped: {e}")))??;
    Ok(outcome.exit_code())
}
