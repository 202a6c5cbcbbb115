//! Units: the I/O the conductor asks for. A shell command in its process group, an HTTP or SQL
//! check. Each runs as its own task and reports what happens; none of them reads a command.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::check::CheckOutcome;
use super::conductor::{Copy, UnitId, UnitReport};
use super::output::Batcher;
use super::process::{CommandSpec, ProcEvent, ProcessRun};
use super::{group, http, sql};
use crate::journal::{LeftoverState, Stream};
use crate::runbook::{Redactor, StepKind, format_duration};

pub type Reports = mpsc::Sender<(UnitId, UnitReport)>;

/// What a unit needs from the run it belongs to.
#[derive(Clone)]
pub struct Context {
    pub run_id: String,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub kill_grace: Duration,
    pub redactor: Redactor,
    /// One client for every HTTP check, so connections are reused across samples and rounds;
    /// or why there is none, which fails an HTTP check and nothing else.
    pub http: crate::http_client::OnFirstUse,
}

/// A running unit: stop it, and it still reports how it ended.
pub struct Unit {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Unit {
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        // A unit nobody waits for any more ends with its driver; a shell command's group goes too.
        self.task.abort();
    }
}

pub fn shell(
    id: UnitId,
    script: String,
    timeout: Option<Duration>,
    started_event: i64,
    cx: &Context,
    reports: Reports,
) -> Unit {
    let (stop, stopped) = oneshot::channel();
    // The command carries the event it was started as: a later conductor finds what is left
    // of it by that, even if its process group was never journaled.
    let mut env = cx.env.clone();
    env.push((group::STARTED_EVENT.to_string(), started_event.to_string()));
    let spec = CommandSpec { script, dir: cx.dir.clone(), env, timeout, kill_grace: cx.kill_grace };
    let redactor = cx.redactor.clone();
    let task = tokio::spawn(async move {
        let _ = reports.send((id, UnitReport::Began)).await;
        let report = match run_shell(id, &spec, redactor, stopped, &reports).await {
            Ok(exit) => UnitReport::Exited(exit),
            Err(e) => UnitReport::Failed(format!("cannot start bash in {}: {e}", spec.dir.display())),
        };
        let _ = reports.send((id, report)).await;
    });
    Unit { stop: Some(stop), task }
}

/// How long a step's process group may go untold while the step prints nothing.
const TELL_GROUP_AFTER: Duration = Duration::from_millis(20);

/// Reports the step's process group, unless it has been already.
async fn tell_group(id: UnitId, untold: &mut Option<i32>, reports: &Reports) {
    if let Some(pgid) = untold.take() {
        let _ = reports.send((id, UnitReport::Spawned(pgid))).await;
    }
}

async fn run_shell(
    id: UnitId,
    spec: &CommandSpec,
    redactor: Redactor,
    mut stopped: oneshot::Receiver<()>,
    reports: &Reports,
) -> std::io::Result<super::process::Exit> {
    let mut process = ProcessRun::spawn(spec)?;
    // The group is told with the step's first report, or once it has run a little: a quick step
    // has its group, output and end journaled in one commit instead of two. Until then a
    // conductor that dies leaves a copy that its successor still finds, by the started event in
    // its environment.
    let mut untold = Some(process.pgid());
    let tell_by = Instant::now() + TELL_GROUP_AFTER;
    let mut batches =
        [Batcher::new(Stream::Stdout, redactor.clone()), Batcher::new(Stream::Stderr, redactor)];
    let mut stopping = false;
    let exit = loop {
        let due = batches.iter().filter_map(Batcher::due_at).min();
        tokio::select! {
            event = process.next() => match event {
                ProcEvent::Output(stream, bytes) => {
                    let batch = &mut batches[stream as usize];
                    batch.push(bytes);
                    if let Some(data) = batch.take_ready(Instant::now()) {
                        tell_group(id, &mut untold, reports).await;
                        let _ = reports.send((id, UnitReport::Output(stream, data))).await;
                    }
                }
                ProcEvent::Exited(exit) => break exit,
            },
            _ = sleep_until(tell_by), if untold.is_some() => tell_group(id, &mut untold, reports).await,
            _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                for batch in &mut batches {
                    if let Some(data) = batch.take_ready(Instant::now()) {
                        tell_group(id, &mut untold, reports).await;
                        let _ = reports.send((id, UnitReport::Output(batch.stream, data))).await;
                    }
                }
            }
            _ = &mut stopped, if !stopping => {
                stopping = true;
                process.abort();
            }
        }
    };
    tell_group(id, &mut untold, reports).await;
    for batch in &mut batches {
        if let Some(data) = batch.take_all() {
            let _ = reports.send((id, UnitReport::Output(batch.stream, data))).await;
        }
    }
    Ok(exit)
}

