//! A seeded mutation loop over the runbook loader: every runbook in `runbooks/` (and
//! `tests/fixtures/`, when there is one) is bent in the ways real mistakes and hostile files bend
//! text, and each result goes through `parse` and, when refused, through the rendering of its
//! problems, under `catch_unwind`. Input `i` of seed `s` is the same input on every machine, so a
//! finding can be replayed alone.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: small, fast, and the same sequence everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so nearby seeds start far apart and none starts at zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The runbooks the mutations start from, each with the name it is loaded under, and every key
/// they use, to give values the loader does not expect.
pub struct Corpus {
    pub files: Vec<(PathBuf, String)>,
    keys: Vec<String>,
}

pub fn corpus(root: &Path) -> Corpus {
    let mut paths = Vec::new();
    for dir in ["runbooks", "tests/fixtures"] {
        collect(&root.join(dir), &mut paths);
    }
    paths.sort();
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .filter_map(|path| Some((path.clone(), std::fs::read_to_string(path).ok()?)))
        .collect();
    let mut keys = std::collections::BTreeSet::new();
    for (_, text) in &files {
        // A key is a word followed by `=`, on its own line or inside an inline table.
        for (i, _) in text.match_indices('=').filter(|(i, _)| !text[i + 1..].starts_with('=')) {
            let before = text[..i].trim_end();
            let word = before.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("");
            if !word.is_empty() {
                keys.insert(word.to_string());
            }
        }
    }
    Corpus { files, keys: keys.into_iter().collect() }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|x| x == "toml") {
            files.push(path);
        }
    }
}

/// Text that parsers and the loader treat specially.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    ",",
    ".",
    "#",
    "\n",
    "\r\n",
    "\\",
    "\\u",
    "${",
    "$${",
    "}",
    "${A}",
    "\t",
    "\0",
    "\u{1b}[2J",
    "\u{202e}",
    "\u{feff}",
    "é",
    "😀",
    "true",
    "-",
    "+",
    "_",
    "0x",
    "1979-05-27T07:32:00Z",
    "[[phase]]\n",
    "[[phase.step]]\n",
    "[vars]\n",
    "[rollback]\n",
    "[[rollback.step]]\n",
    "[runbook]\n",
    "id = \"dup\"\n",
    "run = \"true\"\n",
    "gate = \"GO?\"\n",
    "monitor = { every = \"1s\", for = \"1m\", steps = [\"x\"] }\n",
    "http = { url = \"http://x\", samples = 3 }\n",
    "sql = { url = \"sqlite::memory:\", query = \"SELECT 1\" }\n",
    "expect = { exit = 1, stdout = \"(a+)+$\" }\n",
    "irreversible = true\n",
    "undo = \"true\"\n",
    "signoff = [\"QA\"]\n",
    "dry_run = true\n",
];

/// Values that sit at the edges of what a key takes: huge, negative, not numbers, wrong types.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999999",
    "1e309",
    "-0.0",
    "inf",
    "-inf",
    "nan",
    "0x7fffffff",
    "0o777",
    "0b1",
    "1_000",
    "3.14",
    "1e-400",
    "true",
    "\"\"",
    "\"0s\"",
    "\"-1s\"",
    "\"30d\"",
    "\"7d\"",
    "\"8d\"",
    "\"99999999999999h\"",
    "\"1ns\"",
    "\"5\"",
    "\"584542046091y\"",
    "\"-15m\"",
    "\"${A}\"",
    "\"${}\"",
    "\"$${A}\"",
    "\"${A\"",
    "\"(a+)+$\"",
    "\"[\"",
    "\"\\\\u{202e}\"",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ env = \"HOME\" }",
    "{ env = \"NOPE\" }",
    "{ value = \"v\", secret = true }",
    "1979-05-27T07:32:00Z",
    "\"2025-02-30T09:00:00+02:00\"",
    "\"postgres://u:p%41ss@h/db\"",
];

