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
            let page = store.events(&self.run_id, after.max(next.seq - 1), super::PAGE).await?;
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

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::journal::chain::Linked;
    use crate::journal::event::{Event, Outcome, PlannedStep, RunInfo, StepType, Stream};
    use crate::journal::state::{RunState, TAIL_LINE_CHARS, TAIL_LINES};
    use crate::journal::{SqlStore, Store};

    const RUN: &str = "20251127-090000-scrl";

    /// A real SQLite journal, and the events appended to it so far.
    struct Journal {
        _dir: tempfile::TempDir,
        store: SqlStore,
        seq: i64,
        tip: String,
    }

    impl Journal {
        async fn new() -> Journal {
            let dir = tempfile::tempdir().unwrap();
            let store = SqlStore::open_sqlite(&dir.path().join("journal.db")).await.unwrap();
            let steps = ["a", "b"].map(|id| PlannedStep::plain(id, id, StepType::Run, "true")).to_vec();
            let mut journal = Journal { _dir: dir, store, seq: 0, tip: String::new() };
            journal.append(None, EventKind::RunStarted(Box::new(RunInfo::of_steps(steps))), b"").await;
            journal
        }

        async fn append(&mut self, step: Option<&str>, kind: EventKind, data: &[u8]) {
            self.seq += 1;
            let event = Event {
                run_id: RUN.into(),
                seq: self.seq,
                at: Utc::now(),
                step: step.map(Into::into),
                kind,
                data: data.to_vec(),
            };
            let linked = Linked::after(&self.tip, event);
            self.tip.clone_from(&linked.hash);
            self.store.append(&[linked], None).await.unwrap();
        }

        async fn output(&mut self, step: &str, data: &[u8]) {
            let lines = memchr::memchr_iter(b'\n', data).count() as u32;
            self.append(Some(step), EventKind::Output { stream: Stream::Stdout, lines }, data).await;
        }

        async fn started(&mut self, step: &str, attempt: u32, role: Role) {
            self.append(Some(step), EventKind::StepStarted { attempt, role, command: None }, b"").await;
        }

        async fn finished(&mut self, step: &str, attempt: u32, role: Role) {
            let kind = EventKind::StepFinished {
                attempt,
                role,
                outcome: Outcome::Failed,
                exit_code: Some(1),
                duration_ms: 1,
                message: None,
                metrics: Vec::new(),
            };
            self.append(Some(step), kind, b"").await;
        }

        /// The run as every screen folds it.
        async fn state(&self) -> RunState {
            crate::journal::fold_run(&self.store, RUN, |_, _| {}).await.unwrap()
        }
    }

    fn numbered(from: usize, to: usize) -> Vec<u8> {
        (from..to).map(|n| format!("line {n:04}\n")).collect::<String>().into_bytes()
    }

    /// Two attempts, the second's output in many batches, lines cut across batches (a long one
    /// over three), a character split between batches, '\r', another step's output and an
    /// undo's in between, and a last line not ended yet.
    async fn a_busy_step() -> Journal {
        let mut j = Journal::new().await;
        j.started("a", 1, Role::Main).await;
        j.output("a", &numbered(0, 300)).await;
        j.output("b", b"not a's line\n").await;
        j.output("a", b"half of a li").await;
        j.output("a", b"ne\r\n").await;
        j.finished("a", 1, Role::Main).await;
        j.started("a", 2, Role::Main).await;
        for _ in 0..3 {
            j.output("a", &[b'x'; 3000]).await;
        }
        j.output("a", b"\ncaf\xc3").await;
        j.output("a", b"\xa9 and \xff invalid\n").await;
        for n in 0..6 {
            j.output("a", &numbered(1000 + n * 100, 1100 + n * 100)).await;
        }
        j.started("a", 1, Role::Undo).await;
        j.output("a", b"undoing\nundone\n").await;
        j.finished("a", 1, Role::Undo).await;
        j.output("a", b"after the undo\nno newline yet").await;
        j
    }

    #[tokio::test]
    async fn a_steps_lines_are_the_tails_lines_numbered_as_the_tail_numbers_them() {
        let j = a_busy_step().await;
        let state = j.state().await;
        let tail = &state.step("a").unwrap().output;
        let total = tail.total_lines + 1;
        let mut reader = Scrollback::new(RUN, "a");
        let all = reader.lines(&j.store, 0..total).await.unwrap();
        assert_eq!(all.len() as u64, total);
        assert_eq!(
            all[..all.len() - TAIL_LINES - 1].len() as u64,
            tail.total_lines - tail.lines.len() as u64
        );
        assert_eq!(all[all.len() - TAIL_LINES - 1..], tail.last(usize::MAX), "the tail's lines, the same");
        assert_eq!(all[0], "line 0000");
        assert_eq!(all[299], "line 0299");
        assert_eq!(all[300], "half of a line", "a line over two batches, its '\\r' dropped");
        assert_eq!(all[301], "x".repeat(TAIL_LINE_CHARS), "a long line over three batches, cut");
        assert_eq!(all[302], "caf\u{fffd}\u{fffd} and \u{fffd} invalid", "as lossy as the tail");
        assert_eq!(all[303], "line 1000");
        assert_eq!(all[903], "after the undo");
        assert_eq!(all[904], "no newline yet");
        assert!(!all.iter().any(|l| l.contains("undo") && l != "after the undo"), "no undo output");
        assert!(!all.iter().any(|l| l.contains("not a's")), "no other step's output");

        // Any range reads the same lines as the whole, wherever it starts and ends.
        for range in [0..1, 5..8, 299..304, 301..302, 302..303, 600..800, 900..905, 904..2000] {
            let lines = reader.lines(&j.store, range.clone()).await.unwrap();
            let end = range.end.min(total) as usize;
            assert_eq!(lines, all[range.start as usize..end], "lines {range:?}");
        }
        assert!(reader.lines(&j.store, 5000..5100).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn lines_printed_after_a_read_are_read_the_next_time() {
        let mut j = Journal::new().await;
        j.started("a", 1, Role::Main).await;
        j.output("a", &numbered(0, 10)).await;
        j.output("a", b"open").await;
        let mut reader = Scrollback::new(RUN, "a");
        assert_eq!(reader.lines(&j.store, 9..20).await.unwrap(), ["line 0009", "open"]);
        j.output("a", b" and ended\n").await;
        j.output("a", &numbered(11, 20)).await;
        let lines = reader.lines(&j.store, 9..12).await.unwrap();
        assert_eq!(lines, ["line 0009", "open and ended", "line 0011"]);
        let state = j.state().await;
        assert_eq!(state.step("a").unwrap().output.total_lines, 20);
    }
}
