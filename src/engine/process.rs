//! One step's shell command as a child process: its own process group, both pipes drained as
//! they fill, and an end that leaves nothing behind (TERM to the whole group, a grace, KILL).

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use crate::journal::Stream;

/// Read size while a pipe has its usual 64 KB buffer…
const CHUNK: usize = 64 * 1024;
/// …and once it has filled that: a command that floods gets a pipe this large, so it writes on
/// while tminus journals what it read instead of waiting on every 64 KB, and is read in fewer,
/// larger pieces. Only then: a larger pipe costs every quiet step its setting up.
const FLOOD_PIPE: usize = 1024 * 1024;
const FLOOD_CHUNK: usize = 256 * 1024;
/// Chunks in flight between the pipe readers and the engine: bounds memory under a flood.
const IN_FLIGHT: usize = 8;
/// After the command exits, how long to keep reading once its output goes quiet…
const DRAIN: Duration = Duration::from_millis(500);
/// …and for how long at most, when descendants keep writing.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

pub struct CommandSpec {
    pub script: String,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub kill_grace: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Timeout,
    Abort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Set when tminus ended the command rather than the command ending itself.
    pub ended_by: Option<EndedBy>,
    /// Descendants still held the output pipes open after the command exited.
    pub lingering: bool,
}

pub enum ProcEvent {
    Output(Stream, Vec<u8>),
    Exited(Exit),
}

enum Phase {
    Running,
    /// TERM sent to the group; KILL follows at the instant given.
    Terminating {
        kill_at: Instant,
    },
    Killed,
}

pub struct ProcessRun {
    child: Child,
    pgid: Pid,
    chunks: mpsc::Receiver<(Stream, Vec<u8>)>,
    readers: Vec<JoinHandle<()>>,
    pipes_open: bool,
    status: Option<ExitStatus>,
    drain_until: Option<Instant>,
    exited_at: Option<Instant>,
    deadline: Option<Instant>,
    grace: Duration,
    phase: Phase,
    ended_by: Option<EndedBy>,
    lingering: bool,
}

