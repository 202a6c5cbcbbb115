//! Secret values replaced by `****` before anything is stored or shown, however a step writes
//! one out: as it is or split across lines, JSON-escaped, URL-encoded, in hex or in base64.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::fmt::Write;

use memchr::memmem::Finder;
use regex::bytes::{NoExpand, Regex, RegexBuilder};

pub const MASK: &str = "****";

/// What tools put between the characters of a form: line breaks (base64 and `xxd -p` wrap, a
/// secret echoed in two pieces), od's space before each byte.
const SEPARATORS: &str = r"[\t\n\r ]*";
/// Separators are allowed in a form only from this many characters on: in a shorter one, a few
/// characters with spaces between them turn up in ordinary output by chance.
const TOLERANT_FROM: usize = 8;
/// Bytes of separators counted between two characters of a form when bounding what is held
/// back: room for CRLF and an indent, or od's "\n ".
const SEPARATOR_BYTES: usize = 4;
/// A tail holding this many characters of a form is held back without looking further: few
/// enough that the search stays small for a long secret, enough that ordinary output never
/// holds them by chance.
const HEAD: usize = 16;
/// A byte no form holds (never in UTF-8, which secrets are, nor in their ASCII encodings), so
/// it can stand for any byte of a form still to come.
const OPEN: u8 = 0xff;
/// Secrets are matched every way they may be written out, shortest first, up to this many
/// bytes of them in all: compiling those ways for 4 KiB takes about 0.3 s. Longer ones are
/// found only spelled out whole, as they are or in plain hex or base64.
const COMPILED_BYTES: usize = 4 << 10;
/// Room for the forms of `COMPILED_BYTES` of secrets (about 3 MiB for 4 KiB), and more.
const REGEX_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Every way of writing out the secrets within `COMPILED_BYTES`; none without any.
    forms: Option<Forms>,
    /// The longer secrets, each of their forms spelled out whole, longest first.
    spelled: Vec<Finder<'static>>,
}

#[derive(Debug, Clone)]
struct Forms {
    /// Every form, longest first, so a secret that contains another (or the padded encoding
    /// that contains the unpadded one) is masked whole.
    whole: Regex,
    /// Where a form may be starting, anchored at the end of a tail followed by `OPEN`s: the
    /// first `HEAD` characters of a form (the rest may follow), or fewer of them running into
    /// the `OPEN`s, which stand for the bytes still to come.
    started: Regex,
    /// The most bytes a form takes written out, with `SEPARATOR_BYTES` between characters:
    /// how far back a form in the making can start.
    longest: usize,
    /// The most bytes a form's head takes without separators: `OPEN`s enough to complete one.
    head: usize,
}

