//! The real binary in a pseudo-terminal, read through a terminal emulator: shared by the
//! examples that measure the screen.

// Each example uses the part it needs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    /// `bin ARGS` in a 120x40 pseudo-terminal in `dir`, on the journal there.
    pub fn start(bin: &str, dir: &std::path::Path, args: &[&str]) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 })
            .unwrap();
        let mut command = CommandBuilder::new(bin);
        command.args(args);
        command.cwd(dir);
        command.env("TMINUS_JOURNAL", dir.join("journal.db"));
        command.env("TERM", "xterm-256color");
        let child = pty.slave.spawn_command(command).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 120, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let feed = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        Session { parser, writer, child, _master: pty.master }
    }

    pub fn shows(&self, text: &str) -> bool {
        self.parser.lock().unwrap().screen().contents().contains(text)
    }

    pub fn wait(&self, text: &str, present: bool) -> Duration {
        let start = Instant::now();
        while self.shows(text) != present {
            if start.elapsed() > Duration::from_secs(30) {
                let screen = self.parser.lock().unwrap().screen().contents();
                panic!("waited 30 s for {text:?} (present: {present}); the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        start.elapsed()
    }

    pub fn press(&mut self, key: &str) {
        self.writer.write_all(key.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// One sample: open the help and time until it is on screen, then close it again.
    pub fn sample(&mut self) -> Duration {
        self.press("?");
        let took = self.wait(" Keys ", true);
        self.press("\x1b");
        self.wait(" Keys ", false);
        took
    }

    pub fn peak_kb(&self) -> u64 {
        peak_kb(self.child.process_id().unwrap())
    }
}

/// A process's peak resident memory, in KB (0 once it is gone).
pub fn peak_kb(pid: u32) -> u64 {
    {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// The binary named on the command line (absolute: the sessions run in a temp folder), and the
/// flood's size in MB (`FLOOD_MB`, default 200).
pub fn bench_args() -> (String, u64) {
    let bin = std::env::args().nth(1).unwrap_or_else(|| "target/release/tminus".into());
    let bin = std::fs::canonicalize(&bin).unwrap_or_else(|e| panic!("{bin}: {e}")).display().to_string();
    let megabytes = std::env::var("FLOOD_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    (bin, megabytes)
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Prints one line of figures and returns the p99.
pub fn report(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    let (p50, p99, max) = (percentile(&ms, 50.0), percentile(&ms, 99.0), ms[ms.len() - 1]);
    println!("{name:<34} {:>4} samples   p50 {p50:6.1} ms   p99 {p99:6.1} ms   max {max:6.1} ms", ms.len());
    p99
}

/// The run's conductor process, from `tminus runs`.
pub fn conductor_pid(bin: &str, dir: &std::path::Path) -> Option<u32> {
    let out = std::process::Command::new(bin)
        .arg("runs")
        .current_dir(dir)
        .env("TMINUS_JOURNAL", dir.join("journal.db"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split("pid ").nth(1)?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}
