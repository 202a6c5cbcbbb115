//! Headless lines: one per event, and every line of a step's output prefixed with the step's id.
//!
//! The journal cuts a line that alone outgrows a batch (or waits too long) into several batches;
//! the printer puts it back together, so a 10 MB line comes out as one line, not 150.

use std::io::Write;

use chrono::Local;

use crate::journal::{Event, EventKind, RunState, Stream, describe};
use crate::sanitize::{clean_line, is_plain_lines, one_line};

/// A step's stream, as output batches name it.
type Source = (String, Stream);

/// Marks a line that goes on from one something else had to end.
const GOES_ON: &str = "… ";

pub(super) struct Printer<W: Write> {
    /// Buffered, and flushed after each event: a flood is a few large writes, not a write per
    /// line of a line-buffered stdout.
    out: std::io::BufWriter<W>,
    colour: bool,
    /// The stream whose line was printed last and has not ended: its next batch goes on it.
    open: Option<Source>,
    /// The start of a character the last batch of `open` cut in two, for its next batch.
    carry: Vec<u8>,
    /// Streams whose line was left unfinished because something else had to be printed.
    broken: Vec<Source>,
}

impl<W: Write> Printer<W> {
    pub(super) fn new(out: W, colour: bool) -> Self {
        let out = std::io::BufWriter::with_capacity(64 * 1024, out);
        Printer { out, colour, open: None, carry: Vec::new(), broken: Vec::new() }
    }

    pub(super) fn event(&mut self, event: &Event, state: &RunState) {
        // A reader that went away (a closed pipe) must not stop the run: the journal has it all.
        let _ = match &event.kind {
            EventKind::Output { stream, .. } => {
                self.output((event.step.clone().unwrap_or_default(), *stream), &event.data)
            }
            kind if kind.is_bookkeeping() => return,
            _ => {
                let time = event.at.with_timezone(&Local).format("%H:%M:%S");
                self.line(&format!("{time}  {}", describe(event, state)))
            }
        };
        let _ = self.out.flush();
    }

    /// A line of tminus's own, stamped with the time.
    pub(super) fn say(&mut self, text: &str) {
        let _ = self.line(&format!("{}  {text}", Local::now().format("%H:%M:%S")));
        let _ = self.out.flush();
    }

    /// Every line of tminus's own leaves here: what it quotes of a person (an answer typed on
    /// stdin, a reason) stays on its line, its controls shown.
    fn line(&mut self, text: &str) -> std::io::Result<()> {
        self.end_open_line()?;
        writeln!(self.out, "{}", one_line(text))
    }

    fn end_open_line(&mut self) -> std::io::Result<()> {
        if let Some(source) = self.open.take() {
            let carry = std::mem::take(&mut self.carry);
            writeln!(self.out, "{}", clean_line(&carry, self.colour))?;
            self.broken.push(source);
        }
        Ok(())
    }

    fn output(&mut self, source: Source, data: &[u8]) -> std::io::Result<()> {
        let joined;
        let mut data = data;
        let continuing = self.open.as_ref() == Some(&source);
        if continuing {
            joined = [std::mem::take(&mut self.carry).as_slice(), data].concat();
            data = &joined;
        } else {
            self.end_open_line()?;
        }
        let mut marker = "";
        if let Some(i) = self.broken.iter().position(|b| *b == source) {
            self.broken.swap_remove(i);
            marker = GOES_ON;
        }
        let (whole, cut) = data.split_at(data.len() - cut_char_len(data));
        let text = whole.strip_suffix(b"\n");
        let prefix = format!("[{}] ", source.0);
        // Most floods are plain text: checked once for the whole batch, not line by line.
        let plain = is_plain_lines(whole);
        for (i, line) in text.unwrap_or(whole).split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            if i > 0 || !continuing {
                self.out.write_all(prefix.as_bytes())?;
                self.out.write_all(marker.as_bytes())?;
                marker = "";
            }
            if plain {
                self.out.write_all(line)?;
            } else {
                self.out.write_all(clean_line(line, self.colour).as_bytes())?;
            }
        }
        if text.is_some() {
            writeln!(self.out)?;
            self.open = None;
        } else {
            self.open = Some(source);
            self.carry = cut.to_vec();
        }
        Ok(())
    }
}

