//! Keypress-to-screen latency of the full screen while a step prints 200 MB, against the same
//! keypress on an idle run, and tminus's peak memory. Run by `bench/tui-flood.sh`.
//!
//! The real binary runs in a pseudo-terminal; a key is pressed (`?`, which opens the help) and
//! the time until the emulated screen shows the help is one sample.

#[path = "support/pty.rs"]
mod pty;

use std::time::{Duration, Instant};

use pty::{Session, conductor_pid, peak_kb, report};

fn main() {
    let (bin, megabytes) = pty::bench_args();
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

    let mut idle = Session::start(&bin, dir.path(), &["run", "idle.toml", "--operator", "bench"]);
    idle.wait("waiting", true);
    let idle_ms: Vec<f64> = (0..30).map(|_| idle.sample().as_secs_f64() * 1000.0).collect();
    stop(&mut idle);

    let mut flood = Session::start(&bin, dir.path(), &["run", "flood.toml", "--operator", "bench"]);
    flood.wait("Output · flood", true);
    let conductor = conductor_pid(&bin, dir.path()).expect("the flood's conductor");
    let started = Instant::now();
    let mut flood_ms = Vec::new();
    let mut conductor_kb = 0;
    while !flood.shows("SUCCEEDED") {
        flood_ms.push(flood.sample().as_secs_f64() * 1000.0);
        conductor_kb = conductor_kb.max(peak_kb(conductor));
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
    println!(
        "peak memory: screen {:.1} MB, conductor {:.1} MB   (goal: each under 64 MB)",
        peak_kb as f64 / 1024.0,
        conductor_kb as f64 / 1024.0
    );
}

/// Ends a run from its screen: Ctrl-C, stop the run, a reason.
fn stop(session: &mut Session) {
    session.press("\x03");
    session.wait("Leave the screen?", true);
    session.press("x");
    session.wait("Stop the run: why?", true);
    session.press("bench done\r");
    session.wait("ABORTED", true);
    session.press("q");
    let _ = session.child.wait();
}
