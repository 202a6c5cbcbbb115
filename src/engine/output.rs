//! Output batching: many small reads become one journaled event per line-aligned batch,
//! so a flood is a few hundred transactions rather than a million, and no byte is dropped.

use std::time::Duration;

use tokio::time::Instant;

use crate::journal::Stream;
use crate::runbook::Redactor;

/// A batch is journaled once it holds this much…
pub const FLUSH_BYTES: usize = 64 * 1024;
/// …or once its oldest byte has waited this long, so a slow step's lines show promptly.
pub const FLUSH_AFTER: Duration = Duration::from_millis(50);

pub struct Batcher {
    pub stream: Stream,
    buf: Vec<u8>,
    since: Option<Instant>,
    /// Masks secrets before a cut inside a line, so no secret is ever split across two batches.
    redactor: Redactor,
}

impl Batcher {
    pub fn new(stream: Stream, redactor: Redactor) -> Self {
        Batcher { stream, buf: Vec::new(), since: None, redactor }
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
            None => {
                // Inside a line: mask what is whole first, then keep back what could still be
                // the start of a secret that the next read completes.
                if let std::borrow::Cow::Owned(masked) = self.redactor.bytes(&self.buf) {
                    self.buf = masked;
                }
                self.buf.len().saturating_sub(self.redactor.overlap())
            }
        };
        if cut == 0 {
            // Too little to send yet: wait another interval rather than spin on a due batch.
            self.since = Some(now);
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
        let mut b = Batcher::new(Stream::Stdout, Redactor::new(["abcd".to_string()]));
        b.push(b"one\ntwo\nthr");
        assert!(b.take_ready(Instant::now()).is_none(), "not due yet");
        let later = Instant::now() + FLUSH_AFTER;
        assert_eq!(b.take_ready(later).unwrap(), b"one\ntwo\n");
        assert_eq!(b.take_all().unwrap(), b"thr");
        assert!(b.take_all().is_none());
    }

    #[test]
    fn a_huge_line_is_cut_with_a_holdback() {
        let mut b = Batcher::new(Stream::Stdout, Redactor::new(["secret".to_string()]));
        b.push(&vec![b'x'; FLUSH_BYTES + 10]);
        let first = b.take_ready(Instant::now()).unwrap();
        assert_eq!(first.len(), FLUSH_BYTES + 5);
        assert_eq!(b.take_all().unwrap().len(), 5);
    }

    #[test]
    fn a_secret_is_never_split_by_a_cut_inside_a_line() {
        let mut b = Batcher::new(Stream::Stdout, Redactor::new(["hunter2secret".to_string()]));
        b.push(b"token=hunter2secret and more");
        let later = Instant::now() + FLUSH_AFTER;
        let first = b.take_ready(later).unwrap();
        let rest = b.take_all().unwrap();
        let joined = [first, rest].concat();
        assert_eq!(joined, b"token=**** and more");
        // A tail shorter than a secret waits without being due again at once.
        b.push(b"hunt");
        let due = Instant::now() + FLUSH_AFTER * 2;
        assert!(b.take_ready(due).is_none());
        assert!(b.due_at().unwrap() > due);
    }
}
