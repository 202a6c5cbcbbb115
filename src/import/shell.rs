//! Fenced shell blocks: the commands in them, the comments that name them, the `# Expected: …`
//! lines after them, and whether an expectation reads as literal output.

use std::sync::LazyLock;

use regex::Regex;

use super::ids::clean_title;

/// Info strings of fenced blocks whose lines are commands.
pub(crate) fn is_shell(lang: &str) -> bool {
    matches!(lang, "bash" | "sh" | "shell" | "zsh" | "console" | "shell-session" | "shellsession" | "ksh")
}

/// One command of a block (or a numbered comment with no command: something a person does).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Unit {
    /// Source line of the command (or of the numbered comment).
    pub line: usize,
    /// The comment above the command, without its number.
    pub title: Option<String>,
    /// Other comments that belong to it, as written (without `#`).
    pub doc: Vec<String>,
    /// The command, byte for byte; `None` for a numbered comment alone.
    pub command: Option<String>,
    pub expect: Vec<Expected>,
}

/// "# Expected: X" and the lines under it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expected {
    pub line: usize,
    /// The comment as written, first line and body, for the step's doc.
    pub lines: Vec<String>,
    /// Literal output to look for, when the expectation reads as one.
    pub literal: Option<String>,
}

/// A shell block read: its units, or the whole block as one procedure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Script {
    pub units: Vec<Unit>,
    /// Comments that belong to no command.
    pub notes: Vec<String>,
    /// `cd`, `export`, an assignment or a bare `ssh`: later lines depend on earlier ones, so the
    /// block runs as one step.
    pub one_procedure: bool,
    /// Only `NAME=value` lines: a list of settings, not commands.
    pub settings_only: bool,
    /// From the first command to the end of the last, byte for byte, comments between included.
    pub procedure: String,
}

static EXPECTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(expected(?:\s+(?:output|result|response))?\s*:|should\s+(?:show|print|output|see|display|return|say)\b:?)\s*(.*)$")
        .expect("expected pattern")
});
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:step\s+)?(\d{1,2})[.):]\s+(.+)$").expect("numbered pattern"));
static ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$").expect("assignment pattern"));

/// Reads a shell block whose first line is `first_line` of the document.
pub(crate) fn read(text: &str, first_line: usize) -> Script {
    let mut units: Vec<Unit> = Vec::new();
    let mut notes = Vec::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    // The expectation whose body lines follow (an "Expected:" with nothing after the colon).
    let mut open_expectation = false;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut offsets = Vec::with_capacity(lines.len());
    let mut at = 0;
    for l in &lines {
        offsets.push(at);
        at += l.len();
    }
    let mut span: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i].trim_end_matches(['\n', '\r']);
        let line_no = first_line + i;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            open_expectation = false;
            flush_comments(&mut pending, &mut units, &mut notes);
            i += 1;
            continue;
        }
        if trimmed.starts_with('#') && !trimmed.starts_with("#!") {
            let content = trimmed.trim_start_matches('#').trim().to_string();
            let last_has_command = units.last().is_some_and(|u| u.command.is_some());
            if let Some(c) = EXPECTED.captures(&content).filter(|_| last_has_command && pending.is_empty()) {
                let rest = c[2].trim().to_string();
                open_expectation = rest.is_empty();
                let key = c[1].to_string();
                if let Some(last) = units.last_mut() {
                    last.expect.push(Expected { line: line_no, lines: vec![content.clone()], literal: None });
                    let _ = key;
                }
            } else if open_expectation {
                if let Some(e) = units.last_mut().and_then(|u| u.expect.last_mut()) {
                    e.lines.push(content);
                }
            } else {
                pending.push((line_no, content));
            }
            i += 1;
            continue;
        }
        // A command: this line and every line it continues onto.
        open_expectation = false;
        let start = i;
        let mut state = Continuation::default();
        while i < lines.len() {
            let more = state.scan(lines[i].trim_end_matches(['\n', '\r']));
            i += 1;
            if !more {
                break;
            }
        }
        let end = offsets[i - 1] + lines[i - 1].trim_end_matches(['\n', '\r']).len();
        let command = text[offsets[start]..end].to_string();
        span = Some((span.map_or(offsets[start], |(from, _)| from), end));
        let (title, doc) = title_and_doc(std::mem::take(&mut pending));
        units.push(Unit { line: first_line + start, title, doc, command: Some(command), expect: Vec::new() });
    }
    flush_comments(&mut pending, &mut units, &mut notes);
    for unit in &mut units {
        for e in &mut unit.expect {
            e.literal = literal(&e.lines);
        }
    }
    let commands: Vec<&str> = units.iter().filter_map(|u| u.command.as_deref()).collect();
    let settings_only = !commands.is_empty() && commands.iter().all(|c| ASSIGNMENT.is_match(c.trim()));
    let one_procedure = !settings_only
        && commands.len() > 1
        && commands.iter().any(|c| {
            let c = c.trim();
            let first = c.split_whitespace().next().unwrap_or("");
            matches!(first, "cd" | "pushd" | "export" | "source" | "." | "set" | "alias")
                || ASSIGNMENT.is_match(c)
                || (first == "ssh" && c.split_whitespace().filter(|w| !w.starts_with('-')).count() == 2)
        });
    let procedure = span.map_or(String::new(), |(from, to)| text[from..to].to_string());
    Script { units, notes, one_procedure, settings_only, procedure }
}

