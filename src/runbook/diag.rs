//! Problems found in a runbook, rendered with file, line, column and the offending line.
//!
//! Rendering takes time in proportion to the runbook whatever the runbook holds: lines are found
//! through an index built once, at most [`SHOWN`] problems are drawn, and every drawn line and
//! message is cut to a width a terminal can show, its control and invisible characters spelled
//! out so a hostile file cannot move the cursor or hide text in the report about it.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;

use crate::sanitize::push_visible;

/// Problems drawn in full; the rest are counted.
const SHOWN: usize = 200;
/// Characters of a source line drawn around a problem, and how many of them come before it.
const EXCERPT_WIDTH: usize = 100;
const EXCERPT_LEAD: usize = 40;
/// Characters of a message (which may quote a value from the file) drawn.
const MESSAGE_WIDTH: usize = 240;

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

/// Where each line of a source starts, so finding the line of an offset is a binary search.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> Self {
        let after_breaks = memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1);
        LineIndex { starts: std::iter::once(0).chain(after_breaks).collect() }
    }

    /// 0-based index of the line holding byte `offset`.
    fn index(&self, offset: usize) -> usize {
        // `starts[0]` is 0, so at least one start is at or before any offset.
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// 1-based line number of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.index(offset) + 1
    }

    /// The line and column of a byte offset. Counting goes on from `after` when that is earlier
    /// on the same line, so the columns of many problems on one long line are counted through once.
    pub fn place(&self, source: &str, offset: usize, after: Option<Place>) -> Place {
        let offset = floor_char_boundary(source, offset);
        let i = self.index(offset);
        let (from, column) = match after {
            Some(p) if p.line == i + 1 && p.offset <= offset => (p.offset, p.column),
            _ => (self.starts[i], 1),
        };
        Place { line: i + 1, column: column + source[from..offset].chars().count(), offset }
    }

    /// The bytes of line `i` without its line break.
    fn line_range(&self, source: &str, i: usize) -> Range<usize> {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).map_or(source.len(), |next| next - 1);
        let end = if source[start..end].ends_with('\r') { end - 1 } else { end };
        start..end
    }
}

/// A 1-based line and column (in characters), and the byte offset they stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: usize,
    offset: usize,
}

fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every problem found in one runbook file; nothing runs while there is one.
#[derive(Debug)]
pub struct Problems {
    pub path: PathBuf,
    pub source: String,
    pub problems: Vec<Problem>,
    lines: LineIndex,
}