impl Redactor {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        values.sort_by_key(String::len);
        let (mut compiled, mut spelled) = (Vec::new(), Vec::new());
        let mut budget = COMPILED_BYTES;
        for value in &values {
            let fits = value.len() <= budget;
            budget -= if fits { value.len() } else { 0 };
            let into: &mut Vec<Text> = if fits { &mut compiled } else { &mut spelled };
            for text in Text::all(value) {
                if !into.contains(&text) {
                    into.push(text);
                }
            }
        }
        let forms: Vec<Form> = compiled.iter().map(Text::form).collect();
        match Forms::new(forms) {
            Ok(forms) => Redactor { forms, spelled: spellings(&spelled) },
            // Not with the error, which may quote the pattern: the secrets in hex.
            Err(_) => {
                tracing::warn!("secrets too many to compile are masked only when spelled out whole");
                spelled.extend(compiled);
                Redactor { forms: None, spelled: spellings(&spelled) }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_none() && self.spelled.is_empty()
    }

    /// How many bytes at the end of `bytes` could be the start of a form (separators included)
    /// that bytes still to come complete: a stream cut before them can never split a secret
    /// between two pieces.
    pub fn holdback(&self, bytes: &[u8]) -> usize {
        let forms = self.forms.as_ref().map_or(0, |forms| {
            let tail = &bytes[bytes.len().saturating_sub(forms.longest)..];
            let mut open = Vec::with_capacity(tail.len() + forms.head);
            open.extend_from_slice(tail);
            open.resize(tail.len() + forms.head, OPEN);
            forms.started.find(&open).map_or(0, |started| tail.len().saturating_sub(started.start()))
        });
        let spelled = self.spelled.iter().filter_map(|finder| {
            let (&first, rest) = finder.needle().split_first()?;
            let tail = &bytes[bytes.len().saturating_sub(rest.len())..];
            memchr::memchr_iter(first, tail)
                .find(|&at| finder.needle().starts_with(&tail[at..]))
                .map(|at| tail.len() - at)
        });
        spelled.fold(forms, usize::max)
    }

    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // A match starts and ends where characters do (a secret is text, its encodings
            // ASCII), so the text stays UTF-8; lossy only rather than a panic.
            Cow::Owned(masked) => Cow::Owned(
                String::from_utf8(masked)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    pub fn bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        // The longer secrets first: a shorter one masked inside one would leave the rest of it.
        let mut out = Cow::Borrowed(bytes);
        for finder in &self.spelled {
            if finder.find(&out).is_none() {
                continue;
            }
            let mut replaced = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(i) = finder.find(rest) {
                replaced.extend_from_slice(&rest[..i]);
                replaced.extend_from_slice(MASK.as_bytes());
                rest = &rest[i + finder.needle().len()..];
            }
            replaced.extend_from_slice(rest);
            out = Cow::Owned(replaced);
        }
        if let Some(Cow::Owned(masked)) =
            self.forms.as_ref().map(|f| f.whole.replace_all(&out, NoExpand(MASK.as_bytes())))
        {
            return Cow::Owned(masked);
        }
        out
    }
}

impl Forms {
    fn new(mut forms: Vec<Form>) -> Result<Option<Forms>, regex::Error> {
        if forms.is_empty() {
            return Ok(None);
        }
        forms.sort_by_key(|form| Reverse(form.required));
        let heads: Vec<Form> = forms.iter().map(Form::head).collect();
        let alternatives =
            |forms: &[Form], open: bool| forms.iter().map(|f| f.pattern(open)).collect::<Vec<_>>().join("|");
        let started = format!(r"{}|(?:{})\xff*\z", alternatives(&heads, false), alternatives(&heads, true));
        let compile =
            |pattern: &str| RegexBuilder::new(pattern).unicode(false).size_limit(REGEX_BYTES).build();
        Ok(Some(Forms {
            whole: compile(&alternatives(&forms, false))?,
            started: compile(&started)?,
            longest: forms.iter().map(|form| form.bytes(SEPARATOR_BYTES)).max().unwrap_or(0),
            head: heads.iter().map(|head| head.bytes(0)).max().unwrap_or(0),
        }))
    }
}

/// A secret spelled out one way, before each character's variants are allowed for; after
/// `required` characters the rest may be left out (a base64 text's last character and padding,
/// when it is part of a longer one).
#[derive(Debug, PartialEq)]
struct Text {
    encoding: Encoding,
    text: Vec<u8>,
    required: usize,
}

#[derive(Debug, PartialEq)]
enum Encoding {
    /// As it is, each byte also percent-encoded or JSON-escaped.
    Written,
    Hex,
    Base64,
}

impl Text {
    /// Every way a secret is likely to be written out: as it is, in hex, in base64 alone or
    /// inside a longer encoded text (an `Authorization: Basic` header, a config blob).
    fn all(secret: &str) -> Vec<Text> {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

        let bytes = secret.as_bytes();
        // A short encoding turns up in ordinary output by chance: masking it there would only
        // garble the output, and hint at what the secret is.
        let shortest = bytes.len().max(4);
        let whole = |encoding, text: Vec<u8>| Text { encoding, required: text.len(), text };
        let mut texts = vec![
            whole(Encoding::Written, bytes.to_vec()),
            whole(Encoding::Hex, hex::encode(bytes).into_bytes()),
        ];
        // Aligned in a longer encoding, the last character and the padding are the text's
        // around it; they are required only when too few are left to stand alone.
        let own = STANDARD.encode(bytes).into_bytes();
        let aligned = 8 * bytes.len() / 6;
        let required = if aligned >= shortest { aligned } else { own.len() };
        texts.push(Text { encoding: Encoding::Base64, required, text: own });
        // Inside a longer encoding the secret may also start 1 or 2 bytes into a 3-byte group:
        // keep the characters its own bits alone decide, as the bits around it change the edges.
        for offset in 1..3 {
            let shifted = [&[0u8; 2][..offset], bytes].concat();
            let text = STANDARD_NO_PAD.encode(&shifted).into_bytes();
            let (from, to) = ((8 * offset).div_ceil(6), (8 * (offset + bytes.len())) / 6);
            texts.push(whole(Encoding::Base64, text.get(from..to).unwrap_or_default().to_vec()));
        }
        texts.retain(|text| text.encoding == Encoding::Written || text.required >= shortest);
        texts
    }

