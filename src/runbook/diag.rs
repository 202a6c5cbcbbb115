//! Problems found in a runbook, rendered with file, line, column and the offending line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

/// One thing wrong with a runbook, pointing at the bytes that are wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Problem { span, message: message.into(), help: None }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Every problem found in one runbook file; nothing runs while there is one.
#[derive(Debug)]
pub struct Problems {
    pub path: PathBuf,
    pub source: String,
    pub problems: Vec<Problem>,
}

impl Problems {
    pub fn new(path: &Path, source: &str, mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(|p| (p.span.start, p.span.end));
        problems.dedup();
        Problems { path: path.to_path_buf(), source: source.to_string(), problems }
    }

    /// `file:line:column` of a problem, 1-based, as editors and terminals link it.
    pub fn location(&self, problem: &Problem) -> String {
        let (line, col) = line_col(&self.source, problem.span.start);
        format!("{}:{line}:{col}", self.path.display())
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.path.display().to_string();
        let file = SimpleFile::new(name.as_str(), self.source.as_str());
        let config = term::Config::default();
        for problem in &self.problems {
            let mut span = problem.span.clone();
            span.start = floor_char_boundary(&self.source, span.start.min(self.source.len()));
            span.end = floor_char_boundary(&self.source, span.end.clamp(span.start, self.source.len()));
            let mut diagnostic = Diagnostic::error()
                .with_message(format!("{}: {}", self.location(problem), problem.message))
                .with_labels(vec![Label::primary((), span)]);
            if let Some(help) = &problem.help {
                diagnostic = diagnostic.with_notes(vec![format!("help: {help}")]);
            }
            match term::emit_into_string(&config, &file, &diagnostic) {
                Ok(text) => f.write_str(&text)?,
                Err(_) => writeln!(f, "error: {}: {}", self.location(problem), problem.message)?,
            }
        }
        let n = self.problems.len();
        write!(f, "{name}: {n} problem{} found; nothing was run", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Problems {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // column counts characters, not bytes
        assert_eq!(line_col(src, 9), (2, 3));
    }

    #[test]
    fn rendering_names_file_line_and_offending_text() {
        let src = "[runbook]\nname = 1\n";
        let p =
            Problems::new(Path::new("x.toml"), src, vec![Problem::new(17..18, "`name` must be a string")]);
        let text = p.to_string();
        assert!(text.contains("x.toml:2:8: `name` must be a string"), "{text}");
        assert!(text.contains("name = 1"), "{text}");
        assert!(text.ends_with("1 problem found; nothing was run"), "{text}");
    }
}
