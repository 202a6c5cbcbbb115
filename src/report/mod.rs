//! The telling: the deployment report, rendered from the journal alone.

mod html;
mod json;
mod junit;
mod markdown;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::journal::{RunState, Store, StoreError, describe, fold_verified};

pub use html::render as html;
pub use json::render as json;
pub use junit::render as junit;
pub use markdown::render as markdown;

/// Everything a report says: the folded run and the event log as lines.
#[derive(Debug, Serialize)]
pub struct Report {
    pub state: RunState,
    pub log: Vec<LogLine>,
    /// Whether the journal's hash chain holds: "chain verified, N events", or where it breaks.
    pub chain: String,
}

#[derive(Debug, Serialize)]
pub struct LogLine {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub step: Option<String>,
    pub kind: &'static str,
    pub text: String,
    /// For an output batch: its lines and bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printed: Option<Printed>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Printed {
    pub lines: u64,
    pub bytes: u64,
}

/// Reads a run from the journal (in pages: output of any size fits) and prepares its report.
pub async fn gather(store: &dyn Store, run_id: &str) -> Result<Report, StoreError> {
    let mut log = Vec::new();
    let (state, verdict) =
        fold_verified(store, run_id, |event, state| log.push(log_line(event, state))).await?;
    // One read of the journal gives the fold and the chain's verdict both. The head it saw is
    // printed whole enough to be a witness: `tminus verify --witness SEQ:HASH`.
    let chain = match &state.head {
        Some(head) => format!("{verdict}; last signed head {head}"),
        None => verdict.to_string(),
    };
    Ok(Report { state, log, chain })
}

/// One event as the log says it.
fn log_line(event: &crate::journal::Event, state: &RunState) -> LogLine {
    LogLine {
        seq: event.seq,
        at: event.at,
        step: event.step.clone(),
        kind: event.kind.name(),
        text: describe(event, state),
        printed: match event.kind {
            crate::journal::EventKind::Output { lines, .. } => {
                Some(Printed { lines: lines.into(), bytes: event.data.len() as u64 })
            }
            _ => None,
        },
    }
}

impl Report {
    /// A report folded from `events` as they would be journaled: for tests.
    #[cfg(test)]
    pub(crate) fn of(events: &[crate::journal::Event]) -> Report {
        let mut state = RunState::default();
        let mut log = Vec::new();
        for event in events {
            state.apply(event);
            log.push(log_line(event, &state));
        }
        Report { state, log, chain: format!("chain verified, {} events", events.len()) }
    }

    /// Times are shown in the runbook's own offset (its T-0), so 09:00 reads as 09:00.
    pub fn offset(&self) -> FixedOffset {
        self.t_zero().map(|t| *t.offset()).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
    }

    pub fn t_zero(&self) -> Option<DateTime<FixedOffset>> {
        self.state.info.as_ref()?.start
    }
}