    /// Every way of writing out each of its characters.
    fn form(&self) -> Form {
        let unit = match self.encoding {
            Encoding::Written => Unit::written,
            Encoding::Hex => |c| Unit(vec![vec![either_case(c)]]),
            Encoding::Base64 => Unit::base64,
        };
        Form { units: self.text.iter().copied().map(unit).collect(), required: self.required }
    }

    /// Spelled out whole, in the plainest variants: hex in either case, base64 in either
    /// alphabet, with and without what may be left out.
    fn spellings(&self) -> Vec<Vec<u8>> {
        let texts = match self.encoding {
            Encoding::Written => vec![self.text.clone()],
            Encoding::Hex => vec![self.text.clone(), self.text.to_ascii_uppercase()],
            Encoding::Base64 => {
                let url_safe = self.text.iter().map(|&c| match c {
                    b'+' => b'-',
                    b'/' => b'_',
                    c => c,
                });
                vec![self.text.clone(), url_safe.collect()]
            }
        };
        texts
            .into_iter()
            .flat_map(|text| [text.get(..self.required).unwrap_or(&text).to_vec(), text])
            .collect()
    }
}

/// The longer secrets' spellings, longest first, so one that contains another is masked whole.
fn spellings(texts: &[Text]) -> Vec<Finder<'static>> {
    let mut spelled: Vec<Vec<u8>> = Vec::new();
    for spelling in texts.iter().flat_map(Text::spellings) {
        if !spelling.is_empty() && !spelled.contains(&spelling) {
            spelled.push(spelling);
        }
    }
    spelled.sort_by_key(|spelling| Reverse(spelling.len()));
    spelled.iter().map(|spelling| Finder::new(spelling).into_owned()).collect()
}

/// A way a secret is written out, character by character; the characters after `required`
/// may be left out.
#[derive(Debug, Clone)]
struct Form {
    units: Vec<Unit>,
    required: usize,
}

impl Form {
    /// Its first `HEAD` characters.
    fn head(&self) -> Form {
        Form { units: self.units[..self.units.len().min(HEAD)].to_vec(), required: self.required.min(HEAD) }
    }

    /// The most bytes it takes written out, with `separators` bytes between characters.
    fn bytes(&self, separators: usize) -> usize {
        let units: usize = self.units.iter().map(Unit::longest).sum();
        units + self.units.len().saturating_sub(1) * separators
    }

