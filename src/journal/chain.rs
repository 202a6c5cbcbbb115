//! The journal's hash chain: each event's hash covers its content and the hash of the event
//! before it, so an event added, changed or removed by anything but the run's conductor shows
//! when the run is verified.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::event::{Event, EventKind};
use super::store::{Store, StoreError};

/// An event as stored: the very text and bytes the hash covers.
#[derive(Debug, Clone)]
pub struct Row {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub step: Option<String>,
    pub payload: String,
    pub data: Option<Vec<u8>>,
    pub hash: Option<String>,
    /// Who wrote the row, where the database records it.
    pub writer: Option<String>,
}

impl Row {
    /// The row an event is stored as, but for its bytes (`event.data`, not copied) and its
    /// hash, still to be linked.
    pub fn of(event: &Event) -> Row {
        Row {
            seq: event.seq,
            at: stamp(event.at),
            kind: event.kind.name().to_string(),
            step: event.step.clone(),
            payload: payload(&event.kind),
            data: None,
            hash: None,
            writer: None,
        }
    }

    /// The event this row stores.
    pub fn into_event(self, run_id: &str, location: &str) -> Result<Event, StoreError> {
        let kind = serde_json::from_str(&self.payload).map_err(|source| StoreError::Corrupt {
            location: location.to_string(),
            run_id: run_id.to_string(),
            seq: self.seq,
            source,
        })?;
        Ok(Event {
            run_id: run_id.to_string(),
            seq: self.seq,
            at: super::sql_store::parse_time(&self.at),
            step: self.step,
            kind,
            data: self.data.unwrap_or_default(),
        })
    }

    /// This row's hash after the run's previous one (`""` before the first).
    pub fn link(&self, run_id: &str, previous: &str) -> String {
        self.link_with(run_id, previous, self.data.as_deref().unwrap_or_default())
    }

    /// The hash of this row holding `data`.
    pub fn link_with(&self, run_id: &str, previous: &str, data: &[u8]) -> String {
        let mut h = Sha256::new();
        // Each field with its length first, so no two different rows read the same.
        let fields: [&[u8]; 8] = [
            previous.as_bytes(),
            run_id.as_bytes(),
            &self.seq.to_be_bytes(),
            self.at.as_bytes(),
            self.kind.as_bytes(),
            self.step.as_deref().unwrap_or("\0").as_bytes(),
            self.payload.as_bytes(),
            data,
        ];
        for field in fields {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field);
        }
        format!("{:x}", h.finalize())
    }
}

/// An event linked after the run's event before it: what a store writes.
#[derive(Debug, Clone)]
pub struct Linked {
    pub event: Event,
    /// The event as stored, but for its bytes, which stay in `event.data`.
    pub row: Row,
    pub hash: String,
}

impl Linked {
    /// `event`, after the event whose hash is `previous` (`""` before the first).
    pub fn after(previous: &str, event: Event) -> Linked {
        let row = Row::of(&event);
        let hash = row.link_with(&event.run_id, previous, &event.data);
        Linked { event, row, hash }
    }
}

pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

pub fn payload(kind: &EventKind) -> String {
    serde_json::to_string(kind).expect("events serialize")
}

/// What a check of a run's chain found.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Verified {
        events: i64,
        /// The last head its conductor signed, and the key that signed it.
        signed: Option<(i64, String)>,
        /// The host whose conductor holds that key.
        host: String,
    },
    /// The first event that does not follow from the ones before it, and why.
    Broken { seq: i64, why: String },
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Verified { events, signed: Some((head, key)), .. } if head == events => {
                write!(f, "chain verified, {events} events, signed to its last by key {}", short(key))
            }
            Verdict::Verified { events, signed: Some((head, key)), .. } => write!(
                f,
                "chain verified, {events} events, signed to event {head} by key {}; events {} to {events} are under no signed head yet",
                short(key),
                head + 1
            ),
            Verdict::Verified { events, signed: None, .. } => {
                write!(f, "chain verified, {events} events, under no signed head yet")
            }
            Verdict::Broken { seq, why } => write!(f, "chain BROKEN at event {seq}: {why}"),
        }
    }
}

/// A key as people compare it: its first 16 hex digits.
pub fn short(key: &str) -> &str {
    &key[..key.len().min(16)]
}

/// Checks a run's rows, fed in order, each against the one before it, and every head its
/// conductor signed against the key it journaled.
pub struct Verifier {
    run_id: String,
    last: i64,
    previous: String,
    /// The seq of the run's end, once fed.
    ended: Option<i64>,
    broken: Option<Verdict>,
    /// The key of the run's conductor, its host and its login, from the start or the last resume.
    key: Option<String>,
    host: String,
    login: Option<String>,
    signed: Option<i64>,
    /// How the run ended, by its events (`RunOutcome::as_str`).
    pub outcome: Option<String>,
}

impl Verifier {
    pub fn new(run_id: &str) -> Self {
        Verifier {
            run_id: run_id.to_string(),
            last: 0,
            previous: String::new(),
            ended: None,
            broken: None,
            key: None,
            host: String::new(),
            login: None,
            signed: None,
            outcome: None,
        }
    }

    /// The next row; after the first break, rows change nothing.
    pub fn feed(&mut self, row: &Row) {
        if self.broken.is_some() {
            return;
        }
        if let Err(why) = self.check(row) {
            let seq = if row.seq != self.last + 1 { self.last + 1 } else { row.seq };
            self.broken = Some(Verdict::Broken { seq, why });
        }
    }

