//! A PostgreSQL server of the test's own (initdb and pg_ctl on a free port), so a test can stop
//! it dead and start it again mid-run without touching the machine's shared server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl PrivatePostgres {
    /// A fresh server, started; `None` (said visibly) where PostgreSQL's programs are missing.
    /// Under `CI=true` they must be there.
    pub fn start() -> Option<PrivatePostgres> {
        let Some(bin) = find_bin() else {
            assert!(std::env::var("CI").is_err(), "CI=true: PostgreSQL's initdb and pg_ctl are needed");
            eprintln!("skipped: no initdb/pg_ctl on this machine");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = PrivatePostgres { dir, bin, port };
        if nix::unistd::geteuid().is_root() {
            // PostgreSQL will not run as root: its folder belongs to its own account.
            let account = nix::unistd::User::from_name("postgres").unwrap().expect("a postgres account");
            nix::unistd::chown(server.dir.path(), Some(account.uid), Some(account.gid)).unwrap();
        }
        let data = server.data();
        server.as_owner("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        server.up();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again), waiting until it takes connections.
    pub fn up(&self) {
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.socket_dir());
        let log = format!("{}/server.log", self.socket_dir());
        self.as_owner("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
    }

    /// Stops it dead, as a crash would: no goodbye to any client.
    pub fn kill(&self) {
        self.as_owner("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    fn data(&self) -> String {
        format!("{}/data", self.socket_dir())
    }

    fn socket_dir(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn as_owner(&self, program: &str, args: &[&str]) {
        let out = self
            .owner_command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("PostgreSQL's programs run");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// One of PostgreSQL's programs, run as the account that owns the server's folder.
    fn owner_command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if !nix::unistd::geteuid().is_root() {
            return Command::new(program);
        }
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.owner_command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "stop"]).output();
    }
}

/// The folder of initdb and pg_ctl: on PATH, or Debian's versioned folder.
fn find_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file());
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|d| Path::new(d).join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}
