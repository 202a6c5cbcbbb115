//! Telling the team: webhooks (slack, json) fed from the journaled events, sent in the
//! background. A receiver that refuses, hangs or fails costs the run nothing: each one has a
//! worker of its own that tries a few times with a timeout, and says what became of every
//! notification so the conductor journals it.

mod news;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::journal::{Event, EventKind, RunState};
use crate::runbook::{Notice, Notify, NotifyFormat, Redactor};
use crate::sanitize::one_line;

pub use news::{Message, news};

/// Tries of one notification before its error is final.
const TRIES: u32 = 3;
/// The wait before the second try; it doubles after each.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// How long past its receivers' timeout the notifier waits, once the run is over, for what it
/// still has to send.
const GRACE_EXTRA: Duration = Duration::from_millis(500);

/// What became of one notification to one receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub receiver: String,
    pub notice: Notice,
    /// The error of the last try; none when it was delivered.
    pub error: Option<String>,
}

/// The receivers of one run and what it takes to tell them.
pub struct Notifier {
    receivers: Vec<Notify>,
    redactor: Redactor,
    client: reqwest::Client,
    state: RunState,
}

/// The notifier's part once the run is over.
pub struct Ended {
    /// The run's last journaled event, once its end (`RunFinished`) was seen: what follows the
    /// end (the head signed over it, notifications) is journaled after it.
    pub last_seq: Option<i64>,
    /// What became of notifications the conductor did not journal before the run ended.
    pub unjournaled: Vec<Delivered>,
}

impl Notifier {
    /// None when there is nobody to tell. `so_far` is the run as journaled before this
    /// conductor (a resumed run), or empty.
    pub fn new(receivers: Vec<Notify>, redactor: Redactor, so_far: RunState) -> Option<Notifier> {
        if receivers.is_empty() {
            return None;
        }
        let client = crate::http_client::build().ok()?;
        Some(Notifier { receivers, redactor, client, state: so_far })
    }

    /// Hears journaled events on `events` until the run is over (the channel closes), sends what
    /// is news, and says on `results` what became of each notification. Once the run is over it
    /// waits a little for what it still sends; what is still unanswered then is reported failed.
    pub async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<Event>,
        results: mpsc::UnboundedSender<Delivered>,
    ) -> Ended {
        let (done_tx, mut done) = mpsc::unbounded_channel::<(usize, Delivered)>();
        let redactor = Arc::new(self.redactor.clone());
        let mut queues = Vec::new();
        let mut workers = Vec::new();
        for (i, receiver) in self.receivers.iter().enumerate() {
            let (tx, rx) = mpsc::unbounded_channel::<(Notice, Vec<u8>)>();
            queues.push(tx);
            let worker = Worker { index: i, receiver: receiver.clone(), client: self.client.clone() };
            workers.push(tokio::spawn(worker.run(rx, done_tx.clone())));
        }
        drop(done_tx);
        // What each receiver has been given and not yet answered, oldest first.
        let mut in_flight: Vec<VecDeque<Notice>> = vec![VecDeque::new(); self.receivers.len()];
        let mut timers = Timers::default();
        let mut last_seq = None;
        // Said to the conductor, and not yet seen journaled.
        let mut unconfirmed: VecDeque<Delivered> = VecDeque::new();
        let send = |state: &RunState,
                    message: Message,
                    in_flight: &mut Vec<VecDeque<Notice>>,
                    only: Option<usize>| {
            for (i, receiver) in self.receivers.iter().enumerate() {
                if only.is_some_and(|o| o != i) || !receiver.on.contains(&message.notice) {
                    continue;
                }
                let body = body(receiver, state, &message, &redactor);
                if queues[i].send((message.notice, body)).is_ok() {
                    in_flight[i].push_back(message.notice);
                }
            }
        };
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else { break };
                    if matches!(event.kind, EventKind::RunFinished { .. }) || last_seq.is_some() {
                        last_seq = Some(event.seq);
                    }
                    if let EventKind::Notified { receiver, notice, .. } = &event.kind {
                        let same = |d: &Delivered| &d.receiver == receiver && d.notice.name() == notice;
                        if let Some(i) = unconfirmed.iter().position(same) {
                            unconfirmed.remove(i);
                        }
                        self.state.apply(&event);
                        continue;
                    }
                    let message = news(&event, &self.state);
                    self.state.apply(&event);
                    timers.after(&event, &self.state, &self.receivers);
                    if let Some(message) = message {
                        send(&self.state, message, &mut in_flight, None);
                    }
                }
                Some((i, delivered)) = done.recv() => {
                    in_flight[i].pop_front();
                    unconfirmed.push_back(delivered.clone());
                    let _ = results.send(delivered);
                }
                _ = sleep_until(timers.next().unwrap_or_else(Instant::now)), if timers.next().is_some() => {
                    for (message, only) in timers.due(&self.state, &self.receivers) {
                        send(&self.state, message, &mut in_flight, only);
                    }
                }
            }
        }
        drop(queues);
        // The run is over: what is still being sent gets one more timeout.
        let longest = self.receivers.iter().map(|r| r.timeout).max().unwrap_or_default();
        let deadline = Instant::now() + longest + GRACE_EXTRA;
        while in_flight.iter().any(|q| !q.is_empty()) {
            tokio::select! {
                got = done.recv() => match got {
                    Some((i, delivered)) => {
                        in_flight[i].pop_front();
                        unconfirmed.push_back(delivered);
                    }
                    None => break,
                },
                _ = sleep_until(deadline) => break,
            }
        }
        for worker in workers {
            worker.abort();
        }
        for (i, left) in in_flight.into_iter().enumerate() {
            for notice in left {
                unconfirmed.push_back(Delivered {
                    receiver: self.receivers[i].name.clone(),
                    notice,
                    error: Some(
                        "not delivered before the run ended: the receiver did not answer in time".into(),
                    ),
                });
            }
        }
        Ended { last_seq, unjournaled: unconfirmed.into() }
    }
}

