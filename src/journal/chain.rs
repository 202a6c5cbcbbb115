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
    },
    /// The first event that does not follow from the ones before it, and why.
    Broken {
        seq: i64,
        why: String,
    },
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Verified { events } => write!(f, "chain verified, {events} events"),
            Verdict::Broken { seq, why } => write!(f, "chain BROKEN at event {seq}: {why}"),
        }
    }
}

/// Checks a run's rows, fed in order, each against the one before it.
pub struct Verifier {
    run_id: String,
    last: i64,
    previous: String,
    finished: bool,
    broken: Option<Verdict>,
}

impl Verifier {
    pub fn new(run_id: &str) -> Self {
        Verifier {
            run_id: run_id.to_string(),
            last: 0,
            previous: String::new(),
            finished: false,
            broken: None,
        }
    }

    /// The next row; after the first break, rows change nothing.
    pub fn feed(&mut self, row: &Row) {
        if self.broken.is_some() {
            return;
        }
        let by = row.writer.as_deref().map(|w| format!(" (written by {w})")).unwrap_or_default();
        let (seq, why) = if row.seq != self.last + 1 {
            (self.last + 1, format!("it is missing (the next event is {})", row.seq))
        } else if self.finished && row.kind != "notified" {
            // After the end, only the conductor's word on its last notifications may follow.
            (row.seq, format!("it comes after the run's end{by}"))
        } else {
            match &row.hash {
                None => (row.seq, format!("it has no hash: tminus did not write it{by}")),
                Some(hash) if *hash != row.link(&self.run_id, &self.previous) => {
                    (row.seq, format!("it does not match its hash: changed, or not written by tminus{by}"))
                }
                Some(hash) => {
                    self.finished |= row.kind == "run_finished";
                    self.last = row.seq;
                    self.previous = hash.clone();
                    return;
                }
            }
        };
        self.broken = Some(Verdict::Broken { seq, why });
    }

    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    pub fn verdict(&self) -> Verdict {
        self.broken.clone().unwrap_or(Verdict::Verified { events: self.last })
    }
}

/// Reads a run's rows in order and checks each against the one before it.
pub async fn verify(store: &dyn Store, run_id: &str) -> Result<Verdict, StoreError> {
    let mut verifier = Verifier::new(run_id);
    let mut after = 0;
    while !verifier.is_broken() {
        let rows = store.rows(run_id, after, super::PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        rows.iter().for_each(|row| verifier.feed(row));
    }
    Ok(verifier.verdict())
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
}
