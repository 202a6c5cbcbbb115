//! A step's whole output back from the journal, byte for byte as it was journaled: the screen
//! and reports keep a tail, this gives every batch.

use super::event::{EventKind, Role, Stream};
use super::store::{Store, StoreError};

/// Which output to give back: one step's (or every step's), one attempt's, one stream's.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub step: Option<String>,
    /// The step's own attempt; `None` for every attempt (and its undo).
    pub attempt: Option<u32>,
    pub stream: Option<Stream>,
}

/// A piece of the log: where a new command's output begins, or bytes it printed.
pub enum Piece<'a> {
    /// A command of `step` began: its attempt, or its undo.
    Began {
        step: &'a str,
        role: Role,
        attempt: u32,
    },
    Bytes(&'a [u8]),
}

/// Walks the run's events in pages and hands `each` the selected output, in journal order.
/// Returns whether the selected step (and attempt) ever ran.
pub async fn output(
    store: &dyn Store,
    run_id: &str,
    selection: &Selection,
    mut each: impl FnMut(Piece<'_>) -> std::io::Result<()>,
) -> Result<std::io::Result<bool>, StoreError> {
    let (mut after, mut found) = (0, false);
    // The command each step runs now: its role and attempt.
    let mut running: std::collections::HashMap<String, (Role, u32)> = std::collections::HashMap::new();
    loop {
        let page = store.events(run_id, after, super::PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for event in &page {
            let Some(step) = event.step.as_deref() else { continue };
            if selection.step.as_deref().is_some_and(|s| s != step) {
                continue;
            }
            match &event.kind {
                EventKind::StepStarted { attempt, role, .. } => {
                    running.insert(step.to_string(), (*role, *attempt));
                    if chosen(selection, *role, *attempt) {
                        found = true;
                        if let Err(e) = each(Piece::Began { step, role: *role, attempt: *attempt }) {
                            return Ok(Err(e));
                        }
                    }
                }
                EventKind::Output { stream, .. } => {
                    let (role, attempt) = running.get(step).copied().unwrap_or((Role::Main, 1));
                    let wanted =
                        chosen(selection, role, attempt) && selection.stream.is_none_or(|s| s == *stream);
                    if wanted && let Err(e) = each(Piece::Bytes(&event.data)) {
                        return Ok(Err(e));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(Ok(found))
}

fn chosen(selection: &Selection, role: Role, attempt: u32) -> bool {
    match selection.attempt {
        None => true,
        Some(n) => role != Role::Undo && attempt == n,
    }
}