/// One receiver's deliveries, in order.
struct Worker {
    index: usize,
    receiver: Notify,
    client: reqwest::Client,
}

impl Worker {
    async fn run(
        self,
        mut queue: mpsc::UnboundedReceiver<(Notice, Vec<u8>)>,
        done: mpsc::UnboundedSender<(usize, Delivered)>,
    ) {
        while let Some((notice, body)) = queue.recv().await {
            let error = self.deliver(body).await.err();
            let delivered = Delivered { receiver: self.receiver.name.clone(), notice, error };
            if done.send((self.index, delivered)).is_err() {
                return;
            }
        }
    }

    /// Tries a few times, waiting longer each time; the last error is the answer.
    async fn deliver(&self, body: Vec<u8>) -> Result<(), String> {
        let mut wait = BACKOFF_FIRST;
        let mut last = String::new();
        for attempt in 1..=TRIES {
            match self.try_once(body.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(receiver = %self.receiver.name, attempt, "notification not delivered: {e}");
                    last = e;
                }
            }
            if attempt < TRIES {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
        Err(format!("{last} (after {TRIES} tries)"))
    }

    async fn try_once(&self, body: Vec<u8>) -> Result<(), String> {
        let mut request = self
            .client
            .post(&self.receiver.url)
            .timeout(self.receiver.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let (NotifyFormat::Json, Some(key)) = (self.receiver.format, &self.receiver.secret) {
            request = request.header("X-Tminus-Signature", signature(key, &body));
        }
        let sent = request.body(body).send();
        // The client's own timeout covers the answer's headers; this one the whole exchange.
        let answer = match tokio::time::timeout(self.receiver.timeout, sent).await {
            Err(_) => return Err(no_answer(self.receiver.timeout)),
            Ok(Err(e)) if e.is_timeout() => return Err(no_answer(self.receiver.timeout)),
            // The URL may hold a secret: the error is told without it.
            Ok(Err(e)) => return Err(error_text(e)),
            Ok(Ok(answer)) => answer,
        };
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered HTTP {}", status.as_u16()))
        }
    }
}

fn no_answer(timeout: Duration) -> String {
    format!("no answer within {}", crate::runbook::format_duration(timeout))
}

fn error_text(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// Text as Slack shows it literally: its three control characters escaped, as its API asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `sha256=` and the hex HMAC-SHA256 of `body` with `key`.
pub fn signature(key: &str, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The body a receiver gets, every secret masked, and what people typed in it (names, reasons,
/// titles) on one line with its controls shown: a team's channel shows no line they forged.
/// Masked first, so a secret with a newline in it is still found.
pub fn body(receiver: &Notify, state: &RunState, message: &Message, redactor: &Redactor) -> Vec<u8> {
    let shown = |text: &str| one_line(&redactor.text(text)).into_owned();
    let text = shown(&message.text(state));
    let value = match receiver.format {
        // Slack reads `<...>` as links and mentions (`<!channel>`): only tminus's own may be.
        NotifyFormat::Slack => serde_json::json!({ "text": slack_escape(&text) }),
        NotifyFormat::Json => serde_json::json!({
            "run_id": state.run_id,
            "runbook": state.info.as_ref().map(|i| shown(&i.runbook)),
            "kind": message.notice.name(),
            "step": message.step,
            "text": text,
            "time": message.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            // The last head the conductor signed: `tminus verify --witness HEAD` holds the
            // journal to it later.
            "head": state.head.as_ref().map(ToString::to_string),
        }),
    };
    redactor.text(&value.to_string()).into_owned().into_bytes()
}

/// The clocks the notifier keeps: a prompt unanswered too long, a phase past its budget.
#[derive(Default)]
struct Timers {
    /// The prompt that stands (its seq), and when each receiver hears of it again.
    waiting: Option<(i64, HashMap<usize, Instant>)>,
    /// Phases running, and when each overruns.
    overruns: Vec<(String, Instant, DateTime<Utc>)>,
}

impl Timers {
    fn after(&mut self, event: &Event, state: &RunState, receivers: &[Notify]) {
        match (&event.kind, &state.waiting) {
            (_, None) => self.waiting = None,
            (_, Some(w)) if !w.prompt.blocks() => self.waiting = None,
            // A new prompt: its clock starts now, for every receiver that hears of waiting.
            (EventKind::ConfirmationRequested { .. }, Some(_)) => {
                let now = Instant::now();
                let due = receivers
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.on.contains(&Notice::Waiting))
                    .map(|(i, r)| (i, now + r.waiting_after))
                    .collect();
                self.waiting = Some((event.seq, due));
            }
            _ => {}
        }
        match &event.kind {
            EventKind::PhaseStarted { phase } => {
                if let Some(budget) = state.phases.iter().find(|p| &p.id == phase).and_then(|p| p.budget_secs)
                {
                    let budget = Duration::from_secs(budget);
                    let at = event.at + chrono::TimeDelta::from_std(budget).unwrap_or_default();
                    let left = (at - Utc::now()).to_std().unwrap_or_default();
                    self.overruns.push((phase.clone(), Instant::now() + left, at));
                }
            }
            EventKind::PhaseFinished { phase } => self.overruns.retain(|(p, _, _)| p != phase),
            EventKind::RunFinished { .. } => {
                self.overruns.clear();
                self.waiting = None;
            }
            _ => {}
        }
    }

    fn next(&self) -> Option<Instant> {
        let waiting = self.waiting.iter().flat_map(|(_, due)| due.values().copied());
        waiting.chain(self.overruns.iter().map(|(_, at, _)| *at)).min()
    }

    /// What is due now, each for every receiver (`None`) or for one.
    fn due(&mut self, state: &RunState, receivers: &[Notify]) -> Vec<(Message, Option<usize>)> {
        let now = Instant::now();
        let mut out = Vec::new();
        let mut overran = Vec::new();
        self.overruns.retain(|(phase, at, when)| {
            if *at > now {
                return true;
            }
            overran.push((phase.clone(), *when));
            false
        });
        for (phase, when) in overran {
            out.extend(news::overrun(state, &phase, when).map(|m| (m, None)));
        }
        if let (Some((_, due)), Some(waiting)) = (&mut self.waiting, &state.waiting) {
            for (i, at) in due.iter_mut() {
                if *at <= now {
                    let waited = (Utc::now() - waiting.since).to_std().unwrap_or_default();
                    out.push((news::still_waiting(waiting, state, round_to_seconds(waited)), Some(*i)));
                    *at = now + receivers[*i].waiting_after;
                }
            }
        }
        out
    }
}

fn round_to_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs_f64().round() as u64)
}

#[cfg(test)]
mod tests;