    /// As a regular expression; `open`: every byte after the first may also be `OPEN`.
    fn pattern(&self, open: bool) -> String {
        let separators = if self.required >= TOLERANT_FROM { SEPARATORS } else { "" };
        let mut out = String::new();
        for (i, unit) in self.units.iter().enumerate() {
            let optional = i >= self.required;
            out.push_str(if optional { "(?:" } else { "" });
            out.push_str(if i > 0 { separators } else { "" });
            unit.pattern(&mut out, open && i > 0, open);
            out.push_str(if optional { ")?" } else { "" });
        }
        out
    }
}

/// One character of a form: every way it may be written out, each a run of byte sets (`%4c`
/// is `%`, `4`, `c` or `C`).
#[derive(Debug, Clone)]
struct Unit(Vec<Vec<Vec<u8>>>);

impl Unit {
    /// A byte of the secret itself: as it is, percent-encoded (a space also as form encoding's
    /// `+`), or JSON-escaped, as payloads are stored as JSON text.
    fn written(byte: u8) -> Unit {
        let hex =
            |byte: u8| [either_case(HEX[usize::from(byte >> 4)]), either_case(HEX[usize::from(byte & 15)])];
        let mut ways = vec![vec![vec![byte]], [vec![b"%".to_vec()], hex(byte).to_vec()].concat()];
        if byte == b' ' {
            ways.push(vec![b"+".to_vec()]);
        }
        let escape = |letter: u8| vec![b"\\".to_vec(), vec![letter]];
        ways.extend(match byte {
            b'"' | b'\\' | b'/' => Some(escape(byte)),
            b'\n' => Some(escape(b'n')),
            b'\r' => Some(escape(b'r')),
            b'\t' => Some(escape(b't')),
            0x08 => Some(escape(b'b')),
            0x0c => Some(escape(b'f')),
            0..0x20 => Some([escape(b'u'), vec![b"0".to_vec(), b"0".to_vec()], hex(byte).to_vec()].concat()),
            _ => None,
        });
        Unit(ways)
    }

    /// A base64 character of either alphabet, or percent-encoded as in a URL's query.
    fn base64(c: u8) -> Unit {
        let percent = |code: &[u8; 2]| vec![b"%".to_vec(), vec![code[0]], either_case(code[1])];
        Unit(match c {
            b'+' | b'-' => vec![vec![b"+-".to_vec()], percent(b"2b")],
            b'/' | b'_' => vec![vec![b"/_".to_vec()], percent(b"2f")],
            b'=' => vec![vec![b"=".to_vec()], percent(b"3d")],
            _ => vec![vec![vec![c]]],
        })
    }

    /// As a regular expression; `open_first`, `open`: its first byte, the others, may also
    /// be `OPEN`.
    fn pattern(&self, out: &mut String, open_first: bool, open: bool) {
        out.push_str("(?:");
        for (i, way) in self.0.iter().enumerate() {
            out.push_str(if i > 0 { "|" } else { "" });
            for (j, set) in way.iter().enumerate() {
                out.push('[');
                let open = if j == 0 { open_first } else { open };
                for byte in set.iter().chain(open.then_some(&OPEN)) {
                    let _ = write!(out, r"\x{byte:02x}");
                }
                out.push(']');
            }
        }
        out.push(')');
    }

