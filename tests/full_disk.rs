//! A SQLite journal on a disk that fills up mid-step: the run holds and says so, and once there
//! is room again it goes on, with every line the step printed journaled.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use support::Sandbox;

/// A small disk of the test's own (a tmpfs), unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &std::path::Path, megabytes: u32) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let size = format!("size={megabytes}m");
        let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", &size, "tmpfs"]).arg(at).output();
        if mounted.is_ok_and(|o| o.status.success()) {
            return Some(SmallDisk(at.to_path_buf()));
        }
        assert!(std::env::var("CI").is_err(), "CI=true: this test mounts a small tmpfs and needs root");
        eprintln!("skipped: cannot mount a small tmpfs here (needs root)");
        None
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

#[test]
fn a_full_disk_holds_the_run_until_there_is_room() {
    let s = Sandbox::new();
    let Some(disk) = SmallDisk::mount(&s.path().join("disk"), 16) else { return };
    // Most of the disk taken; the step's output fills the rest.
    std::fs::write(disk.0.join("filler"), vec![0u8; 12 * 1024 * 1024]).unwrap();
    s.write(
        "day.toml",
        "[runbook]\nname = \"full disk\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"print\"\n  \
         run = \"for n in $(seq 1 100000); do echo line $n of a step that prints more than the disk holds; done\"\n  \
         [[phase.step]]\n  id = \"after\"\n  run = \"echo after\"\n",
    );
    let journal = disk.0.join("journal.db");
    let mut lead = Command::new(env!("CARGO_BIN_EXE_tminus"))
        .current_dir(s.path())
        .env("TMINUS_JOURNAL", &journal)
        .args(["run", "day.toml", "--headless"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    let mut stderr = BufReader::new(lead.stderr.take().unwrap());
    while !said.contains("journal unavailable since") {
        assert!(stderr.read_line(&mut said).unwrap() > 0, "the lead ended without holding: {said}");
    }
    std::fs::remove_file(disk.0.join("filler")).unwrap();
    let status = lead.wait().unwrap();
    std::io::Read::read_to_string(&mut stderr, &mut said).unwrap();
    assert_eq!(status.code(), Some(0), "{said}");
    assert!(said.contains("journal available again"), "{said}");
    let report = s
        .tminus()
        .env("TMINUS_JOURNAL", journal.to_str().unwrap())
        .args(["report", "--format", "json"])
        .output();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(support::step(&json, "print")["output"]["total_lines"], 100000);
    assert_eq!(json["state"]["outcome"], "succeeded");
}