/// Comments not followed by a command: a numbered one is something to do by hand; others
/// belong to the command before them, or to the block.
fn flush_comments(pending: &mut Vec<(usize, String)>, units: &mut Vec<Unit>, notes: &mut Vec<String>) {
    if pending.is_empty() {
        return;
    }
    let taken = std::mem::take(pending);
    if NUMBERED.is_match(&taken[0].1) {
        let line = taken[0].0;
        let (title, doc) = title_and_doc(taken);
        units.push(Unit { line, title, doc, command: None, expect: Vec::new() });
        return;
    }
    let texts = taken.into_iter().map(|(_, t)| t);
    match units.last_mut() {
        Some(last) => last.doc.extend(texts),
        None => notes.extend(texts),
    }
}

fn title_and_doc(pending: Vec<(usize, String)>) -> (Option<String>, Vec<String>) {
    let mut texts = pending.into_iter().map(|(_, t)| t).filter(|t| !t.is_empty());
    let title = texts.next().map(|t| match NUMBERED.captures(&t) {
        Some(c) => clean_title(&c[2]),
        None => clean_title(&t),
    });
    (title.filter(|t| !t.is_empty()), texts.collect())
}

/// Whether a command goes on past the end of a line: a trailing `\`, `|`, `&&` or `||`, an
/// open quote, or a here-document not yet ended.
#[derive(Default)]
struct Continuation {
    quote: Option<char>,
    heredoc: Option<(String, bool)>,
}

impl Continuation {
    fn scan(&mut self, line: &str) -> bool {
        if let Some((word, dash)) = &self.heredoc {
            let candidate = if *dash { line.trim_start_matches('\t') } else { line };
            if candidate == word {
                self.heredoc = None;
                return false;
            }
            return true;
        }
        let mut chars = line.char_indices().peekable();
        let mut prev_space = true;
        while let Some((i, c)) = chars.next() {
            match (self.quote, c) {
                (Some('\''), '\'') => self.quote = None,
                (Some('"'), '"') => self.quote = None,
                (Some('"'), '\\') => {
                    chars.next();
                }
                (Some(_), _) => {}
                (None, '\\') => {
                    if chars.peek().is_none() {
                        return true;
                    }
                    chars.next();
                }
                (None, '\'' | '"') => self.quote = Some(c),
                (None, '#') if prev_space => break,
                (None, '<') if line[i..].starts_with("<<") && !line[i..].starts_with("<<<") => {
                    let rest = line[i + 2..].trim_start();
                    let dash = rest.starts_with('-');
                    let word: String = rest
                        .trim_start_matches('-')
                        .trim_start()
                        .trim_start_matches(['\'', '"'])
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !word.is_empty() {
                        self.heredoc = Some((word, dash));
                    }
                    chars.next();
                }
                _ => {}
            }
            prev_space = c.is_whitespace();
        }
        if self.quote.is_some() || self.heredoc.is_some() {
            return true;
        }
        let code = line.split(" #").next().unwrap_or(line).trim_end();
        code.ends_with('|') || code.ends_with("&&") || code.ends_with("||")
    }
}

