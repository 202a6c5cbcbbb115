//! One driver per run: whether a lease still belongs to a living lead.

use chrono::{TimeDelta, Utc};
use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use super::store::Lease;

/// A lead renews its lease this often…
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);

/// …and a lease not renewed for this long belongs to a lead that is gone.
pub fn stale_after() -> TimeDelta {
    TimeDelta::seconds(15)
}

impl Lease {
    /// A lease for this process on `run_id`.
    pub fn mine(run_id: &str, holder: &str, host: &str) -> Self {
        let now = Utc::now();
        Lease {
            run_id: run_id.to_string(),
            holder: holder.to_string(),
            host: host.to_string(),
            pid: i64::from(std::process::id()),
            since: now,
            heartbeat: now,
        }
    }

    /// Alive unless its heartbeat is stale, or its process on this host no longer exists.
    pub fn is_alive(&self, stale: TimeDelta) -> bool {
        if Utc::now() - self.heartbeat > stale {
            return false;
        }
        let here = nix::unistd::gethostname().map(|h| h.to_string_lossy() == self.host).unwrap_or(false);
        let gone = here
            && i32::try_from(self.pid)
                .map_or(true, |pid| kill(Pid::from_raw(pid), None) == Err(Errno::ESRCH));
        !gone
    }
}
