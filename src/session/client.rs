//! A client of a run's conductor: a screen, or a one-off command, on the conductor's socket.

use std::path::Path;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::wire::{ClientSays, ConductorSays};
use crate::engine::Act;

pub struct Client {
    write: OwnedWriteHalf,
}

impl Client {
    /// Connects and says hello; an error when no conductor listens there.
    pub async fn connect(path: &Path, name: &str, screen: bool) -> std::io::Result<Client> {
        let stream = UnixStream::connect(path).await?;
        let (read, mut write) = stream.into_split();
        send(&mut write, &ClientSays::Hello { name: name.to_string(), screen }).await?;
        let mut line = String::new();
        BufReader::new(read).read_line(&mut line).await?;
        match serde_json::from_str(line.trim_end()) {
            Ok(ConductorSays::Welcome { .. }) => Ok(Client { write }),
            Ok(ConductorSays::Refused { why }) => Err(std::io::Error::other(why)),
            Err(_) => Err(std::io::Error::other("the conductor did not answer")),
        }
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

async fn send(write: &mut OwnedWriteHalf, said: &ClientSays) -> std::io::Result<()> {
    let mut line = serde_json::to_string(said).expect("client messages serialize");
    line.push('\n');
    write.write_all(line.as_bytes()).await
}