/// The output an expectation names, when it reads as literal text: one line, no placeholder,
/// no comparison, no ellipsis. Quoted text is taken as it is quoted.
pub(crate) fn literal(lines: &[String]) -> Option<String> {
    let head = EXPECTED.captures(lines.first()?)?;
    let key = head[1].to_ascii_lowercase();
    let rest = head[2].trim().to_string();
    let candidate = match (rest.is_empty(), lines.len()) {
        (false, 1) => rest,
        (true, 2) => lines[1].trim().to_string(),
        _ => return None,
    };
    static QUOTED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"^[^"“”]*["“]([^"“”]+)["”][^"“”]*$"#).expect("quoted"));
    if let Some(c) = QUOTED.captures(&candidate) {
        return Some(c[1].to_string());
    }
    if key.contains("return") {
        return None;
    }
    let text = clean_title(&candidate);
    let comparison = ['<', '>', '~', '≈', '≤', '≥', '-', '='];
    let placeholder = text.starts_with(comparison)
        || candidate.trim_start().starts_with(comparison)
        || ["...", "…", "[", "e.g", "etc", " or "].iter().any(|p| text.to_ascii_lowercase().contains(p))
        || candidate.trim_end().ends_with(':')
        || text.len() > 100
        || !text.chars().any(|c| c.is_ascii_alphanumeric());
    (!placeholder).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_commands_with_expectations() {
        let block = "# 1. Automated validation\nnode scripts/batch2-preflight-check.js\n# Expected: ðŸŸ¢ GO DECISION\n\n# 2. Create backup\nnode scripts/backup-database.js --output=b.sql\n# Expected: Backup created successfully\n\n# 7. Integration tests\nnode t.js\n# Expected: 20/20 tests passed (100%)\n";
        let s = read(block, 10);
        assert!(!s.one_procedure);
        assert_eq!(s.units.len(), 3);
        assert_eq!(s.units[0].title.as_deref(), Some("Automated validation"));
        assert_eq!(s.units[0].line, 11);
        assert_eq!(s.units[0].command.as_deref(), Some("node scripts/batch2-preflight-check.js"));
        assert_eq!(s.units[0].expect[0].literal.as_deref(), Some("GO DECISION"));
        assert_eq!(s.units[1].expect[0].literal.as_deref(), Some("Backup created successfully"));
        assert_eq!(s.units[2].expect[0].literal.as_deref(), Some("20/20 tests passed (100%)"));
    }

    #[test]
    fn expectations_that_are_not_literal_stay_words() {
        let block = "npm test -- --no-coverage\n\n# Expected output:\n# PASS a\n# Tests: 106 passed\n";
        let s = read(block, 1);
        assert_eq!(s.units.len(), 1);
        assert_eq!(s.units[0].expect[0].lines.len(), 3);
        assert_eq!(s.units[0].expect[0].literal, None);
        let s = read("git status\n\n# Should show: \"working tree clean\"\n\n# Review\ngit log -10\n", 1);
        assert_eq!(s.units[0].expect[0].literal.as_deref(), Some("working tree clean"));
        assert_eq!(s.units[1].title.as_deref(), Some("Review"));
        let s = read("time curl x\n\n# Expected: < 500ms\n", 1);
        assert_eq!(s.units[0].expect[0].literal, None);
        let s = read("curl h\n# Expected response:\n# {\"status\":\"ok\"}\n", 1);
        assert_eq!(s.units[0].expect[0].literal.as_deref(), Some("{\"status\":\"ok\"}"));
        let s = read(
            "npm audit\n\n# Expected: 0 high/critical vulnerabilities\n# If any found, run: npm audit fix\n",
            1,
        );
        assert_eq!(s.units[0].expect[0].literal.as_deref(), Some("0 high/critical vulnerabilities"));
        assert_eq!(s.units[0].doc, vec!["If any found, run: npm audit fix".to_string()]);
    }

    #[test]
    fn multi_line_commands_stay_whole() {
        let block = "git commit -m \"first\n\nsecond\"\n\nkubectl apply \\\n  -f x.yaml\ncat <<EOF > f\na\nEOF\nps aux |\n  grep x\n";
        let s = read(block, 1);
        let commands: Vec<_> = s.units.iter().filter_map(|u| u.command.clone()).collect();
        assert_eq!(
            commands,
            [
                "git commit -m \"first\n\nsecond\"",
                "kubectl apply \\\n  -f x.yaml",
                "cat <<EOF > f\na\nEOF",
                "ps aux |\n  grep x"
            ]
        );
    }

    #[test]
    fn procedures_settings_and_numbered_comments() {
        let s = read("# Navigate\ncd /srv/app\n\nnpm test\n", 1);
        assert!(s.one_procedure);
        assert_eq!(s.procedure, "cd /srv/app\n\nnpm test");
        let s = read("DATABASE_URL=postgres://x\nNODE_ENV=production\n", 1);
        assert!(s.settings_only);
        let s =
            read("git push\n\n# 4. Wait for the deploy\n# Monitor: dashboard\n\n# 5. Verify\ncurl h\n", 1);
        assert_eq!(s.units.len(), 3);
        assert_eq!(s.units[1].command, None);
        assert_eq!(s.units[1].title.as_deref(), Some("Wait for the deploy"));
        assert_eq!(s.units[1].doc, ["Monitor: dashboard"]);
    }
}
