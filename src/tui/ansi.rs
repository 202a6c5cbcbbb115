//! A line of command output as styled spans: SGR colours become ratatui styles; every other
//! escape sequence (cursor moves, clears, titles, clipboard writes) is dropped.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use vte::{Params, Parser, Perform};

use crate::sanitize::push_visible;

pub fn styled_line(text: &str, colour: bool) -> Line<'static> {
    let mut out = Spans { spans: Vec::new(), current: String::new(), style: Style::default(), colour };
    Parser::new().advance(&mut out, text.as_bytes());
    out.flush();
    Line::from(out.spans)
}

struct Spans {
    spans: Vec<Span<'static>>,
    current: String,
    style: Style,
    colour: bool,
}

impl Spans {
    fn flush(&mut self) {
        if !self.current.is_empty() {
            self.spans.push(Span::styled(std::mem::take(&mut self.current), self.style));
        }
    }

    fn apply(&mut self, params: &Params) {
        let codes: Vec<u16> = params.iter().flat_map(|p| p.iter().copied()).collect();
        let mut i = 0;
        if codes.is_empty() {
            self.style = Style::default();
        }
        while i < codes.len() {
            let code = codes[i];
            match code {
                0 => self.style = Style::default(),
                1 => self.style = self.style.add_modifier(Modifier::BOLD),
                2 => self.style = self.style.add_modifier(Modifier::DIM),
                3 => self.style = self.style.add_modifier(Modifier::ITALIC),
                4 => self.style = self.style.add_modifier(Modifier::UNDERLINED),
                7 => self.style = self.style.add_modifier(Modifier::REVERSED),
                22 => self.style = self.style.remove_modifier(Modifier::BOLD | Modifier::DIM),
                23 => self.style = self.style.remove_modifier(Modifier::ITALIC),
                24 => self.style = self.style.remove_modifier(Modifier::UNDERLINED),
                27 => self.style = self.style.remove_modifier(Modifier::REVERSED),
                30..=37 if self.colour => self.style = self.style.fg(Color::Indexed((code - 30) as u8)),
                90..=97 if self.colour => self.style = self.style.fg(Color::Indexed((code - 90 + 8) as u8)),
                40..=47 if self.colour => self.style = self.style.bg(Color::Indexed((code - 40) as u8)),
                100..=107 if self.colour => {
                    self.style = self.style.bg(Color::Indexed((code - 100 + 8) as u8))
                }
                39 => self.style = self.style.fg(Color::Reset),
                49 => self.style = self.style.bg(Color::Reset),
                38 | 48 => {
                    // 38;5;N or 38;2;R;G;B (and the same for backgrounds).
                    let color = match codes.get(i + 1) {
                        Some(5) => codes.get(i + 2).map(|n| {
                            i += 2;
                            Color::Indexed(*n as u8)
                        }),
                        Some(2) if i + 4 < codes.len() => {
                            let c = Color::Rgb(codes[i + 2] as u8, codes[i + 3] as u8, codes[i + 4] as u8);
                            i += 4;
                            Some(c)
                        }
                        _ => None,
                    };
                    if let (Some(color), true) = (color, self.colour) {
                        self.style = if code == 38 { self.style.fg(color) } else { self.style.bg(color) };
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl Perform for Spans {
    fn print(&mut self, c: char) {
        push_visible(&mut self.current, c);
    }

    fn execute(&mut self, byte: u8) {
        if byte == b'\t' {
            self.current.push_str("    ");
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        if action == 'm' && intermediates.is_empty() && !ignore {
            self.flush();
            self.apply(params);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_become_styles_and_the_rest_is_dropped() {
        let line = styled_line("ok \x1b[1;31mFAIL\x1b[0m\x1b[2J\x1b]52;c;eA==\x07 done", true);
        assert_eq!(line.spans.len(), 3);
        assert_eq!(line.spans[0].content, "ok ");
        assert_eq!(line.spans[1].content, "FAIL");
        assert_eq!(line.spans[1].style, Style::default().fg(Color::Indexed(1)).add_modifier(Modifier::BOLD));
        assert_eq!(line.spans[2].content, " done");
    }

    #[test]
    fn a_bidi_override_is_shown_not_obeyed() {
        let line = styled_line("\x1b[32mok\u{202E}txt.exe\u{2069}", true);
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "ok<U+202E>txt.exe<U+2069>");
    }

    #[test]
    fn no_colour_keeps_the_text() {
        let line = styled_line("\x1b[38;2;255;0;0mred\x1b[m", false);
        assert_eq!(line.spans[0].content, "red");
        assert_eq!(line.spans[0].style.fg, None);
    }
}