impl Problems {
    pub fn new(path: &Path, source: &str, mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(|p| (p.span.start, p.span.end));
        problems.dedup();
        Problems {
            path: path.to_path_buf(),
            source: source.to_string(),
            problems,
            lines: LineIndex::new(source),
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = visible(&self.path.display().to_string(), MESSAGE_WIDTH);
        let config = term::Config::default();
        let mut last = None;
        for problem in self.problems.iter().take(SHOWN) {
            let place = self.lines.place(&self.source, problem.span.start, last);
            last = Some(place);
            let excerpt = Excerpt::new(&name, &self.source, &self.lines, place, &problem.span);
            let location = format!("{name}:{}:{}", excerpt.line, excerpt.column);
            let message = visible(&problem.message, MESSAGE_WIDTH);
            let mut diagnostic = Diagnostic::error()
                .with_message(format!("{location}: {message}"))
                .with_labels(vec![Label::primary((), excerpt.label.clone())]);
            if let Some(help) = &problem.help {
                diagnostic = diagnostic.with_notes(vec![format!("help: {}", visible(help, MESSAGE_WIDTH))]);
            }
            match term::emit_into_string(&config, &excerpt, &diagnostic) {
                Ok(text) => f.write_str(&text)?,
                Err(_) => writeln!(f, "error: {location}: {message}")?,
            }
        }
        let n = self.problems.len();
        if n > SHOWN {
            writeln!(f, "… and {} more problems", n - SHOWN)?;
        }
        write!(f, "{name}: {n} problem{} found; nothing was run", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Problems {}

/// `text` as one printable line of at most about `width` characters: control and invisible
/// characters spelled out, and the middle of a longer text cut so its end still reads.
fn visible(text: &str, width: usize) -> String {
    let mut out = String::new();
    if text.chars().nth(width).is_none() {
        text.chars().for_each(|c| push_visible(&mut out, c));
        return out;
    }
    let head = width * 2 / 3;
    text.chars().take(head).for_each(|c| push_visible(&mut out, c));
    out.push_str(" … ");
    let tail: Vec<char> = text.chars().rev().take(width - head).collect();
    tail.iter().rev().for_each(|&c| push_visible(&mut out, c));
    out
}

/// The line a problem points at as it is drawn: a window of it around the problem, escaped, read
/// by codespan as a one-line file that knows its real line and column.
struct Excerpt<'a> {
    name: &'a str,
    text: String,
    line: usize,
    column: usize,
    /// The problem's bytes within `text`.
    label: Range<usize>,
}

impl<'a> Excerpt<'a> {
    fn new(name: &'a str, source: &str, lines: &LineIndex, place: Place, span: &Range<usize>) -> Self {
        let Place { line, column, offset: start } = place;
        let range = lines.line_range(source, line - 1);
        let start = start.min(range.end);
        let end = floor_char_boundary(source, span.end.clamp(start, range.end));
        // The window is measured as drawn: one control character takes eight columns.
        let mut from = start;
        let mut lead = 0;
        for (i, c) in source[range.start..start].char_indices().rev() {
            lead += drawn_width(c);
            if lead > EXCERPT_LEAD {
                break;
            }
            from = range.start + i;
        }
        let mut text = String::new();
        if from > range.start {
            text.push('…');
        }
        let mut label = None::<usize>..None::<usize>;
        let mut at = from;
        let mut drawn = 0;
        for c in source[from..range.end].chars() {
            if at == start {
                label.start = Some(text.len());
            }
            if at == end {
                label.end = Some(text.len());
            }
            if drawn >= EXCERPT_WIDTH {
                break;
            }
            let before = text.len();
            push_visible(&mut text, c);
            drawn += text[before..].chars().count();
            at += c.len_utf8();
        }
        let cut = at < range.end;
        let label_start = label.start.unwrap_or(text.len());
        let label_end = label.end.unwrap_or(text.len()).max(label_start);
        if cut {
            text.push('…');
        }
        Excerpt { name, text, line, column, label: label_start..label_end }
    }
}

/// Columns `c` takes once drawn.
fn drawn_width(c: char) -> usize {
    let mut drawn = String::new();
    push_visible(&mut drawn, c);
    drawn.chars().count()
}

impl<'a> Files<'a> for Excerpt<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(&self.text)
    }

    fn line_index(&'a self, (): (), _byte_index: usize) -> Result<usize, FilesError> {
        Ok(0)
    }

    fn line_number(&'a self, (): (), _line_index: usize) -> Result<usize, FilesError> {
        Ok(self.line)
    }

    fn column_number(&'a self, (): (), _line_index: usize, _byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.column)
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, FilesError> {
        match line_index {
            0 => Ok(0..self.text.len()),
            given => Err(FilesError::LineTooLarge { given, max: 0 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbé = 2\n";
        let lines = LineIndex::new(src);
        let at = |offset, after| {
            let p: Place = lines.place(src, offset, after);
            (p.line, p.column)
        };
        assert_eq!(at(0, None), (1, 1));
        assert_eq!(at(6, None), (2, 1));
        // column counts characters, not bytes
        assert_eq!(at(9, None), (2, 3));
        assert_eq!(at(999, None), (3, 1));
        assert_eq!(lines.line(5), 1);
        // Counting on from an earlier place on the same line, or starting over on another.
        assert_eq!(at(9, Some(lines.place(src, 7, None))), (2, 3));
        assert_eq!(at(9, Some(lines.place(src, 2, None))), (2, 3));
    }

    #[test]
    fn rendering_names_file_line_and_offending_text() {
        let src = "[runbook]\nname = 1\n";
        let p =
            Problems::new(Path::new("x.toml"), src, vec![Problem::new(17..18, "`name` must be a string")]);
        let text = p.to_string();
        assert!(text.contains("x.toml:2:8: `name` must be a string"), "{text}");
        assert!(text.contains("name = 1"), "{text}");
        assert!(text.contains("^"), "{text}");
        assert!(text.ends_with("1 problem found; nothing was run"), "{text}");
    }

    #[test]
    fn a_long_line_of_control_characters_is_drawn_short_and_escaped() {
        let src = format!("x = \"{}\"\n", "\u{1b}[2J\u{7}".repeat(10_000));
        let problems = (0..50).map(|i| Problem::new(5 + i * 400..6 + i * 400, "bad")).collect();
        let text = Problems::new(Path::new("x.toml"), &src, problems).to_string();
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "raw control characters drawn");
        assert!(text.contains("<U+001B>[2J<U+0007>"), "{text}");
        assert!(text.contains("x.toml:1:6: bad"), "{text}");
        assert!(text.contains("x.toml:1:406: bad"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() < 200), "a drawn line is too long:\n{text}");
    }

    #[test]
    fn past_two_hundred_problems_the_rest_are_counted() {
        let src = "x\n".repeat(1000);
        let problems = (0..1000).map(|i| Problem::new(i * 2..i * 2 + 1, format!("bad {i}"))).collect();
        let text = Problems::new(Path::new("x.toml"), &src, problems).to_string();
        assert!(text.contains("x.toml:200:1: bad 199"), "{text}");
        assert!(!text.contains("bad 200"), "{text}");
        assert!(text.contains("and 800 more problems"), "{text}");
        assert!(text.ends_with("1000 problems found; nothing was run"), "{text}");
    }

    #[test]
    fn a_message_quoting_a_huge_value_keeps_its_end() {
        let message = format!("unknown key `{}\n` in a step", "k".repeat(100_000));
        let shown = visible(&message, MESSAGE_WIDTH);
        assert!(shown.chars().count() < MESSAGE_WIDTH + 20, "{shown}");
        assert!(shown.ends_with("<U+000A>` in a step"), "{shown}");
    }
}
