//! Command output made safe to show: text and (optionally) colour pass, everything that could
//! move the cursor, clear the screen, retitle the window or write the clipboard does not, and
//! characters that are invisible or reorder the text around them are shown by their code point.

use std::borrow::Cow;
use std::fmt::Write;

use vte::{Params, Parser, Perform};

/// One line of output as printable text. With `keep_colour`, SGR colour sequences survive,
/// re-encoded from their parsed parameters so nothing else can ride along with them.
pub fn clean_line(bytes: &[u8], keep_colour: bool) -> String {
    if is_plain(bytes) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut out = Cleaner { text: String::with_capacity(bytes.len()), keep_colour, coloured: false };
    Parser::new().advance(&mut out, bytes);
    if out.coloured {
        out.text.push_str("\x1b[0m");
    }
    out.text
}

/// A field a person typed (a note, a reason, a name, a runbook's title), as it is shown on one
/// line: newlines and the escape character spelled `\n`, `\r`, `\e`, other controls `^G`, and
/// what `push_visible` hides by its code point. Nobody's text can then move the cursor, retitle
/// a window, write the clipboard or start a line of its own that reads like tminus's.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if is_plain(text.as_bytes()) || !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\0'..='\u{1f}' | '\u{7f}' => {
                out.push('^');
                out.push(char::from(c as u8 ^ 0x40));
            }
            _ => push_visible(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// Printable ASCII and tabs only: nothing to parse, hide or escape. Most output is, and a flood
/// of it should not pay for a terminal parser.
pub fn is_plain(bytes: &[u8]) -> bool {
    printable_or(bytes, b'\t', b'\t')
}

/// `is_plain` for a run of whole lines: newlines may be in it too.
pub fn is_plain_lines(bytes: &[u8]) -> bool {
    printable_or(bytes, b'\t', b'\n')
}

/// Printable ASCII, `a` or `b`, checked a block at a time with no branch per byte, so the
/// compiler checks many bytes at once.
fn printable_or(bytes: &[u8], a: u8, b: u8) -> bool {
    bytes.chunks(512).all(|block| {
        block.iter().fold(true, |ok, &x| ok & ((x.wrapping_sub(0x20) < 0x5f) | (x == a) | (x == b)))
    })
}

/// Pushes `c`, or `<U+XXXX>` for a character that would hide or reorder text: a bidi override
/// can make `rm -rf /tmp/x` read as something else, and a zero-width or tag character can smuggle
/// words past a reader who sees nothing there.
pub fn push_visible(out: &mut String, c: char) {
    if is_hidden(c) {
        let _ = write!(out, "<U+{:04X}>", u32::from(c));
    } else {
        out.push(c);
    }
}

/// Control characters and the format characters (Unicode category Cf) that change how text
/// reads without showing themselves.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}'                      // soft hyphen
        | '\u{61c}'                     // Arabic letter mark
        | '\u{180e}'                    // Mongolian vowel separator
        | '\u{200b}'..='\u{200f}'      // zero-width space, joiners, LRM, RLM
        | '\u{2028}' | '\u{2029}'      // line and paragraph separators
        | '\u{202a}'..='\u{202e}'      // bidi embeddings and overrides
        | '\u{2060}'..='\u{206f}'      // word joiner, invisible operators, bidi isolates
        | '\u{feff}'                    // zero-width no-break space (BOM)
        | '\u{fff9}'..='\u{fffb}'      // interlinear annotations
        | '\u{1d173}'..='\u{1d17a}'    // musical format controls
        | '\u{e0000}'..='\u{e007f}'    // tags
    )
}

struct Cleaner {
    text: String,
    keep_colour: bool,
    coloured: bool,
}

impl Perform for Cleaner {
    fn print(&mut self, c: char) {
        push_visible(&mut self.text, c);
    }

    fn execute(&mut self, byte: u8) {
        if byte == b'\t' {
            self.text.push('\t');
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        if !self.keep_colour || action != 'm' || ignore || !intermediates.is_empty() {
            return;
        }
        let codes: Vec<String> =
            params.iter().map(|sub| sub.iter().map(u16::to_string).collect::<Vec<_>>().join(":")).collect();
        self.text.push_str("\x1b[");
        self.text.push_str(&codes.join(";"));
        self.text.push('m');
        self.coloured = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_sequences_are_dropped() {
        let line = b"a\x1b[2J\x1b[Hb\x1b]52;c;ZXZpbA==\x07c\x1b]0;title\x1b\\d\x00e\x08f\rg";
        assert_eq!(clean_line(line, true), "abcdefg");
        assert_eq!(clean_line(line, false), "abcdefg");
    }

    #[test]
    fn colour_survives_only_when_asked() {
        let line = b"\x1b[1;31mFAIL\x1b[0m ok";
        assert_eq!(clean_line(line, false), "FAIL ok");
        assert_eq!(clean_line(line, true), "\x1b[1;31mFAIL\x1b[0m ok\x1b[0m");
    }

    #[test]
    fn bidi_and_invisible_characters_are_shown_by_code_point() {
        let line = "if admin\u{202E} \u{2066}// check\u{2069}\u{200B}x\u{FEFF}\u{061C}\u{2028}\u{E0041}é";
        assert_eq!(
            clean_line(line.as_bytes(), false),
            "if admin<U+202E> <U+2066>// check<U+2069><U+200B>x<U+FEFF><U+061C><U+2028><U+E0041>é"
        );
        assert_eq!(clean_line("\u{202D}x\u{202C}".as_bytes(), true), "<U+202D>x<U+202C>");
        // A C1 control written as UTF-8 is a control all the same, never passed on.
        assert_eq!(clean_line("a\u{9b}2Jb\u{85}".as_bytes(), false), "a2Jb");
    }

    #[test]
    fn a_typed_field_shows_its_controls_on_one_line() {
        let typed = "Naledi\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x1b[?25l\n09:00:00  ✔ Naledi answered GO for go\r\u{202E}";
        assert_eq!(
            one_line(typed),
            "Naledi\\e]0;owned^G\\e]52;c;ZXZpbA==^G\\e[?25l\\n09:00:00  ✔ Naledi answered GO for go\\r<U+202E>"
        );
        assert!(matches!(one_line("plain, and\ttabbed — é"), Cow::Borrowed(_)));
        assert_eq!(one_line("\0\x7f\u{9b}"), "^@^?<U+009B>");
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(clean_line(b"ok \xff\xfe done", false), "ok \u{fffd}\u{fffd} done");
    }
}
