//! The Markdown walk: pulldown-cmark's events, with their byte offsets, flattened into the blocks
//! the importer reads (headings, paragraphs, list items, code, tables), each with its source line.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: String,
    },
    /// Lines kept apart: "**When**: 09:00-11:00" on the first line is a window.
    Para {
        text: String,
    },
    Item {
        text: String,
        task: Option<bool>,
        ordered: bool,
        depth: usize,
    },
    /// `text` is the code exactly as written, byte for byte.
    Code {
        lang: String,
        text: String,
    },
    Table {
        rows: Vec<Vec<String>>,
    },
}

/// A block and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located {
    pub line: usize,
    pub block: Block,
}

/// Line numbers from byte offsets.
pub(crate) struct Lines(Vec<usize>);

impl Lines {
    pub fn new(text: &str) -> Self {
        Lines(std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }

    pub fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// A code fence left open to the end of the file swallows the rest of the document. Plans
/// written by tools often "close" a fence with another opening one ("```text"); where that is
/// what keeps a fence open, it is read as the closing fence. Returns the text (same length,
/// same lines: only the info string becomes spaces) and the lines mended.
pub(crate) fn mend_fences(source: &str) -> (String, Vec<usize>) {
    let mut text = source.to_string();
    let mut mended = Vec::new();
    // Each pass mends at most one fence; a plan has few.
    for _ in 0..64 {
        let Some(line_start) = unclosed_opener_fix(&text) else { break };
        let end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
        let line = &text[line_start..end];
        let indent = line.len() - line.trim_start().len();
        let fence_len = line.trim_start().chars().take_while(|&c| c == '`' || c == '~').count();
        let rest = end - (line_start + indent + fence_len);
        text.replace_range(line_start + indent + fence_len..end, &" ".repeat(rest));
        mended.push(text[..line_start].matches('\n').count() + 1);
    }
    (text, mended)
}

/// The start of the line to mend: the first fence with an info string inside a fence that
/// never closes.
fn unclosed_opener_fix(text: &str) -> Option<usize> {
    let fence = |line: &str| -> Option<(char, usize, bool)> {
        let t =
            line.strip_prefix("   ").or(line.strip_prefix("  ")).or(line.strip_prefix(' ')).unwrap_or(line);
        let c = t.chars().next().filter(|&c| c == '`' || c == '~')?;
        let n = t.chars().take_while(|&ch| ch == c).count();
        (n >= 3).then(|| (c, n, !t[n..].trim().is_empty()))
    };
    let mut open: Option<(char, usize, usize)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        match (open, fence(bare)) {
            (None, Some((c, n, _))) => open = Some((c, n, at)),
            (Some((c, n, _)), Some((c2, n2, false))) if c2 == c && n2 >= n => open = None,
            _ => {}
        }
        at += line.len();
    }
    let (c, n, start) = open?;
    let mut at = start;
    for line in text[start..].split_inclusive('\n').skip(1) {
        at += text[at..].find('\n').map_or(0, |i| i + 1);
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some((c2, n2, true)) = fence(bare)
            && c2 == c
            && n2 >= n
        {
            return Some(at);
        }
    }
    None
}

/// What is being collected while events arrive.
enum Open {
    Heading(u8, usize, String),
    Para(usize, String),
    Item { line: usize, text: String, task: Option<bool>, ordered: bool, depth: usize, emitted: bool },
    Code { line: Option<usize>, fence_line: usize, lang: String, text: String },
    Table(usize, Vec<Vec<String>>, String),
}

pub(crate) fn blocks(source: &str) -> Vec<Located> {
    let lines = Lines::new(source);
    let options = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut out = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    // Whether each open list is ordered.
    let mut lists: Vec<bool> = Vec::new();
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        let line = lines.line(range.start);
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                stack.push(Open::Heading(level as u8, line, String::new()))
            }
            Event::Start(Tag::Paragraph) => {
                // A paragraph inside a list item is the item's text.
                if !matches!(stack.last(), Some(Open::Item { .. })) {
                    stack.push(Open::Para(line, String::new()));
                } else if let Some(Open::Item { text, .. }) = stack.last_mut()
                    && !text.is_empty()
                {
                    text.push('\n');
                }
            }
            Event::Start(Tag::List(first)) => {
                flush_item(&mut stack, &mut out);
                lists.push(first.is_some());
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => stack.push(Open::Item {
                line,
                text: String::new(),
                task: None,
                ordered: lists.last().copied().unwrap_or(false),
                depth: lists.len().saturating_sub(1),
                emitted: false,
            }),
            Event::TaskListMarker(checked) => {
                if let Some(Open::Item { task, .. }) = stack.last_mut() {
                    *task = Some(checked);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                flush_item(&mut stack, &mut out);
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_ascii_lowercase()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                stack.push(Open::Code { line: None, fence_line: line, lang, text: String::new() });
            }
            Event::Start(Tag::Table(_)) => stack.push(Open::Table(line, Vec::new(), String::new())),
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                if let Some(Open::Table(_, rows, _)) = stack.last_mut() {
                    rows.push(Vec::new());
                }
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(Open::Table(_, rows, cell)) = stack.last_mut()
                    && let Some(row) = rows.last_mut()
                {
                    row.push(std::mem::take(cell).trim().to_string());
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(Open::Code { line: first, text, .. }) => {
                    first.get_or_insert(line);
                    text.push_str(&t);
                }
                Some(open) => push_text(open, &t),
                None => {}
            },
            Event::Code(t) => {
                if let Some(open) = stack.last_mut() {
                    push_text(open, &format!("`{t}`"));
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(open) = stack.last_mut() {
                    push_text(open, "\n");
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                if let Some(open) = stack.last_mut()
                    && !matches!(open, Open::Code { .. })
                {
                    push_text(open, &t);
                }
            }
            Event::End(TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::CodeBlock | TagEnd::Table) => {
                if matches!(event, Event::End(TagEnd::Paragraph))
                    && matches!(stack.last(), Some(Open::Item { .. }))
                {
                    continue;
                }
                if let Some(open) = stack.pop() {
                    emit(open, &mut out);
                }
            }
            Event::End(TagEnd::Item) => {
                if let Some(open @ Open::Item { .. }) = stack.pop() {
                    emit(open, &mut out);
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|b| b.line);
    out
}

fn push_text(open: &mut Open, t: &str) {
    match open {
        Open::Heading(_, _, text)
        | Open::Para(_, text)
        | Open::Item { text, .. }
        | Open::Table(_, _, text) => text.push_str(t),
        Open::Code { text, .. } => text.push_str(t),
    }
}

/// A list item's own text ends where a nested list or code block starts.
fn flush_item(stack: &mut [Open], out: &mut Vec<Located>) {
    if let Some(Open::Item { line, text, task, ordered, depth, emitted }) = stack.last_mut()
        && !*emitted
    {
        *emitted = true;
        out.push(Located {
            line: *line,
            block: Block::Item { text: tidy(text), task: *task, ordered: *ordered, depth: *depth },
        });
    }
}

fn emit(open: Open, out: &mut Vec<Located>) {
    let located = match open {
        Open::Heading(level, line, text) => {
            Located { line, block: Block::Heading { level, text: tidy(&text) } }
        }
        Open::Para(line, text) => Located { line, block: Block::Para { text: tidy(&text) } },
        Open::Item { line, text, task, ordered, depth, emitted } => {
            if emitted {
                return;
            }
            Located { line, block: Block::Item { text: tidy(&text), task, ordered, depth } }
        }
        Open::Code { line, fence_line, lang, text } => {
            Located { line: line.unwrap_or(fence_line + 1), block: Block::Code { lang, text } }
        }
        Open::Table(line, rows, _) => Located { line, block: Block::Table { rows } },
    };
    let empty = match &located.block {
        Block::Heading { text, .. } | Block::Para { text } => text.is_empty(),
        _ => false,
    };
    if !empty {
        out.push(located);
    }
}

/// Trailing spaces off every line, blank lines off both ends.
fn tidy(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_closed_by_another_opening_fence_is_mended() {
        let md = "# T\n\n```text\nlog\n```text\n## Phase 1 (09:00-10:00)\n- [ ] tick\n";
        let (text, mended) = mend_fences(md);
        assert_eq!(mended, [5]);
        assert_eq!(text.len(), md.len());
        assert!(
            blocks(&text)
                .iter()
                .any(|b| b.block == Block::Heading { level: 2, text: "Phase 1 (09:00-10:00)".into() })
        );
        let fine = "```bash\nls\n```\n";
        assert_eq!(mend_fences(fine), (fine.to_string(), vec![]));
    }

    #[test]
    fn blocks_carry_their_lines_and_kinds() {
        let md = "# Title\n\n## Phase 1 (08:45-09:00)\n**When**: now\nsecond line\n\n- [ ] tick me\n- [x] done\n  1. nested\n\n```bash\nnode a.js\n# Expected: ok\n```\n\n| Role | Phone |\n|---|---|\n| CTO | 123 |\n";
        let b = blocks(md);
        assert_eq!(b[0], Located { line: 1, block: Block::Heading { level: 1, text: "Title".into() } });
        assert_eq!(b[1].line, 3);
        assert_eq!(b[2], Located { line: 4, block: Block::Para { text: "When: now\nsecond line".into() } });
        assert_eq!(
            b[3].block,
            Block::Item { text: "tick me".into(), task: Some(false), ordered: false, depth: 0 }
        );
        assert_eq!(
            b[4].block,
            Block::Item { text: "done".into(), task: Some(true), ordered: false, depth: 0 }
        );
        assert_eq!(b[5].block, Block::Item { text: "nested".into(), task: None, ordered: true, depth: 1 });
        assert_eq!(
            b[6],
            Located {
                line: 12,
                block: Block::Code { lang: "bash".into(), text: "node a.js\n# Expected: ok\n".into() }
            }
        );
        assert_eq!(
            b[7].block,
            Block::Table {
                rows: vec![vec!["Role".into(), "Phone".into()], vec!["CTO".into(), "123".into()]]
            }
        );
    }
}