    fn longest(&self) -> usize {
        self.0.iter().map(Vec::len).max().unwrap_or(0)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A letter in either case; anything else as it is.
fn either_case(c: u8) -> Vec<u8> {
    let mut cases = vec![c.to_ascii_lowercase(), c.to_ascii_uppercase()];
    cases.dedup();
    cases
}

/// A URL's password as written and as the server reads it, percent-decoded; none if empty.
pub fn url_passwords(url: &url::Url) -> Vec<String> {
    let Some(written) = url.password().filter(|p| !p.is_empty()) else { return Vec::new() };
    // Decoded as a form value, with `+` kept: in a URL's user info it is a plus, not a space.
    let decoded = url::form_urlencoded::parse(format!("p={}", written.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned());
    [Some(written.to_string()), decoded].into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

    use super::*;

    #[test]
    fn masks_text_bytes_and_json_forms() {
        let r = Redactor::new(["s3cr\"et".to_string(), String::new()]);
        assert_eq!(r.text("pw=s3cr\"et!"), "pw=****!");
        assert_eq!(r.text(r#"{"u":"pw=s3cr\"et"}"#), r#"{"u":"pw=****"}"#);
        assert_eq!(&*r.bytes(b"\xffs3cr\"et\xfe"), b"\xff****\xfe");
        assert_eq!(r.text("nothing here"), "nothing here");
    }

    #[test]
    fn without_secrets_nothing_is_touched() {
        let r = Redactor::new([String::new()]);
        assert!(r.is_empty());
        assert!(matches!(r.bytes(b"anything"), Cow::Borrowed(_)));
        assert_eq!(r.holdback(b"anything"), 0);
        let r = Redactor::new(["hunter2".to_string()]);
        assert!(matches!(r.bytes(b"nothing secret"), Cow::Borrowed(_)), "no copy when nothing is masked");
    }

    #[test]
    fn longer_secret_wins() {
        let r = Redactor::new(["abc".to_string(), "abcdef".to_string()]);
        assert_eq!(r.text("xabcdefx abc"), "x****x ****");
    }

    #[test]
    fn a_masked_text_stays_text() {
        let r = Redactor::new(["pässwörd-üñï".to_string()]);
        assert_eq!(r.text("é pässwörd-üñï é p%C3%A4sswörd-üñï"), "é **** é ****");
    }

    #[test]
    fn holds_back_what_could_start_a_secret() {
        let r = Redactor::new(["line one\nline two".to_string()]);
        assert_eq!(r.holdback(b"pw=line one\n"), "line one\n".len());
        assert_eq!(r.holdback(b"pw=l"), 1);
        assert_eq!(r.holdback(b"pw=line %"), "line %".len(), "the start of a percent-encoded byte");
        assert_eq!(r.holdback(b"pw=line on\r\n"), "line on\r\n".len(), "a line break it may go on after");
        assert_eq!(r.holdback(b"nothing"), 0);
        assert_eq!(r.holdback(b"line one and more"), 0);
        assert_eq!(r.holdback(b""), 0);
        // However long the run of separators, what is held stays bounded.
        let spaces = [b"l".as_slice(), &[b' '; 100_000]].concat();
        assert!(r.holdback(&spaces) < 1000);
    }

    #[test]
    fn separators_only_inside_forms_too_long_to_match_by_chance() {
        let r = Redactor::new(["abcdef".to_string(), "ABCDEFGH".to_string()]);
        assert_eq!(r.text("abc def abcdef"), "abc def ****");
        assert_eq!(r.text("ABCD\nEFGH ABCD EF\r\nGH"), "**** ****");
    }

    #[test]
    fn short_encodings_are_not_masked_by_chance() {
        // A one-byte secret's hex and unpadded base64 are one or two letters, found anywhere.
        let r = Redactor::new(["Z".to_string()]);
        assert_eq!(r.text("Wg== 5a 5A Z WHAT"), "**** 5a 5A **** WHAT");
    }

    /// 70 bytes whose base64 holds both `+` and `/`, with a space for form encoding's `+`.
    const SECRET: &str = "Zq8+/x y?>>~pw&=%;Line-One-7f3a?>>~Q9??-abcdefghijklmnopqrstuvwxyz0123";

    /// `text` broken into lines of `width`, each followed by `end`, the way tools wrap it.
    fn wrapped(text: &str, width: usize, end: &str) -> String {
        text.as_bytes().chunks(width).map(|line| format!("{}{end}", String::from_utf8_lossy(line))).collect()
    }

    /// Every way the adversary wrote the secret out, each as a step prints it.
    fn written_out(secret: &str) -> Vec<(&'static str, String)> {
        let hex = hex::encode(secret);
        let od: String = secret
            .as_bytes()
            .chunks(16)
            .map(|line| line.iter().map(|b| format!(" {b:02x}")).collect::<String>() + "\n")
            .collect();
        let percent = |upper: bool, plus: bool| -> String {
            secret
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        char::from(b).to_string()
                    }
                    b' ' if plus => "+".to_string(),
                    _ if upper => format!("%{b:02X}"),
                    _ => format!("%{b:02x}"),
                })
                .collect()
        };
        let (head, tail) = secret.split_at(30);
        vec![
            ("as it is", secret.to_string()),
            ("echoed in two pieces", format!("{head}\n{tail}\n")),
            ("in two pieces, CRLF", format!("{head}\r\n{tail}\r\n")),
            ("JSON-escaped", serde_json::to_string(secret).unwrap_or_default()),
            ("base64", wrapped(&STANDARD.encode(secret), 76, "\n")),
            ("base64 -w 20", wrapped(&STANDARD.encode(secret), 20, "\n")),
            ("base64 -w 1", wrapped(&STANDARD.encode(secret), 1, "\n")),
            ("base64 unpadded", STANDARD_NO_PAD.encode(secret)),
            ("base64url", wrapped(&URL_SAFE.encode(secret), 64, "\r\n")),
            ("base64url unpadded", URL_SAFE_NO_PAD.encode(secret)),
            ("basic auth", wrapped(&STANDARD.encode(format!("user:{secret}")), 76, "\n")),
            ("one byte in, wrapped", wrapped(&STANDARD.encode(format!("u{secret}")), 20, "\n")),
            ("two bytes in, url-safe", URL_SAFE.encode(format!("us{secret}!"))),
            (
                "base64 in a query",
                STANDARD.encode(secret).replace('+', "%2B").replace('/', "%2f").replace('=', "%3D"),
            ),
            ("xxd -p", wrapped(&hex, 60, "\n")),
            ("od -An -tx1", od.clone()),
            ("od in upper case", od.to_uppercase()),
            ("HEX", hex.to_uppercase()),
            ("url-encoded", percent(true, false)),
            ("url-encoded, lower case", percent(false, false)),
            ("form-encoded", percent(true, true)),
            ("every byte percent-encoded", secret.bytes().map(|b| format!("%{b:02X}")).collect()),
        ]
    }

    /// Whether any 8 bytes of the secret can be read back from `output`: as it is, or hex,
    /// base64 (either alphabet, any alignment) or percent-encoding decoded, whitespace ignored.
    fn leaks(secret: &str, output: &[u8]) -> bool {
        let squeezed: Vec<u8> = output.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        let mut views = vec![squeezed.clone()];
        views.push(percent_decode(&squeezed));
        for run in squeezed.split(|b| !b.is_ascii_hexdigit()) {
            for skip in 0..2 {
                let even = (run.len() - run.len().min(skip)) / 2 * 2;
                views.extend(run.get(skip..skip + even).and_then(|h| hex::decode(h).ok()));
            }
        }
        let unquoted = String::from_utf8_lossy(&views[1]).replace(['-', '%'], "+").replace('_', "/");
        for run in unquoted.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/')) {
            for skip in 0..4 {
                let usable = run.get(skip..).unwrap_or_default();
                let usable = &usable[..usable.len() / 4 * 4];
                views.extend(STANDARD_NO_PAD.decode(usable).ok());
            }
        }
        let needle = secret.as_bytes();
        needle.windows(8).any(|piece| views.iter().any(|view| memchr::memmem::find(view, piece).is_some()))
    }

    fn percent_decode(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let code = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match (bytes[i], code.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (b'+', _) => {
                    out.push(b' ');
                    i += 1;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        out
    }

    /// What the batcher journals of `stream` read in `pieces` (ending at these offsets): after
    /// each, everything pending masked and sent but the holdback, as late as the batcher cuts
    /// (it may cut earlier, after a line).
    fn journaled(r: &Redactor, stream: &[u8], pieces: &[usize]) -> Vec<u8> {
        let (mut sent, mut pending, mut from) = (Vec::new(), Vec::new(), 0);
        for &to in pieces.iter().chain([&stream.len()]) {
            pending.extend_from_slice(&stream[from..to]);
            from = to;
            let masked = r.bytes(&pending).into_owned();
            let settled = masked.len() - r.holdback(&masked);
            sent.extend_from_slice(&masked[..settled]);
            pending = masked[settled..].to_vec();
        }
        [sent, r.bytes(&pending).into_owned()].concat()
    }

    #[test]
    fn every_form_is_masked_at_every_cut() {
        let r = Redactor::new([SECRET.to_string()]);
        assert!(STANDARD.encode(SECRET).contains('+') && STANDARD.encode(SECRET).contains('/'));
        for (how, printed) in written_out(SECRET) {
            let stream = format!("before {how}:\n{printed}\nafter\n").into_bytes();
            assert!(leaks(SECRET, &stream), "{how}: the check reads the secret back");
            let whole = journaled(&r, &stream, &[]);
            assert!(!leaks(SECRET, &whole), "{how}: {}", String::from_utf8_lossy(&whole));
            let kept =
                whole.starts_with(format!("before {how}:\n").as_bytes()) && whole.ends_with(b"\nafter\n");
            assert!(kept, "{how}: only the secret is masked: {}", String::from_utf8_lossy(&whole));
            for at in 0..=stream.len() {
                let out = journaled(&r, &stream, &[at]);
                assert!(!leaks(SECRET, &out), "{how}, cut at {at}: {}", String::from_utf8_lossy(&out));
            }
            let every_byte: Vec<usize> = (1..stream.len()).collect();
            let out = journaled(&r, &stream, &every_byte);
            assert!(!leaks(SECRET, &out), "{how}, a cut at every byte: {}", String::from_utf8_lossy(&out));
        }
    }

    #[test]
    fn masks_hex_and_base64_forms() {
        let secret = "s3cr?t>>~pw\nline2";
        let r = Redactor::new([secret.to_string()]);
        assert_ne!(STANDARD.encode(secret), URL_SAFE.encode(secret), "both alphabets are tried");
        let standalone = [
            STANDARD.encode(secret),
            STANDARD_NO_PAD.encode(secret),
            URL_SAFE.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            hex::encode(secret),
            hex::encode_upper(secret),
        ];
        for form in standalone {
            assert_eq!(r.text(&format!("x {form} y")), "x **** y", "{form}");
        }
        // Inside a longer encoding, at each offset the secret can start at, only the few
        // characters the bytes around it also shape are left.
        for before in ["", "u", "us", "user:"] {
            for engine in [STANDARD, URL_SAFE] {
                let encoded = engine.encode(format!("{before}{secret}!"));
                let masked = r.text(&encoded);
                assert!(masked.contains(MASK), "{before:?} {encoded}");
                assert!(masked.len() - MASK.len() <= 12, "{before:?}: {masked}");
            }
        }
    }

    #[test]
    fn secrets_beyond_what_is_compiled_are_masked_spelled_out() {
        let long: String = (0..COMPILED_BYTES + 10).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
        let r = Redactor::new([long.clone(), "hunter2".to_string()]);
        assert!(r.spelled.len() > 1, "the long secret is spelled, not compiled");
        for form in [
            long.clone(),
            hex::encode_upper(&long),
            URL_SAFE.encode(&long),
            STANDARD.encode(format!("u{long}")),
        ] {
            let masked = r.text(&format!("<{form}> hunter2")).into_owned();
            assert!(masked.len() < 20, "{}", &masked[..40]);
            assert!(masked.ends_with(" ****"), "the short secret too");
        }
        let stream = format!("x {long} y").into_bytes();
        for at in (0..stream.len()).step_by(97) {
            assert_eq!(journaled(&r, &stream, &[at]), b"x **** y", "cut at {at}");
        }
    }
}
