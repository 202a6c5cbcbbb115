//! Command output made safe to show: text and (optionally) colour pass, everything that could
//! move the cursor, clear the screen, retitle the window or write the clipboard does not.

use vte::{Params, Parser, Perform};

/// One line of output as printable text. With `keep_colour`, SGR colour sequences survive,
/// re-encoded from their parsed parameters so nothing else can ride along with them.
pub fn clean_line(bytes: &[u8], keep_colour: bool) -> String {
    let mut out = Cleaner { text: String::with_capacity(bytes.len()), keep_colour, coloured: false };
    Parser::new().advance(&mut out, bytes);
    if out.coloured {
        out.text.push_str("\x1b[0m");
    }
    out.text
}

struct Cleaner {
    text: String,
    keep_colour: bool,
    coloured: bool,
}

impl Perform for Cleaner {
    fn print(&mut self, c: char) {
        self.text.push(c);
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
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(clean_line(b"ok \xff\xfe done", false), "ok \u{fffd}\u{fffd} done");
    }
}