    fn check(&mut self, row: &Row) -> Result<(), String> {
        let by = row.writer.as_deref().map(|w| format!(" (written by {w})")).unwrap_or_default();
        if row.seq != self.last + 1 {
            return Err(format!("it is missing (the next event is {})", row.seq));
        }
        if self.ended.is_some() && !matches!(row.kind.as_str(), "notified" | "head_signed") {
            // After the end, only the conductor's word on its last notifications may follow.
            return Err(format!("it comes after the run's end{by}"));
        }
        let Some(hash) = &row.hash else {
            return Err(format!("it has no hash: tminus did not write it{by}"));
        };
        if *hash != row.link(&self.run_id, &self.previous) {
            return Err(format!("it does not match its hash: changed, or not written by tminus{by}"));
        }
        let payload =
            || serde_json::from_str::<EventKind>(&row.payload).map_err(|e| format!("unreadable: {e}"));
        match row.kind.as_str() {
            "run_started" | "run_resumed" => {
                let (key, host, login) = match payload()? {
                    EventKind::RunStarted(info) => (info.key, info.host, info.login),
                    EventKind::RunResumed { key, host, login, .. } => (key, host, login),
                    _ => return Err("its kind does not match its payload".into()),
                };
                (self.key, self.host, self.login) = (key, host, login);
            }
            "head_signed" => {
                let EventKind::HeadSigned { head, hash: signed, key, signature } = payload()? else {
                    return Err("its kind does not match its payload".into());
                };
                // A conductor that had no key asked for heads it could not sign: the run is
                // unsigned, as the verdict says, not rewritten.
                let unsigned = self.key.is_none() && key.is_empty() && signature.is_empty();
                let ours = self.key.as_deref() == Some(key.as_str());
                let holds = super::seal::holds(&key, &self.run_id, head, &signed, &signature);
                if !unsigned && (head != row.seq - 1 || signed != self.previous || !ours || !holds) {
                    return Err(format!(
                        "the head signed here does not hold: the events before it were written again{}",
                        if ours { "" } else { ", and signed by a key the run did not start with" }
                    ));
                }
                if !unsigned {
                    // The signature covers the head, and this row too: change it and it no longer holds.
                    self.signed = Some(row.seq);
                }
            }
            "run_finished" => {
                if let EventKind::RunFinished { outcome } = payload()? {
                    self.outcome = Some(outcome.as_str().to_string());
                }
                self.ended = Some(row.seq);
            }
            _ => {}
        }
        // On a shared journal the database names who wrote each row: the run's conductor.
        if let (Some(writer), Some(login)) = (&row.writer, &self.login)
            && writer != login
        {
            return Err(format!("it was written by {writer}, not by the run's conductor ({login})"));
        }
        self.last = row.seq;
        self.previous = hash.clone();
        Ok(())
    }

    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    pub fn verdict(&self) -> Verdict {
        if let Some(broken) = &self.broken {
            return broken.clone();
        }
        if self.key.is_none() && self.last > 0 {
            let why = "the run's conductor journaled no key: no head of it is signed, so anyone who can write the journal could have written it";
            return Verdict::Broken { seq: 1, why: why.into() };
        }
        if let Some(end) = self.ended.filter(|end| self.signed.is_none_or(|s| s < *end)) {
            let why = "the run's end carries no signed head: its last events may have been written again";
            return Verdict::Broken { seq: end, why: why.into() };
        }
        Verdict::Verified {
            events: self.last,
            signed: self.signed.zip(self.key.clone()),
            host: self.host.clone(),
        }
    }
}

/// Reads a run's rows in order and checks each against the one before it.
pub async fn verify(store: &dyn Store, run_id: &str) -> Result<Verifier, StoreError> {
    let mut verifier = Verifier::new(run_id);
    let mut after = 0;
    while !verifier.is_broken() {
        let rows = store.rows(run_id, after, super::PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        rows.iter().for_each(|row| verifier.feed(row));
    }
    Ok(verifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, payload: &str) -> Row {
        Row {
            seq,
            at: "2026-11-24T09:00:00+00:00".into(),
            kind: "note".into(),
            step: None,
            payload: payload.into(),
            data: None,
            hash: None,
            writer: None,
        }
    }

    #[test]
    fn a_link_covers_content_and_the_previous_hash() {
        let a = row(1, "{}").link("r", "");
        assert_eq!(a.len(), 64);
        assert_ne!(a, row(1, "{ }").link("r", ""));
        assert_ne!(a, row(1, "{}").link("r", "x"));
        assert_ne!(a, row(1, "{}").link("r2", ""));
        assert_eq!(a, row(1, "{}").link("r", ""));
    }

    /// `kind` as row `seq`, hashed after `previous`.
    fn linked(seq: i64, kind: &str, payload: &str, previous: &str) -> Row {
        let mut r = Row { kind: kind.into(), ..row(seq, payload) };
        r.hash = Some(r.link("r", previous));
        r
    }

    #[test]
    fn a_run_whose_conductor_had_no_key_is_named_unsigned_not_rewritten() {
        let info = serde_json::to_string(&EventKind::RunStarted(Box::new(
            super::super::event::RunInfo::of_steps(Vec::new()),
        )))
        .unwrap();
        let started = linked(1, "run_started", &info, "");
        let empty = r#"{"kind":"head_signed","head":1,"hash":"","key":"","signature":""}"#;
        let head = linked(2, "head_signed", empty, started.hash.as_deref().unwrap());
        let mut verifier = Verifier::new("r");
        verifier.feed(&started);
        verifier.feed(&head);
        let verdict = verifier.verdict().to_string();
        assert!(
            verdict.starts_with("chain BROKEN at event 1: the run's conductor journaled no key"),
            "{verdict}"
        );
    }
}