impl ProcessRun {
    pub fn spawn(spec: &CommandSpec) -> std::io::Result<Self> {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(&spec.script)
            .current_dir(&spec.dir)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: signals reach every descendant, and the terminal's Ctrl-C does not.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let pid = child.id().expect("a just-spawned child has a pid");
        let (tx, chunks) = mpsc::channel(IN_FLIGHT);
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(tokio::spawn(read_pipe(out, Stream::Stdout, tx.clone())));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(tokio::spawn(read_pipe(err, Stream::Stderr, tx)));
        }
        Ok(ProcessRun {
            child,
            pgid: Pid::from_raw(pid as i32),
            chunks,
            readers,
            pipes_open: true,
            status: None,
            drain_until: None,
            exited_at: None,
            deadline: spec.timeout.map(|t| Instant::now() + t),
            grace: spec.kill_grace,
            phase: Phase::Running,
            ended_by: None,
            lingering: false,
        })
    }

    /// The process group the command and its descendants run in.
    pub fn pgid(&self) -> i32 {
        self.pgid.as_raw()
    }

    /// Ends the command on the operator's word: TERM now, KILL after the grace.
    pub fn abort(&mut self) {
        self.terminate(EndedBy::Abort);
    }

    fn terminate(&mut self, why: EndedBy) {
        if !matches!(self.phase, Phase::Running) {
            return;
        }
        self.ended_by.get_or_insert(why);
        let _ = killpg(self.pgid, Signal::SIGTERM);
        self.phase = Phase::Terminating { kill_at: Instant::now() + self.grace };
    }

    fn kill(&mut self) {
        let _ = killpg(self.pgid, Signal::SIGKILL);
        self.phase = Phase::Killed;
    }

    /// The next chunk of output, or the exit once the command is done and its output read.
    pub async fn next(&mut self) -> ProcEvent {
        loop {
            if self.status.is_some() && (!self.pipes_open || self.drained()) {
                // What the readers already read is output too, however slow its consumer was.
                if let Ok((stream, bytes)) = self.chunks.try_recv() {
                    return ProcEvent::Output(stream, bytes);
                }
                return ProcEvent::Exited(self.finish().await);
            }
            let timer = self.next_timer();
            tokio::select! {
                chunk = self.chunks.recv(), if self.pipes_open => match chunk {
                    Some((stream, bytes)) => {
                        // Output still flowing after the exit: keep reading while it flows, up to
                        // a limit, so only descendants that hold the pipe quietly are left behind.
                        if let (Some(until), Some(exited)) = (self.drain_until.as_mut(), self.exited_at) {
                            *until = (Instant::now() + DRAIN).min(exited + DRAIN_LIMIT);
                        }
                        return ProcEvent::Output(stream, bytes);
                    }
                    None => self.pipes_open = false,
                },
                status = self.child.wait(), if self.status.is_none() => {
                    // A wait error means the child is gone already; treat it as killed.
                    self.status = Some(status.unwrap_or_else(|_| std::os::unix::process::ExitStatusExt::from_raw(9)));
                    self.drain_until = Some(Instant::now() + DRAIN);
                    self.exited_at = Some(Instant::now());
                }
                _ = sleep_until(timer.unwrap_or_else(far_future)), if timer.is_some() => self.on_timer(),
            }
        }
    }

    fn drained(&self) -> bool {
        // While tminus is ending the group, wait for it: KILL closes every pipe.
        matches!(self.phase, Phase::Running | Phase::Killed)
            && self.drain_until.is_some_and(|t| Instant::now() >= t)
    }

    fn next_timer(&self) -> Option<Instant> {
        match self.phase {
            Phase::Running if self.status.is_none() => self.deadline,
            Phase::Running => self.drain_until,
            Phase::Terminating { kill_at } => Some(kill_at),
            Phase::Killed => self.drain_until,
        }
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        match self.phase {
            Phase::Running if self.status.is_none() && self.deadline.is_some_and(|d| now >= d) => {
                self.terminate(EndedBy::Timeout);
            }
            Phase::Terminating { kill_at } if now >= kill_at => self.kill(),
            _ => {}
        }
    }

    async fn finish(&mut self) -> Exit {
        if self.pipes_open {
            // Descendants hold the pipes: stop reading rather than wait for them forever.
            self.lingering = true;
            for reader in &self.readers {
                reader.abort();
            }
        }
        if self.ended_by.is_some() {
            // A step tminus ended leaves nothing behind: make sure the whole group is gone.
            self.kill();
            super::group::kill_until_gone(self.pgid.as_raw()).await;
        }
        let status = self.status.expect("finish follows exit");
        use std::os::unix::process::ExitStatusExt;
        Exit {
            code: status.code(),
            signal: status.signal(),
            ended_by: self.ended_by,
            lingering: self.lingering,
        }
    }
}

impl Drop for ProcessRun {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
        if self.status.is_none() {
            let _ = killpg(self.pgid, Signal::SIGKILL);
        }
    }
}

async fn read_pipe(
    mut pipe: impl AsyncRead + std::os::fd::AsFd + Unpin,
    stream: Stream,
    tx: mpsc::Sender<(Stream, Vec<u8>)>,
) {
    let mut size = CHUNK;
    loop {
        // Read into spare capacity: a flood's buffers are never zeroed first.
        let mut buf = Vec::with_capacity(size);
        match pipe.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if n == CHUNK && size == CHUNK {
                    // Where the system allows less, the pipe keeps its size.
                    let _ = nix::fcntl::fcntl(&pipe, nix::fcntl::FcntlArg::F_SETPIPE_SZ(FLOOD_PIPE as i32));
                    size = FLOOD_CHUNK;
                }
                if tx.send((stream, buf)).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86400 * 365)
}