/// Watches a step's copy left running by a conductor that is gone: says how many of its
/// processes live, then when it ends. Stopping the unit ends the group (TERM, grace, KILL).
pub fn leftover(id: UnitId, copy: Copy, cx: &Context, reports: Reports) -> Unit {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let (run_id, grace) = (cx.run_id.clone(), cx.kill_grace);
    let task = tokio::spawn(async move {
        let found = match copy {
            Copy::Group(pgid) => Some(pgid),
            Copy::Started(event) => group::started_by(&run_id, event),
        };
        let Some(pgid) = found else {
            let _ = reports.send((id, UnitReport::Leftover(None, LeftoverState::Absent))).await;
            return;
        };
        let report = |state| (id, UnitReport::Leftover(Some(pgid), state));
        let mut said = None;
        let state = loop {
            let processes = group::members(pgid, &run_id).unwrap_or(0);
            if processes == 0 {
                break LeftoverState::Finished;
            }
            if said != Some(processes) {
                said = Some(processes);
                let _ = reports.send(report(LeftoverState::Running { processes })).await;
            }
            tokio::select! {
                _ = tokio::time::sleep(LEFTOVER_POLL) => {}
                _ = &mut stopped => {
                    let signal = group::end(pgid, grace).await;
                    break LeftoverState::Ended { signal: signal.to_string() };
                }
            }
        };
        let _ = reports.send(report(state)).await;
    });
    Unit { stop: Some(stop), task }
}

/// How often a leftover copy of a step is looked at.
const LEFTOVER_POLL: Duration = Duration::from_millis(200);

pub fn check(id: UnitId, kind: StepKind, limit: Option<Duration>, cx: &Context, reports: Reports) -> Unit {
    let (stop, stopped) = oneshot::channel::<()>();
    let (client, dir) = (cx.http.clone(), cx.dir.clone());
    let task = tokio::spawn(async move {
        let _ = reports.send((id, UnitReport::Began)).await;
        let (lines, mut read) = mpsc::unbounded_channel();
        let work = async {
            match &kind {
                StepKind::Http(check) => {
                    let client = match client.get() {
                        Ok(client) => client,
                        Err(why) => return CheckOutcome::failed(format!("no HTTP client: {why}")),
                    };
                    let samples = http::run(check, client, &lines);
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
                }
                StepKind::Sql(check) => sql::run(check, &dir, limit, &lines).await,
                other => CheckOutcome::failed(format!("a {} step is not a check", other.name())),
            }
        };
        tokio::pin!(work);
        let mut stopped = stopped;
        let found = loop {
            tokio::select! {
                biased;
                Some(line) = read.recv() => {
                    let _ = reports.send((id, UnitReport::Line(line))).await;
                }
                found = &mut work => break found,
                _ = &mut stopped => break CheckOutcome::failed("stopped".into()),
            }
        };
        while let Ok(line) = read.try_recv() {
            let _ = reports.send((id, UnitReport::Line(line))).await;
        }
        let _ = reports.send((id, UnitReport::Checked(found))).await;
    });
    Unit { stop: Some(stop), task }
}