/// One mutated input: a runbook of the corpus, changed one to four times.
pub fn mutate(rng: &mut Rng, corpus: &Corpus) -> (PathBuf, Vec<u8>) {
    let (path, base) = rng.pick(&corpus.files);
    let mut text = base.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        change(rng, &mut text, corpus);
    }
    (path.clone(), text)
}

/// One change, at a random place; most keep to whole lines and keys, so that the input still
/// reads as TOML and reaches the loader's own checks.
fn change(rng: &mut Rng, text: &mut Vec<u8>, corpus: &Corpus) {
    let at = rng.below(text.len() + 1);
    let (line_start, line_end) = line_around(text, at);
    let insert = |text: &mut Vec<u8>, at: usize, piece: &[u8]| {
        text.splice(at..at, piece.iter().copied());
    };
    match rng.below(16) {
        0 if !text.is_empty() => {
            let i = at.min(text.len() - 1);
            text[i] ^= 1 << rng.below(8);
        }
        1 => {
            let bytes: Vec<u8> = (0..=rng.below(8)).map(|_| rng.next() as u8).collect();
            insert(text, at, &bytes);
        }
        2 => insert(text, at, rng.pick(TOKENS).as_bytes()),
        3 => {
            let end = (at + rng.below(200)).min(text.len());
            text.drain(at..end);
        }
        4 => {
            // Whole lines of another runbook, between two lines of this one.
            let other = rng.pick(&corpus.files).1.as_bytes();
            let (from, _) = line_around(other, rng.below(other.len() + 1));
            let (_, to) = line_around(other, (from + rng.below(3000)).min(other.len()));
            insert(text, line_start, &other[from..to]);
        }
        5 => {
            let line = text[line_start..line_end].to_vec();
            for _ in 0..=rng.below(3) {
                insert(text, line_end, &line);
            }
        }
        6 | 7 => {
            // The value of a `key = value` line, replaced.
            let line = &text[line_start..line_end];
            if let Some(eq) = line.iter().position(|&b| b == b'=') {
                let value = format!(" {}\n", rng.pick(VALUES));
                text.splice(line_start + eq + 1..line_end, value.into_bytes());
            }
        }
        8 | 9 => {
            let line = format!("{} = {}\n", rng.pick(&corpus.keys), rng.pick(VALUES));
            insert(text, line_start, line.as_bytes());
        }
        10 => {
            // Depths on both sides of the TOML parser's own limit.
            let depth = 1 << rng.below(12);
            let (open, close) = *rng.pick(&[("[", "]"), ("{a=", "}"), ("[{a=", "}]")]);
            let nested =
                format!("{} = {}1{}\n", rng.pick(&corpus.keys), open.repeat(depth), close.repeat(depth));
            insert(text, line_start, nested.as_bytes());
        }
        11 => {
            let long = format!("{} = \"{}\"\n", rng.pick(&corpus.keys), "a".repeat(1 + rng.below(100_000)));
            insert(text, line_start, long.as_bytes());
        }
        12 => {
            // A chain of variables, each twice the one before, used by the line the cut landed on.
            let levels = 1 + rng.below(40);
            let mut vars = String::from("D0 = \"ab\"\n");
            for i in 1..=levels {
                vars.push_str(&format!("D{i} = \"${{D{}}}${{D{}}}\"\n", i - 1, i - 1));
            }
            let line = format!("{} = \"${{D{levels}}}\"\n", rng.pick(&corpus.keys));
            insert(text, line_start, line.as_bytes());
            match memchr::memmem::find(text, b"[vars]\n") {
                Some(table) => insert(text, table + b"[vars]\n".len(), vars.as_bytes()),
                None => insert(text, 0, format!("[vars]\n{vars}").as_bytes()),
            }
        }
        13 => text.truncate(at),
        _ => {
            text.drain(line_start..line_end);
        }
    }
}

