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

/// Reads a run's rows in order and checks each against the one before it.
pub async fn verify(store: &dyn Store, run_id: &str) -> Result<Verdict, StoreError> {
    const PAGE: u32 = 64;
    let (mut last, mut previous) = (0, String::new());
    let mut finished = false;
    loop {
        let rows = store.rows(run_id, last, PAGE).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let by = row.writer.as_deref().map(|w| format!(" (written by {w})")).unwrap_or_default();
            let broken = |why: String| Verdict::Broken { seq: row.seq, why };
            if row.seq != last + 1 {
                return Ok(Verdict::Broken {
                    seq: last + 1,
                    why: format!("it is missing (the next event is {})", row.seq),
                });
            }
            // After the end, only the conductor's word on its last notifications may follow.
            if finished && row.kind != "notified" {
                return Ok(broken(format!("it comes after the run's end{by}")));
            }
            let Some(hash) = &row.hash else {
                return Ok(broken(format!("it has no hash: tminus did not write it{by}")));
            };
            if *hash != row.link(run_id, &previous) {
                return Ok(broken(format!(
                    "it does not match its hash: changed, or not written by tminus{by}"
                )));
            }
            finished |= row.kind == "run_finished";
            last = row.seq;
            previous = hash.clone();
        }
    }
    Ok(Verdict::Verified { events: last })
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
