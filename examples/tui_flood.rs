//! The full screen, measured as a lead meets it: how soon `tminus run` shows its first frame, how
//! fast it absorbs a step printing 200 MB against tmux displaying the same bytes, how soon it
//! answers a key meanwhile (against an idle run), and the peak memory of the screen and of the
//! conductor. Run by `bench/tui-flood.sh`.
//!
//! The real binary runs in a pseudo-terminal read through a terminal emulator. A key sample is
//! `?` pressed and the time until the emulated screen shows the help.

#[path = "support/pty.rs"]
mod pty;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pty::{Session, conductor_pid, peak_kb, report};

/// First frames timed, each of a new run.
const FIRST_FRAMES: usize = 10;

fn main() {
    let (bin, megabytes) = pty::bench_args();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("flood.txt");
    let made = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "head -c {} /dev/urandom | base64 -w 76 > {}",
            megabytes * 1024 * 1024 * 3 / 4,
            data.display()
        ))
        .status()
        .unwrap();
    assert!(made.success(), "could not write the flood's bytes");
    let bytes = std::fs::metadata(&data).unwrap().len();
    std::fs::write(
        dir.path().join("idle.toml"),
        "[runbook]\nname = \"quiet day\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"idle\"\n  run = \"echo waiting; sleep 600\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flood.toml"),
        format!(
            "[runbook]\nname = \"flood\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"flood\"\n  \
             run = \"cat {}\"\n",
            data.display()
        ),
    )
    .unwrap();

    let mut first_ms = Vec::new();
    for _ in 0..FIRST_FRAMES {
        let started = Instant::now();
        let mut run = Session::start(&bin, dir.path(), &["run", "idle.toml", "--operator", "bench", "--new"]);
        run.wait("quiet day", true);
        first_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        run.wait("waiting", true);
        stop(&mut run);
    }

    let mut idle = Session::start(&bin, dir.path(), &["run", "idle.toml", "--operator", "bench", "--new"]);
    idle.wait("waiting", true);
    let idle_ms: Vec<f64> = (0..30).map(|_| idle.sample().as_secs_f64() * 1000.0).collect();
    stop(&mut idle);

    // From `tminus run` on, as tmux is timed from its start.
    let started = Instant::now();
    let mut flood = Session::start(&bin, dir.path(), &["run", "flood.toml", "--operator", "bench"]);
    flood.wait("Output · flood", true);
    let conductor = conductor_pid(&bin, dir.path()).expect("the flood's conductor");
    let mut flood_ms = Vec::new();
    let mut conductor_kb = 0;
    while !flood.shows("SUCCEEDED") {
        flood_ms.push(flood.sample().as_secs_f64() * 1000.0);
        conductor_kb = conductor_kb.max(peak_kb(conductor));
        std::thread::sleep(Duration::from_millis(20));
    }
    let absorbed = started.elapsed();
    let screen_kb = flood.peak_kb();
    flood.press("q");
    let _ = flood.child.wait();
    let tmux = tmux_displays(&data);

    let mb = bytes as f64 / 1048576.0;
    report("first frame of `tminus run`", first_ms);
    println!("   (goal: within 100 ms, runbook parse and journal open included)");
    let rate = |took: Duration| mb / took.as_secs_f64();
    println!(
        "{mb:.0} MB of base64 lines: tminus's screen absorbs them in {:.2} s ({:.0} MB/s)",
        absorbed.as_secs_f64(),
        rate(absorbed)
    );
    match tmux {
        Some(tmux) => println!(
            "{:<34} tmux displays them in {:.2} s ({:.0} MB/s): tminus is {:.1}x faster   (goal: 3x or more)",
            "",
            tmux.as_secs_f64(),
            rate(tmux),
            tmux.as_secs_f64() / absorbed.as_secs_f64()
        ),
        None => println!("tmux is not installed: apt-get install tmux to compare"),
    }
    let idle_p99 = report("keys, idle run", idle_ms);
    let flood_p99 = report(&format!("keys, while a step prints {mb:.0} MB"), flood_ms);
    println!(
        "ratio flood / idle at p99: {:.2}x   (goal: keys within 50 ms)",
        flood_p99 / idle_p99.max(0.001)
    );
    println!(
        "peak memory: screen {:.1} MB, conductor {:.1} MB   (goal: each under 64 MB)",
        screen_kb as f64 / 1024.0,
        conductor_kb as f64 / 1024.0
    );
}

/// How long tmux takes to display `data` in a detached 120x40 window, as `cat` prints it there.
fn tmux_displays(data: &std::path::Path) -> Option<Duration> {
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", "tminus-bench"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    tmux(&["-V"]).ok().filter(|s| s.success())?;
    let started = Instant::now();
    let command = format!("cat {}; tmux -L tminus-bench wait-for -S flood-done", data.display());
    let ran = tmux(&["new-session", "-d", "-x", "120", "-y", "40", &command]).ok()?;
    let done = ran.success() && tmux(&["wait-for", "flood-done"]).ok()?.success();
    let took = started.elapsed();
    let _ = tmux(&["kill-server"]);
    done.then_some(took)
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
