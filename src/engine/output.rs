//! Output batching: many small reads become one journaled event per line-aligned batch,
//! so a flood is a few hundred events rather than a million, and no byte is dropped.

use std::time::Duration;

use tokio::time::Instant;

use crate::journal::Stream;
use crate::runbook::Redactor;

/// A batch is journaled once it holds this much: 200 MB is 400 events, so the cost of each
/// (an insert, its hash, the wake-ups between tasks) is lost in the copying of bytes, and the few
/// batches in flight between the pipe and the journal stay far under the memory bound…
pub const FLUSH_BYTES: usize = 512 * 1024;
/// …or once its oldest byte has waited this long, so a slow step's lines show promptly.
pub const FLUSH_AFTER: Duration = Duration::from_millis(50);

pub struct Batcher {
    pub stream: Stream,
    buf: Vec<u8>,
    since: Option<Instant>,
    /// Masks secrets before any cut, so no secret is ever split across two batches.
    redactor: Redactor,
}

impl Batcher {
    pub fn new(stream: Stream, redactor: Redactor) -> Self {
        Batcher { stream, buf: Vec::new(), since: None, redactor }
    }

    pub fn push(&mut self, bytes: Vec<u8>) {
        if self.buf.is_empty() {
            self.since = Some(Instant::now());
            // Taken as it is: no copy.
            self.buf = bytes;
            return;
        }
        // A flood's batch grows to its size at once, not by doubling and copying.
        self.buf.reserve(FLUSH_BYTES.saturating_sub(self.buf.len()).max(bytes.len()));
        self.buf.extend_from_slice(&bytes);
    }

    /// When the pending batch becomes due by time.
    pub fn due_at(&self) -> Option<Instant> {
        self.since.map(|t| t + FLUSH_AFTER)
    }

    /// A batch ready to journal: by size or age, cut after the last complete line
    /// (inside a line only when a line alone outgrows a batch or has waited too long).
    pub fn take_ready(&mut self, now: Instant) -> Option<Vec<u8>> {
        let due = self.since.is_some_and(|t| now >= t + FLUSH_AFTER);
        if self.buf.is_empty() || (self.buf.len() < FLUSH_BYTES && !due) {
            return None;
        }
        self.mask();
        // A secret may hold a newline, so even a cut after a whole line keeps back what could
        // still be the start of a secret that the next read completes.
        let settled = self.buf.len() - self.redactor.holdback(&self.buf);
        let cut = memchr::memrchr(b'\n', &self.buf[..settled]).map_or(settled, |i| i + 1);
        if cut == 0 {
            // Too little to send yet: wait another interval rather than spin on a due batch.
            self.since = Some(now);
            return None;
        }
        Some(self.split(cut))
    }

    /// Everything pending, at the end of the command.
    pub fn take_all(&mut self) -> Option<Vec<u8>> {
        self.mask();
        (!self.buf.is_empty()).then(|| self.split(self.buf.len()))
    }

    /// Masks every whole secret pending, before any cut can fall inside one.
    fn mask(&mut self) {
        if let std::borrow::Cow::Owned(masked) = self.redactor.bytes(&self.buf) {
            self.buf = masked;
        }
    }

    fn split(&mut self, cut: usize) -> Vec<u8> {
        let rest = self.buf.split_off(cut);
        let batch = std::mem::replace(&mut self.buf, rest);
        self.since = (!self.buf.is_empty()).then(Instant::now);
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_after_the_last_whole_line() {
        let mut b = Batcher::new(Stream::Stdout, Redactor::new(["abcd".to_string()]));
        b.push(b"one\ntwo\nthr".to_vec());
        assert!(b.take_ready(Instant::now()).is_none(), "not due yet");
        let later = Instant::now() + FLUSH_AFTER;
        assert_eq!(b.take_ready(later).unwrap(), b"one\ntwo\n");
        assert_eq!(b.take_all().unwrap(), b"thr");
        assert!(b.take_all().is_none());
    }

    #[test]
    fn a_huge_line_is_cut_with_a_holdback() {
        let mut b = Batcher::new(Stream::Stdout, Redactor::new(["secret".to_string()]));
        b.push(vec![b'x'; FLUSH_BYTES + 10]);
        b.push(b"secr".to_vec());
        let first = b.take_ready(Instant::now()).unwrap();
        assert_eq!(first.len(), FLUSH_BYTES + 10, "only what could start the secret waits");
        b.push(b"et!".to_vec());
        assert_eq!(b.take_all().unwrap(), b"****!");
    }

    #[test]
    fn a_secret_is_never_split_by_a_cut_inside_a_line() {
        let mut b = Batcher::new(Stream::Stdout, Redactor::new(["hunter2secret".to_string()]));
        b.push(b"token=hunter2secret and more".to_vec());
        let later = Instant::now() + FLUSH_AFTER;
        let first = b.take_ready(later).unwrap();
        let joined = [first, b.take_all().unwrap_or_default()].concat();
        assert_eq!(joined, b"token=**** and more");
        // A tail that could start a secret waits without being due again at once.
        b.push(b"hunt".to_vec());
        let due = Instant::now() + FLUSH_AFTER * 2;
        assert!(b.take_ready(due).is_none());
        assert!(b.due_at().unwrap() > due);
    }

    const TWO_LINES: &str = "first half\nsecond half";
    const PRINTED: &[u8] = b"pw=first half\nsecond half";

    /// What a batcher journals when `pieces` arrive one by one with a pause after each.
    fn batches(pieces: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut b = Batcher::new(Stream::Stdout, Redactor::new([TWO_LINES.to_string()]));
        let mut out = Vec::new();
        let mut at = Instant::now();
        for piece in pieces {
            b.push(piece.to_vec());
            at += FLUSH_AFTER * 2;
            out.extend(b.take_ready(at));
        }
        out.extend(b.take_all());
        out
    }

    #[test]
    fn a_two_line_secret_is_masked_wherever_the_output_pauses() {
        for at in 0..=PRINTED.len() {
            let (before, after) = PRINTED.split_at(at);
            let out = batches(&[before, after]);
            assert_eq!(out.concat(), b"pw=****", "paused after {at} bytes: {out:?}");
        }
        let bytes: Vec<&[u8]> = PRINTED.chunks(1).collect();
        assert_eq!(batches(&bytes).concat(), b"pw=****", "a pause after every byte");
    }

    #[test]
    fn lines_before_a_secret_in_the_making_are_sent_at_once() {
        let out = batches(&[b"ready\npw=first half\n"]);
        assert_eq!(out[0], b"ready\n");
    }
}
