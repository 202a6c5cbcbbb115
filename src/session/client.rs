//! A client of a run's conductor: a screen, or a one-off command, on the conductor's socket.

use std::path::Path;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch};

use super::wire::{ClientSays, ConductorSays};
use crate::engine::Act;
use crate::folders::{self, FolderError};

pub struct Client {
    write: OwnedWriteHalf,
    /// What the conductor says of itself: trouble with the journal, or `None`.
    health: watch::Receiver<Option<String>>,
}

/// Why no conductor was reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The socket, or its folder, is not this account's alone: whoever listens there may not
    /// be the conductor, so nothing was sent.
    #[error(transparent)]
    Untrusted(FolderError),
    /// No conductor listens there, or it hung up.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Client {
    /// Checks that the socket and its folder are this account's alone, then connects and says
    /// hello.
    pub async fn connect(path: &Path, name: &str, screen: bool) -> Result<Client, ConnectError> {
        let folder = path.parent().unwrap_or(Path::new("."));
        folders::trust(folder).and_then(|()| folders::trust(path)).map_err(|e| match e {
            // No socket there (no conductor), as connecting would have said.
            FolderError::Io { source, .. } => ConnectError::Io(source),
            untrusted => ConnectError::Untrusted(untrusted),
        })?;
        let stream = UnixStream::connect(path).await?;
        let (read, mut write) = stream.into_split();
        send(&mut write, &ClientSays::Hello { name: name.to_string(), screen }).await?;
        let mut read = BufReader::new(read);
        let mut line = String::new();
        read.read_line(&mut line).await?;
        match serde_json::from_str(line.trim_end()) {
            Ok(ConductorSays::Welcome { .. }) => {
                let (tx, health) = watch::channel(None);
                tokio::spawn(hear_health(read, tx));
                Ok(Client { write, health })
            }
            Ok(ConductorSays::Refused { why }) => Err(std::io::Error::other(why).into()),
            _ => Err(std::io::Error::other("the conductor did not answer").into()),
        }
    }

    /// What the conductor says of its own health, as it changes.
    pub fn health(&self) -> watch::Receiver<Option<String>> {
        self.health.clone()
    }

    pub async fn act(&mut self, act: Act) -> std::io::Result<()> {
        send(&mut self.write, &ClientSays::Act { act }).await
    }

    /// Leaves on purpose: journaled as detached.
    pub async fn bye(mut self) {
        let _ = send(&mut self.write, &ClientSays::Bye).await;
        let _ = self.write.shutdown().await;
    }

    /// Hands the client to a task that sends every act it is given, in order. Once the acts
    /// end, it says goodbye if `leave` is sent, and just hangs up (journaled as lost) if it is
    /// dropped.
    pub fn forward(mut self) -> Forwarding {
        let (acts, mut rx) = mpsc::channel::<Act>(64);
        let (leave, left) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            while let Some(act) = rx.recv().await {
                if self.act(act).await.is_err() {
                    return;
                }
            }
            if left.await.is_ok() {
                self.bye().await;
            }
        });
        Forwarding { acts, leave, task }
    }
}

/// A client handed to its forwarding task.
pub struct Forwarding {
    pub acts: mpsc::Sender<Act>,
    pub leave: tokio::sync::oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Reads what the conductor says after its welcome, until it hangs up.
async fn hear_health(mut read: BufReader<OwnedReadHalf>, health: watch::Sender<Option<String>>) {
    let mut line = String::new();
    loop {
        line.clear();
        match read.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if let Ok(ConductorSays::Health { trouble }) = serde_json::from_str(line.trim_end()) {
            health.send_replace(trouble);
        }
    }
}

async fn send(write: &mut OwnedWriteHalf, said: &ClientSays) -> std::io::Result<()> {
    let mut line = serde_json::to_string(said).expect("client messages serialize");
    line.push('\n');
    write.write_all(line.as_bytes()).await
}
