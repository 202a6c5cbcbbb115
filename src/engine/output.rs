//! Output batching: many small reads become one journaled event per line-aligned batch,
//! so a flood is a few hundred transactions rather than a million, and no byte is dropped.

use std::time::Duration;

use tokio::time::Instant;

use crate::journal::Stream;

/// A batch is journaled once it holds this much…
pub const FLUSH_BYTES: usize = 64 * 1024;
/// …or once its oldest byte has waited this long, so a slow step's lines show promptly.
pub const FLUSH_AFTER: Duration = Duration::from_millis(50);

pub struct Batcher {
    pub stream: Stream,
    buf: Vec<u8>,
    since: Option<Instant>,
    /// Bytes held back at a cut inside a line, so a secret split across the cut is still masked.
    holdback: usize,
}

impl Batcher {
    pub fn new(stream: Stream, holdback: usize) -> Self {
        Batcher { stream, buf: Vec::new(), since: None, holdback }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.buf.is_empty() {
            self.since = Some(Instant::now());
        }
        self.buf.extend_from_slice(bytes);
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
        let cut = match memchr::memrchr(b'\n', &self.buf) {
            Some(i) => i + 1,
            None => self.buf.len().saturating_sub(self.holdback),
        };
        if cut == 0 {
            return None;
        }
        Some(self.split(cut))
    }

    /// Everything pending, at the end of the command.
    pub fn take_all(&mut self) -> Option<Vec<u8>> {
        (!self.buf.is_empty()).then(|| self.split(self.buf.len()))
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
        let mut b = Batcher::new(Stream::Stdout, 3);
        b.push(b"one\ntwo\nthr");
        assert!(b.take_ready(Instant::now()).is_none(), "not due yet");
        let later = Instant::now() + FLUSH_AFTER;
        assert_eq!(b.take_ready(later).unwrap(), b"one\ntwo\n");
        assert_eq!(b.take_all().unwrap(), b"thr");
        assert!(b.take_all().is_none());
    }

    #[test]
    fn a_huge_line_is_cut_with_a_holdback() {
        let mut b = Batcher::new(Stream::Stdout, 5);
        b.push(&vec![b'x'; FLUSH_BYTES + 10]);
        let first = b.take_ready(Instant::now()).unwrap();
        assert_eq!(first.len(), FLUSH_BYTES + 5);
        assert_eq!(b.take_all().unwrap().len(), 5);
    }
}
