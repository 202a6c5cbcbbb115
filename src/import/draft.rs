//! The draft runbook the importer builds before writing it out: everything with the source line
//! it came from.

use chrono::{DateTime, FixedOffset};

use super::criteria::Suggestion;
use super::people::Contact;

#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub name: String,
    pub owner: Option<String>,
    pub start: Option<Start>,
    pub vars: Vec<Var>,
    pub contacts: Vec<Contact>,
    pub phases: Vec<Phase>,
    pub rollback: Vec<Entry>,
    /// Sections outside every phase, kept as comments.
    pub kept: Vec<Note>,
    /// What the lead must fill in or look at, for the summary and the file's head.
    pub todo: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Start {
    pub at: DateTime<FixedOffset>,
    /// Why this is T-0, and what of it is a placeholder: comment lines.
    pub why: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Var {
    pub name: String,
    pub env: String,
    pub default: String,
    pub secret: bool,
    pub comment: String,
}

#[derive(Debug, Default)]
pub(crate) struct Phase {
    pub id: String,
    pub title: String,
    pub line: usize,
    /// The heading as written, for the comment that points back to it.
    pub source: String,
    pub at: Option<String>,
    pub budget: Option<String>,
    pub entries: Vec<Entry>,
    pub suggestions: Vec<Suggestion>,
}

impl Phase {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Step(s) => Some(s),
            Entry::Note(_) => None,
        })
    }

    pub fn steps_mut(&mut self) -> impl Iterator<Item = &mut Step> {
        self.entries.iter_mut().filter_map(|e| match e {
            Entry::Step(s) => Some(s),
            Entry::Note(_) => None,
        })
    }
}

/// A step, or text kept as a comment where it stood.
#[derive(Debug)]
pub(crate) enum Entry {
    Step(Step),
    Note(Note),
}

#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub line: usize,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Run(String),
    Manual(String),
    Gate(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DryRun {
    No,
    /// The command only reads (it is itself a `--dry-run`): a dry run runs it as it is.
    Itself,
    Command(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub id: String,
    pub title: String,
    pub line: usize,
    pub kind: Kind,
    pub doc: Vec<String>,
    /// Regex for stdout, already escaped.
    pub expect: Option<String>,
    pub dry_run: DryRun,
    pub confirm: bool,
    pub critical: bool,
    pub signoff: Vec<String>,
    /// Comments above the step (besides "from FILE:LINE").
    pub comments: Vec<String>,
}

impl Step {
    pub fn new(title: String, line: usize, kind: Kind) -> Self {
        Step {
            id: String::new(),
            title,
            line,
            kind,
            doc: Vec::new(),
            expect: None,
            dry_run: DryRun::No,
            confirm: false,
            critical: true,
            signoff: Vec::new(),
            comments: Vec::new(),
        }
    }
}