/// The line holding byte `at`, with its line break.
fn line_around(text: &[u8], at: usize) -> (usize, usize) {
    let start = text[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = text[at..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| at + i + 1);
    (start, end)
}

/// What a fuzzing session found.
pub struct Findings {
    pub inputs: u64,
    /// Inputs the loader took as valid runbooks; the rest it refused with problems.
    pub accepted: u64,
    /// Input number and panic message of each panic.
    pub panics: Vec<(u64, String)>,
    /// The input that took longest, and how long, timed again alone.
    pub slowest: (u64, Duration),
}

/// The `i`th input of a session seeded with `seed`.
pub fn input(seed: u64, i: u64, corpus: &Corpus) -> (PathBuf, String) {
    let mut rng = Rng::new(seed ^ i.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let (path, bytes) = mutate(&mut rng, corpus);
    (path, String::from_utf8_lossy(&bytes).into_owned())
}

/// Environment variables as a fixed function of their name: some set, some not.
fn env(name: &str) -> Option<String> {
    (!name.len().is_multiple_of(3)).then(|| format!("value-of-{name}"))
}

/// Inputs kept as candidates for the slowest: a busy machine can stall any one of them.
const CANDIDATES: usize = 8;

/// Loads inputs `0..inputs` of `seed` on `threads` threads and says what happened.
pub fn session(seed: u64, inputs: u64, threads: u64, corpus: &Corpus) -> Findings {
    // Panics are counted and reported here, not printed one by one as they happen.
    let loud = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let threads = threads.clamp(1, inputs.max(1));
    let parts: Vec<Part> = std::thread::scope(|scope| {
        let share = inputs.div_ceil(threads);
        let workers: Vec<_> = (0..threads)
            .map(|t| scope.spawn(move || run(seed, t * share..((t + 1) * share).min(inputs), corpus)))
            .collect();
        workers.into_iter().map(|w| w.join().expect("a worker catches every panic")).collect()
    });
    let mut all = Findings { inputs: 0, accepted: 0, panics: Vec::new(), slowest: (0, Duration::ZERO) };
    let mut slow = Vec::new();
    for part in parts {
        all.inputs += part.inputs;
        all.accepted += part.accepted;
        all.panics.extend(part.panics);
        slow.extend(part.slow);
    }
    for (i, _) in slow {
        let took = (0..3).map(|_| load(seed, i, corpus).1).min().unwrap_or_default();
        if took > all.slowest.1 {
            all.slowest = (i, took);
        }
    }
    std::panic::set_hook(loud);
    all
}

/// What one worker found; its slowest inputs as it timed them.
struct Part {
    inputs: u64,
    accepted: u64,
    panics: Vec<(u64, String)>,
    slow: Vec<(u64, Duration)>,
}

fn run(seed: u64, range: std::ops::Range<u64>, corpus: &Corpus) -> Part {
    let mut part = Part { inputs: 0, accepted: 0, panics: Vec::new(), slow: Vec::new() };
    for i in range {
        let (outcome, took) = load(seed, i, corpus);
        match outcome {
            Ok(accepted) => part.accepted += u64::from(accepted),
            Err(message) => part.panics.push((i, message)),
        }
        if part.slow.len() < CANDIDATES || took > part.slow[CANDIDATES - 1].1 {
            part.slow.push((i, took));
            part.slow.sort_by_key(|&(_, took)| std::cmp::Reverse(took));
            part.slow.truncate(CANDIDATES);
        }
        part.inputs += 1;
    }
    part
}

/// Input `i` through the loader (and its problems through rendering): whether it was accepted,
/// or the message it panicked with; and how long that took.
fn load(seed: u64, i: u64, corpus: &Corpus) -> (Result<bool, String>, Duration) {
    let (path, text) = input(seed, i, corpus);
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(|| match tminus::runbook::parse(&path, &text, &env) {
        Ok(_) => true,
        Err(problems) => {
            std::hint::black_box(problems.to_string());
            false
        }
    });
    let took = started.elapsed();
    let outcome = outcome.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    });
    (outcome, took)
}
