//! Pass or fail for a shell command: its exit against `expect`, in the words a person uses.

use std::time::Duration;

use super::process::{EndedBy, Exit};
use crate::journal::Outcome;
use crate::runbook::{Expect, format_duration};

/// `expect.stdout` held against whole lines of stdout, however the output was batched.
#[derive(Debug)]
pub struct StdoutMatch {
    pattern: Option<regex::Regex>,
    matched: bool,
    /// The line not yet ended by a newline, up to a bound.
    line: Vec<u8>,
}

impl StdoutMatch {
    /// Longest line the pattern is held against; the journal keeps longer ones whole anyway.
    const LONGEST: usize = 1 << 20;

    pub fn new(expect: &Expect) -> Self {
        StdoutMatch { pattern: expect.stdout.clone(), matched: expect.stdout.is_none(), line: Vec::new() }
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.matched {
            return;
        }
        let mut rest = data;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.extend(&rest[..i]);
            self.check_line();
            rest = &rest[i + 1..];
        }
        self.extend(rest);
    }

    fn extend(&mut self, bytes: &[u8]) {
        let room = Self::LONGEST.saturating_sub(self.line.len());
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn check_line(&mut self) {
        if let Some(pattern) = &self.pattern {
            self.matched |= pattern.is_match(&String::from_utf8_lossy(&self.line));
        }
        self.line.clear();
    }

    /// Whether the expectation was met, the last unterminated line included.
    pub fn finish(&mut self) -> bool {
        if !self.matched && !self.line.is_empty() {
            self.check_line();
        }
        self.matched
    }
}

/// How a command ended, judged: `cut_in` is why tminus ended it, when someone did.
pub fn judge(
    exit: &Exit,
    expect: &Expect,
    matched: bool,
    timeout: Option<Duration>,
    cut_in: Option<String>,
) -> (Outcome, Option<String>) {
    match exit.ended_by {
        Some(EndedBy::Timeout) => {
            let limit = timeout.map(format_duration).unwrap_or_default();
            return (
                Outcome::TimedOut,
                Some(format!("timed out after {limit}; its process group was ended")),
            );
        }
        Some(EndedBy::Abort) => {
            return (Outcome::Aborted, Some(cut_in.unwrap_or_else(|| "interrupted".into())));
        }
        None => {}
    }
    let lingering =
        exit.lingering.then_some("background processes kept its output open; tminus stopped reading it");
    match (exit.code, exit.signal) {
        (Some(code), _) if code != expect.exit => {
            (Outcome::Failed, Some(format!("exit code {code} (expected {})", expect.exit)))
        }
        (None, Some(signal)) => (Outcome::Failed, Some(format!("killed by signal {signal}"))),
        _ if !matched => {
            let pattern = expect.stdout.as_ref().map(|r| r.as_str()).unwrap_or_default();
            (Outcome::Failed, Some(format!("no output line matched `{pattern}`")))
        }
        _ => (Outcome::Passed, lingering.map(str::to_string)),
    }
}
