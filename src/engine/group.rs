//! Process groups as the machine sees them: whether a group still has live members, and
//! whether they belong to a given run, read from `/proc`. A step's command runs in a group of
//! its own, so this is how a conductor knows that a copy of a step is still running.

use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::time::Instant;

/// This boot of this machine: a process group journaled under another boot has surely ended.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Live members of group `pgid` that run for `run_id` (their environment says so): a group id
/// taken up by something else since is not counted. `None` when `/proc` cannot be read.
pub fn members(pgid: i32, run_id: &str) -> Option<u32> {
    if let Err(Errno::ESRCH) = killpg(Pid::from_raw(pgid), None) {
        return Some(0);
    }
    let entries = std::fs::read_dir("/proc").ok()?;
    let ours = [format!("TMINUS_RUN_ID={run_id}")];
    let count = entries
        .flatten()
        .filter(|entry| live_in_group(&entry.path(), pgid) && carries(&entry.path(), &ours))
        .count();
    Some(count as u32)
}

/// The process group of a live process that a command of `run_id` started as event
/// `started_event` left behind, if one is left.
pub fn started_by(run_id: &str, started_event: i64) -> Option<i32> {
    let marks = [format!("TMINUS_RUN_ID={run_id}"), format!("{STARTED_EVENT}={started_event}")];
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pgid = live_group(&entry.path())?;
        carries(&entry.path(), &marks).then_some(pgid)
    })
}

/// The variable a command carries naming the `StepStarted` event it was started as.
pub const STARTED_EVENT: &str = "TMINUS_STEP_EVENT";

/// Whether the process's environment holds every one of `vars` (`NAME=value`).
fn carries(proc_dir: &std::path::Path, vars: &[String]) -> bool {
    let Ok(env) = std::fs::read(proc_dir.join("environ")) else { return false };
    vars.iter().all(|var| env.split(|b| *b == 0).any(|v| v == var.as_bytes()))
}

/// Whether any live process is in group `pgid`, whoever it runs for.
pub fn alive(pgid: i32) -> bool {
    if let Err(Errno::ESRCH) = killpg(Pid::from_raw(pgid), None) {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| live_in_group(&entry.path(), pgid))
}

/// Killed orphans can linger as zombies until their new parent reaps them; those run nothing,
/// so only live members count.
fn live_in_group(proc_dir: &std::path::Path, pgid: i32) -> bool {
    live_group(proc_dir) == Some(pgid)
}

/// The group of a live process (`None` for a zombie, or a process gone).
fn live_group(proc_dir: &std::path::Path) -> Option<i32> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r)?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let pgrp = fields.nth(1)?.parse::<i32>().ok()?;
    (state != "Z" && state != "X").then_some(pgrp)
}

/// KILLs the group until no live member is left, for at most 5 s.
pub async fn kill_until_gone(pgid: i32) {
    let give_up = Instant::now() + Duration::from_secs(5);
    while Instant::now() < give_up {
        if !alive(pgid) {
            return;
        }
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tracing::warn!(pgid, "process group still alive 5 s after KILL");
}

/// Ends a group as a step is ended: TERM, up to `grace` for it to go, then KILL.
/// Returns the signal that ended it.
pub async fn end(pgid: i32, grace: Duration) -> &'static str {
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGTERM);
    let kill_at = Instant::now() + grace;
    while Instant::now() < kill_at {
        if !alive(pgid) {
            return "SIGTERM";
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill_until_gone(pgid).await;
    "SIGKILL"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_found_by_the_event_it_was_started_as_and_ended_as_a_step_is() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("bash")
            .args(["-c", "sleep 30 & sleep 30"])
            .env("TMINUS_RUN_ID", "run-found")
            .env(STARTED_EVENT, "41")
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = child.id() as i32;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        // bash and both sleeps (or one, where bash hands itself over to the last command).
        while members(pgid, "run-found").unwrap_or(0) < 2 {
            assert!(std::time::Instant::now() < deadline, "the command's processes never showed");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(started_by("run-found", 41), Some(pgid));
        assert_eq!(started_by("run-found", 42), None);
        assert_eq!(started_by("another-run", 41), None);
        assert_eq!(members(pgid, "another-run"), Some(0), "a group of another run is not counted");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        assert_eq!(runtime.block_on(end(pgid, Duration::from_secs(2))), "SIGTERM");
        let _ = child.wait();
        assert!(!alive(pgid));
    }
}
