//! Keypress-to-screen latency of the full screen while a step prints 200 MB, against the same
//! keypress on an idle run, and tminus's peak memory. Run by `bench/tui-flood.sh`.
//!
//! The real binary runs in a pseudo-terminal; a key is pressed (`?`, which opens the help) and
//! the time until the emulated screen shows the help is one sample.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(bin: &str, dir: &std::path::Path, runbook: &str) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 })
            .unwrap();
        let mut command = CommandBuilder::new(bin);
        command.args(["run", runbook, "--operator", "bench"]);
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

    fn shows(&self, text: &str) -> bool {
        self.parser.lock().unwrap().screen().contents().contains(text)
    }

    fn wait(&self, text: &str, present: bool) -> Duration {
        let start = Instant::now();
        while self.shows(text) != present {
            if start.elapsed() > Duration::from_secs(30) {
                panic!("waited 30 s for {text:?} (present: {present})");
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        start.elapsed()
    }

    fn press(&mut self, key: &str) {
        self.writer.write_all(key.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// One sample: open the help and time until it is on screen, then close it again.
    fn sample(&mut self) -> Duration {
        self.press("?");
        let took = self.wait(" Keys ", true);
        self.press("\x1b");
        self.wait(" Keys ", false);
        took
    }

    fn peak_kb(&self) -> u64 {
        let pid = self.child.process_id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    let (p50, p99, max) = (percentile(&ms, 50.0), percentile(&ms, 99.0), ms[ms.len() - 1]);
    println!("{name:<34} {:>4} samples   p50 {p50:6.1} ms   p99 {p99:6.1} ms   max {max:6.1} ms", ms.len());
    p99
}

fn main() {
    let bin = std::env::args().nth(1).unwrap_or_else(|| "target/release/tminus".into());
    // The child runs in a temp folder: name the binary absolutely.
    let bin = std::fs::canonicalize(&bin).unwrap_or_else(|e| panic!("{bin}: {e}")).display().to_string();
    let megabytes: u64 = std::env::var("FLOOD_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("idle.toml"),
        "[runbook]\nname = \"idle\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"idle\"\n  run = \"echo waiting; sleep 60\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flood.toml"),
        format!(
            "[runbook]\nname = \"flood\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"flood\"\n  \
             run = \"head -c {}M /dev/zero | tr '\\\\0' x | fold -w 99; echo; echo FLOOD DONE\"\n",
            megabytes
        ),
    )
    .unwrap();

    let mut idle = Session::start(&bin, dir.path(), "idle.toml");
    idle.wait("waiting", true);
    let idle_ms: Vec<f64> = (0..30).map(|_| idle.sample().as_secs_f64() * 1000.0).collect();
    idle.press("q");
    idle.wait("Quit while a step runs?", true);
    idle.press("a");
    let _ = idle.child.wait();

    let mut flood = Session::start(&bin, dir.path(), "flood.toml");
    flood.wait("Output · flood", true);
    let started = Instant::now();
    let mut flood_ms = Vec::new();
    while !flood.shows("SUCCEEDED") {
        flood_ms.push(flood.sample().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(20));
    }
    let streamed = started.elapsed();
    let peak_kb = flood.peak_kb();
    flood.press("q");
    let _ = flood.child.wait();

    println!(
        "keypress to screen (? opens the help), {megabytes} MB streamed in {:.1} s:",
        streamed.as_secs_f64()
    );
    let idle_p99 = report("idle run", idle_ms);
    let flood_p99 = report(&format!("while a step prints {megabytes} MB"), flood_ms);
    println!(
        "ratio flood / idle at p99: {:.2}x   (goal: keys within 50 ms)",
        flood_p99 / idle_p99.max(0.001)
    );
    println!("peak memory of tminus: {:.1} MB   (goal: under 64 MB)", peak_kb as f64 / 1024.0);
}
