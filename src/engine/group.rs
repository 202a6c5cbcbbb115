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
    let ours = format!("TMINUS_RUN_ID={run_id}");
    let count = entries
        .flatten()
        .filter(|entry| live_in_group(&entry.path(), pgid))
        .filter(|entry| {
            std::fs::read(entry.path().join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == ours.as_bytes()))
        })
        .count();
    Some(count as u32)
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
    let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) else {
        return false;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return false;
    };
    let mut fields = rest.split_whitespace();
    let state = fields.next();
    let pgrp = fields.nth(1).and_then(|f| f.parse::<i32>().ok());
    pgrp == Some(pgid) && state != Some("Z") && state != Some("X")
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
