//! The conductor's side of its socket: every connection's commands go into the run's one
//! command queue, each stamped with the OS account the kernel says sent it.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};

use super::wire::{ClientSays, ConductorSays};
use crate::engine::{Act, Command, Via, Who, os_login};
use crate::folders::{self, FolderError};

/// The longest line a client may send: a note or a reason, never a flood.
const LONGEST_LINE: usize = 64 * 1024;

/// A bound socket: owner-only, removed when the conductor ends.
pub struct Socket {
    listener: UnixListener,
    path: PathBuf,
}

impl Socket {
    /// Binds in a folder made by `folders::make`, refused when it is no longer this account's
    /// alone: whoever could write there could take the socket's place.
    pub fn bind(path: &Path) -> Result<Self, FolderError> {
        use std::os::unix::fs::PermissionsExt;
        if let Some(dir) = path.parent() {
            folders::trust(dir)?;
        }
        let io = |source| FolderError::Io { path: path.to_path_buf(), source };
        // A socket left by a conductor that died is in the way; a live one would have answered.
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).map_err(io)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        Ok(Socket { listener, path: path.to_path_buf() })
    }

    /// Accepts clients until the run ends (the task is dropped with the socket's owner).
    pub async fn serve(
        self,
        run_id: String,
        commands: mpsc::Sender<Command>,
        health: watch::Receiver<Option<String>>,
    ) {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else { continue };
            let login = match stream.peer_cred() {
                Ok(cred) => os_login(nix::unistd::Uid::from_raw(cred.uid())),
                Err(e) => {
                    tracing::warn!("a client without peer credentials was turned away: {e}");
                    continue;
                }
            };
            tokio::spawn(client(stream, login, run_id.clone(), commands.clone(), health.clone()));
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn client(
    stream: UnixStream,
    login: String,
    run_id: String,
    commands: mpsc::Sender<Command>,
    health: watch::Receiver<Option<String>>,
) {
    let (read, write) = stream.into_split();
    // One writer: replies and news of the conductor's health reach the client whole, in order.
    let (out, said) = mpsc::channel::<ConductorSays>(16);
    let writer = tokio::spawn(write_out(write, said));
    let mut lines = BufReader::new(read);
    let mut who: Option<(Who, bool)> = None;
    let mut said_bye = false;
    let mut line = String::new();
    let mut health_task = None;
    loop {
        line.clear();
        match AsyncReadExt::take(&mut lines, LONGEST_LINE as u64).read_line(&mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let said: ClientSays = match serde_json::from_str(line.trim_end()) {
            Ok(said) => said,
            Err(e) => {
                let why = format!("not understood: {e}");
                let _ = out.send(ConductorSays::Refused { why }).await;
                continue;
            }
        };
        match (said, &who) {
            (ClientSays::Hello { name, screen }, None) => {
                let me = Who {
                    name: if name.trim().is_empty() { login.clone() } else { name },
                    login: login.clone(),
                };
                let welcome = ConductorSays::Welcome { run_id: run_id.clone(), login: login.clone() };
                if out.send(welcome).await.is_err() {
                    break;
                }
                health_task = Some(tokio::spawn(tell_health(health.clone(), out.clone())));
                if screen
                    && commands
                        .send(Command { by: me.clone(), act: Act::Attach, via: Via::Socket })
                        .await
                        .is_err()
                {
                    break;
                }
                who = Some((me, screen));
            }
            // Every act goes to the conductor, which holds it against its rights table: what no
            // client may say (attach, a signal) is refused there, with this login.
            (ClientSays::Act { act }, Some((me, _))) => {
                if commands.send(Command { by: me.clone(), act, via: Via::Socket }).await.is_err() {
                    break;
                }
            }
            (ClientSays::Bye, _) => {
                said_bye = true;
                break;
            }
            (ClientSays::Hello { .. }, Some(_)) | (ClientSays::Act { .. }, None) => {
                let why = "say hello once, first".to_string();
                let _ = out.send(ConductorSays::Refused { why }).await;
            }
        }
    }
    if let Some(task) = health_task {
        task.abort();
    }
    writer.abort();
    if let Some((me, true)) = who {
        let _ =
            commands.send(Command { by: me, act: Act::Detach { lost: !said_bye }, via: Via::Socket }).await;
    }
}

async fn write_out(mut write: tokio::net::unix::OwnedWriteHalf, mut said: mpsc::Receiver<ConductorSays>) {
    while let Some(said) = said.recv().await {
        let mut line = serde_json::to_string(&said).expect("replies serialize");
        line.push('\n');
        if write.write_all(line.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The conductor's health as it stands, then each change of it.
async fn tell_health(mut health: watch::Receiver<Option<String>>, out: mpsc::Sender<ConductorSays>) {
    loop {
        let trouble = health.borrow_and_update().clone();
        if out.send(ConductorSays::Health { trouble }).await.is_err() || health.changed().await.is_err() {
            return;
        }
    }
}
