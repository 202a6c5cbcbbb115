//! A step's output lines older than its tail, read back from the journal a range at a time.
//! Lines are numbered as the tail counts them: from 0, over everything the step printed but
//! its undo, every attempt in journal order; a line read here is built by the tail's own code,
//! so line N is the same text whether it comes from here or from the tail.

use std::ops::Range;

use super::event::{EventKind, Role};
use super::state::OutputTail;
use super::store::{Store, StoreError};

/// One output batch of the step: the event that holds it and the lines it ends.
#[derive(Debug, Clone, Copy)]
struct Batch {
    seq: i64,
    /// The line its first byte belongs to.
    first: u64,
    /// The lines it ends ('\n' in it).
    ends: u32,
}

impl Batch {
    /// The line its last byte belongs to (the one still open after it).
    fn last(&self) -> u64 {
        self.first + u64::from(self.ends)
    }
}

/// Reads one step's lines; it remembers where each batch lies, so a later read only indexes
/// what the step printed since.
pub struct Scrollback {
    run_id: String,
    step: String,
    batches: Vec<Batch>,
    /// The step's last event indexed.
    after: i64,
    /// Lines ended so far.
    ended: u64,
    /// The step's undo runs: what it prints now is the undo's, as `RunState::apply` has it.
    undoing: bool,
}

/// Heads of events read per query while indexing: a few hundred KB of JSON at most.
const HEADS_PER_READ: u32 = 1000;
/// Batches (up to 64 KB each) read per query while gathering lines.
const BATCHES_PER_READ: u32 = 32;

impl Scrollback {
    pub fn new(run_id: &str, step: &str) -> Self {
        Scrollback {
            run_id: run_id.to_string(),
            step: step.to_string(),
            batches: Vec::new(),
            after: 0,
            ended: 0,
            undoing: false,
        }
    }

    /// Lines `range` of the step's output as its tail shows them: cut at `TAIL_LINE_CHARS`,
    /// invalid UTF-8 replaced, '\r' dropped. Fewer where the step has not printed that many;
    /// the last may be the line it has not ended yet.
    pub async fn lines(&mut self, store: &dyn Store, range: Range<u64>) -> Result<Vec<String>, StoreError> {
        self.index(store).await?;
        // No further than the line still open: it is line `ended`.
        let range = range.start..range.end.min(self.ended + 1);
        let wanted = range.end.saturating_sub(range.start);
        if wanted == 0 || self.batches.is_empty() {
            return Ok(Vec::new());
        }
        // The batch where the line before `range.start` ends (or the first batch), and the one
        // where the range's last line ends (or the last batch).
        let from = self.batches.partition_point(|b| b.last() < range.start);
        let until = self.batches.partition_point(|b| b.last() < range.end).min(self.batches.len() - 1);
        let Some(needed) = self.batches.get(from..=until) else { return Ok(Vec::new()) };
        // Never more than the range's lines are built, so nothing is pushed out of it.
        let mut tail = OutputTail::default();
        let keep = usize::try_from(wanted).unwrap_or(usize::MAX);
        let mut after = needed[0].seq - 1;
        let mut batches = needed.iter().peekable();
        while let Some(next) = batches.peek() {
            let page = store.events(&self.run_id, after.max(next.seq - 1), BATCHES_PER_READ).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for event in page {
                let Some(batch) = batches.next_if(|b| b.seq == event.seq) else { continue };
                let mut data = event.data.as_slice();
                if batch.first < range.start {
                    let skip = usize::try_from(range.start - batch.first).unwrap_or(usize::MAX);
                    let start = memchr::memchr_iter(b'\n', data).nth(skip - 1).map_or(data.len(), |i| i + 1);
                    data = &data[start..];
                }
                let missing = wanted - tail.total_lines;
                if let Some(end) = memchr::memchr_iter(b'\n', data).nth((missing - 1) as usize) {
                    tail.push_bounded(&data[..=end], keep);
                    return Ok(tail.lines.into());
                }
                tail.push_bounded(data, keep);
            }
        }
        let mut lines: Vec<String> = tail.lines.into();
        if !tail.partial.is_empty() {
            lines.push(tail.partial);
        }
        Ok(lines)
    }

    /// Brings the index up to the step's newest event.
    async fn index(&mut self, store: &dyn Store) -> Result<(), StoreError> {
        loop {
            let heads = store.step_events(&self.run_id, &self.step, self.after, HEADS_PER_READ).await?;
            for event in &heads {
                self.after = event.seq;
                match event.kind {
                    EventKind::StepStarted { role: Role::Undo, .. } => self.undoing = true,
                    EventKind::StepFinished { role: Role::Undo, .. } => self.undoing = false,
                    EventKind::Output { lines, .. } if !self.undoing => {
                        self.batches.push(Batch { seq: event.seq, first: self.ended, ends: lines });
                        self.ended += u64::from(lines);
                    }
                    _ => {}
                }
            }
            if heads.len() < HEADS_PER_READ as usize {
                return Ok(());
            }
        }
    }
}