/// How many bytes at the end of `data` are the start of a UTF-8 character that the rest of it
/// is still to come.
fn cut_char_len(data: &[u8]) -> usize {
    for back in 1..=data.len().min(3) {
        let byte = data[data.len() - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue;
        }
        let needs = match byte {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if needs > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(seq: i64, step: &str, stream: Stream, data: &[u8]) -> Event {
        Event {
            run_id: "r".into(),
            seq,
            at: chrono::Utc::now(),
            step: Some(step.into()),
            kind: EventKind::Output { stream, lines: 0 },
            data: data.to_vec(),
        }
    }

    fn printed(events: &[Event]) -> String {
        let mut printer = Printer::new(Vec::new(), false);
        let state = RunState::default();
        for event in events {
            printer.event(event, &state);
        }
        printer.say("done");
        let text = String::from_utf8(printer.out.into_inner().unwrap()).unwrap();
        text.lines().filter(|l| !l.ends_with("  done")).map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn lines_cut_into_batches_are_printed_whole() {
        let out = Stream::Stdout;
        type Batches<'a> = &'a [(Stream, &'a [u8])];
        let cases: &[(&str, Batches, &str)] = &[
            (
                "a line over three batches",
                &[(out, b"first\nsecond hal"), (out, b"f of it"), (out, b", all\nthird\n")],
                "[a] first\n[a] second half of it, all\n[a] third\n",
            ),
            ("a character cut in two", &[(out, b"n\xc3"), (out, b"\xa9e")], "[a] n\u{e9}e\n"),
            (
                "a line interrupted by the other stream",
                &[(out, b"long"), (Stream::Stderr, b"warning\n"), (out, b"er line\nnext\n")],
                "[a] long\n[a] warning\n[a] … er line\n[a] next\n",
            ),
        ];
        for (what, batches, expected) in cases {
            let events: Vec<Event> = batches
                .iter()
                .enumerate()
                .map(|(i, (stream, data))| output(i as i64, "a", *stream, data))
                .collect();
            assert_eq!(printed(&events), *expected, "{what}");
        }
        assert_eq!(cut_char_len("€".as_bytes()), 0);
        assert_eq!(cut_char_len(&"€".as_bytes()[..2]), 2);
        assert_eq!(cut_char_len(&"x😀".as_bytes()[..4]), 3);
        assert_eq!(cut_char_len(b"\xff"), 0);
    }

    #[test]
    fn what_people_typed_reaches_the_terminal_escaped_on_its_own_line() {
        use crate::journal::{Decision, PlannedStep, RunInfo, StepType};
        let gate = PlannedStep::plain("go", "GO \x1b]0;pwned\x07for the day", StepType::Gate, "GO?");
        let info = RunInfo {
            operator: "ops\n12:00:00  ■ run r succeeded".into(),
            ..RunInfo::of_steps(vec![gate])
        };
        let name = "Naledi\x1b]52;c;ZXZpbA==\x07\x1b[?25l";
        let kinds = [
            EventKind::RunStarted(Box::new(info)),
            EventKind::Note {
                who: name.into(),
                login: Some("naledi".into()),
                text: "ok\n✔ Naledi answered GO for go".into(),
            },
            EventKind::Decided {
                who: name.into(),
                login: None,
                decision: Decision::NoGo,
                reason: Some("no\r\x1b[2Kgo".into()),
                auto: false,
            },
            EventKind::StepStarted { attempt: 1, role: crate::journal::Role::Main, command: None },
        ];
        let mut printer = Printer::new(Vec::new(), true);
        let mut state = RunState::default();
        for (seq, kind) in kinds.into_iter().enumerate() {
            let event =
                Event { kind, step: Some("go".into()), ..output(seq as i64 + 1, "go", Stream::Stdout, b"") };
            state.apply(&event);
            printer.event(&event, &state);
        }
        printer.say("`y\x1b[8m` is not an answer");
        let text = String::from_utf8(printer.out.into_inner().unwrap()).unwrap();
        assert!(!text.contains(['\x1b', '\x07', '\r']), "{text:?}");
        let lines: Vec<&str> = text.lines().map(|l| l.split_once("  ").unwrap().1).collect();
        assert_eq!(
            lines,
            [
                "tminus · demo · LIVE · run r · operator ops\\n12:00:00  ■ run r succeeded on h",
                "✎ note from Naledi\\e]52;c;ZXZpbA==^G\\e[?25l (naledi): ok\\n✔ Naledi answered GO for go",
                "✔ Naledi\\e]52;c;ZXZpbA==^G\\e[?25l answered NO-GO for go: no\\r\\e[2Kgo",
                "▶ go \"GO \\e]0;pwned^Gfor the day\"",
                "`y\\e[8m` is not an answer",
            ]
        );
    }

    #[test]
    fn a_line_left_open_is_ended_before_anything_else_is_said() {
        let mut printer = Printer::new(Vec::new(), false);
        printer.event(&output(1, "a", Stream::Stdout, b"no newline"), &RunState::default());
        printer.say("end of input: stopping safely");
        let text = String::from_utf8(printer.out.into_inner().unwrap()).unwrap();
        assert!(text.starts_with("[a] no newline\n"), "{text}");
        assert!(text.ends_with("  end of input: stopping safely\n"), "{text}");
    }
}
