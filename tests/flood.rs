//! A step that prints 50 MB: every byte reaches the journal, and tminus stays under 64 MB.
//! Its own test binary, so the peak memory read from `getrusage` is this run's alone.

mod support;

use nix::sys::resource::{UsageWho, getrusage};
use support::{Sandbox, step};

const MB: u64 = 1024 * 1024;

#[test]
fn fifty_megabytes_of_output_are_journaled_whole_in_bounded_memory() {
    let s = Sandbox::new();
    // 47 MB of 100-byte lines, then one 3 MB line with no newline at all.
    let line = format!("deploying institution_gates row {} ok", ".".repeat(64));
    assert_eq!(line.len() + 1, 100);
    let lines_bytes = 50 * MB - 3 * MB;
    s.write(
        "flood.toml",
        &format!(
            "[runbook]\nname = \"flood\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"flood\"\n  \
             run = \"yes '{line}' | head -c {lines_bytes}; head -c {} /dev/zero | tr '\\\\0' x\"\n",
            3 * MB
        ),
    );
    let ran = s.tminus().args(["run", "flood.toml", "--headless"]).output();
    assert_eq!(ran.code, 0, "{}", ran.stderr);

    let peak_kb = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss() as u64;
    let report = s.report_json();
    let flood = step(&report, "flood");
    assert_eq!(flood["output"]["total_bytes"].as_u64().unwrap(), 50 * MB, "every byte is in the journal");
    assert_eq!(flood["output"]["total_lines"].as_u64().unwrap(), lines_bytes / 100);
    println!("peak RSS of the largest child process: {} MB", peak_kb / 1024);
    assert!(peak_kb < 64 * 1024, "peak memory {peak_kb} kB is over 64 MB");
}
