//! tminus's folders, files and sockets are its account's own: a run leaves its journal, logs
//! and reports owner-only, and another local account that got to a folder of tminus's first
//! (a shared folder, a world-writable `conductors/`) is refused before anything is said to it.
//! The other account is a real one, made with `useradd`: the tests run as root.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use support::{Lead, Sandbox};

const DAY: &str = r#"
[runbook]
name = "day"
[[phase]]
id = "p"
  [[phase.step]]
  id = "deploy"
  run = "echo deployed"
  [[phase.step]]
  id = "go"
  gate = "GO for the day?"
"#;

/// useradd and userdel lock /etc/passwd: one at a time across the tests of this binary.
static ACCOUNTS: Mutex<()> = Mutex::new(());

/// Another person on the machine, gone again when the test ends.
struct Mallory {
    name: String,
    uid: u32,
}

impl Mallory {
    fn new(tag: &str) -> Mallory {
        let name = format!("tmx{tag}{}", std::process::id() % 100_000);
        let _held = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let made = Command::new("useradd").args(["-M", "-s", "/usr/sbin/nologin", &name]).status().unwrap();
        assert!(made.success(), "useradd {name}");
        let uid = nix::unistd::User::from_name(&name).unwrap().unwrap().uid.as_raw();
        Mallory { name, uid }
    }

    /// Runs `program ARGS` as this account, in `dir`, and says whether it succeeded.
    fn does(&self, dir: &Path, program: &str, args: &[&str]) -> std::process::Output {
        Command::new("runuser")
            .args(["-u", &self.name, "--", program])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
    }
}

impl Drop for Mallory {
    fn drop(&mut self) {
        let _held = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap().name
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).mode() & 0o7777
}

/// A sandbox others may write into, as a team's shared folder often is.
fn shared() -> Sandbox {
    let s = Sandbox::new();
    std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    s.write("day.toml", DAY);
    s
}

#[test]
fn a_run_keeps_its_journal_logs_and_report_to_its_own_account() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let mut lead = Lead::start(&s, ".tminus/journal.db", "", "? go:");
    let home = s.path().join(".tminus");
    // While the run goes on: the journal with its log and shared memory, and the socket.
    for file in
        ["journal.db", "journal.db-wal", "journal.db-shm", &format!("conductors/{}.sock", lead.run_id)]
    {
        assert_eq!(mode(&home.join(file)), 0o600, "{file}");
    }
    lead.answer("y");
    assert_eq!(lead.child.wait().unwrap().code(), Some(0));

    for dir in ["", "conductors", "logs", "reports"] {
        assert_eq!(mode(&home.join(dir)), 0o700, ".tminus/{dir}");
    }
    for dir in ["logs", "reports"] {
        let files: Vec<_> = std::fs::read_dir(home.join(dir)).unwrap().flatten().collect();
        assert!(!files.is_empty(), "nothing in {dir}");
        for file in files {
            assert_eq!(mode(&file.path()), 0o600, "{}", file.path().display());
        }
    }
    assert_eq!(mode(&home.join("journal.db")), 0o600);
}

#[test]
fn a_conductors_folder_another_account_made_first_is_refused_before_the_run_starts() {
    let s = shared();
    let mallory = Mallory::new("c");
    assert!(mallory.does(s.path(), "mkdir", &["-m", "0777", "conductors"]).status.success());

    let ran = s.run("day.toml", "y\n", &[]);
    let folder = s.path().join("conductors");
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(
        ran.stderr,
        format!(
            "{} belongs to {}, not {}: refusing to use it; remove it\n",
            folder.display(),
            mallory.name,
            me()
        )
    );
    // Refused before the run was anyone's: nothing ran, and no run is in the journal.
    assert!(!ran.stdout.contains("deployed"), "{}", ran.stdout);
    let runs = s.tminus().args(["runs"]).output();
    assert!(runs.stdout.starts_with("no runs in"), "{}{}", runs.stdout, runs.stderr);

    // Its own folder, which others may write, is refused too.
    std::fs::remove_dir(&folder).unwrap();
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    let ran = s.run("day.toml", "y\n", &[]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(
        ran.stderr,
        format!(
            "{} is writable by others (mode 0777): refusing to use it; remove it or chmod 700\n",
            folder.display()
        )
    );
}

#[test]
fn a_dot_tminus_another_account_made_first_is_refused() {
    let s = shared();
    let mallory = Mallory::new("h");
    assert!(mallory.does(s.path(), "mkdir", &["-m", "0777", ".tminus"]).status.success());
    let ran = s
        .tminus()
        .env("TMINUS_JOURNAL", ".tminus/journal.db")
        .args(["run", "day.toml", "--headless"])
        .output();
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(
        ran.stderr,
        format!(
            "journal .tminus/journal.db: .tminus belongs to {}, not {}: refusing to use it; remove it\n",
            mallory.name,
            me()
        )
    );
    assert!(!s.path().join(".tminus/journal.db").exists(), "nothing is written into it");
}

#[test]
fn rollback_says_nothing_to_a_socket_another_account_put_in_the_conductors_place() {
    let s = shared();
    let mallory = Mallory::new("r");
    let mut lead = Lead::start(&s, s.journal().to_str().unwrap(), "", "? go:");
    let folder = s.path().join("conductors");
    let socket = folder.join(format!("{}.sock", lead.run_id));

    // The shared folder lets Mallory put the lead's folder aside and stand in its place, with
    // a socket of Mallory's own where the conductor's was.
    assert!(mallory.does(s.path(), "mv", &["conductors", "conductors.lead"]).status.success());
    assert!(mallory.does(s.path(), "mkdir", &["-m", "0777", "conductors"]).status.success());
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    std::os::unix::fs::chown(&socket, Some(mallory.uid), None).unwrap();

    let pulled = s.tminus().args(["rollback", "--reason", "error rate over target", "--yes"]).output();
    assert_eq!(pulled.code, 2, "{}{}", pulled.stdout, pulled.stderr);
    assert_eq!(
        pulled.stderr,
        format!(
            "{} belongs to {}, not {}: refusing to use it; remove it\n",
            folder.display(),
            mallory.name,
            me()
        )
    );

    // A folder of the lead's own with Mallory's socket in it: the socket is refused.
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    let listener_too = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    listener_too.set_nonblocking(true).unwrap();
    std::os::unix::fs::chown(&socket, Some(mallory.uid), None).unwrap();
    let pulled = s.tminus().args(["rollback", "--reason", "error rate over target", "--yes"]).output();
    assert_eq!(pulled.code, 2, "{}{}", pulled.stdout, pulled.stderr);
    assert_eq!(
        pulled.stderr,
        format!(
            "{} belongs to {}, not {}: refusing to use it; remove it\n",
            socket.display(),
            mallory.name,
            me()
        )
    );

    for listener in [listener, listener_too] {
        let heard = listener.accept().map(|_| ());
        assert_eq!(
            heard.unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock,
            "the stand-in heard from rollback"
        );
    }
    lead.child.kill().unwrap();
    lead.child.wait().unwrap();
}

#[test]
fn a_log_folder_its_account_cannot_write_sends_the_log_to_stderr_without_a_panic() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let mallory = Mallory::new("l");
    // The run is Mallory's own this time, with a `logs/` Mallory may not write into.
    let chowned = Command::new("chown").args(["-R", &mallory.name]).arg(s.path()).status().unwrap();
    assert!(chowned.success());
    assert!(mallory.does(s.path(), "mkdir", &["-m", "0500", "logs"]).status.success());

    let ran = Command::new("runuser")
        .args(["-u", &mallory.name, "--", env!("CARGO_BIN_EXE_tminus")])
        .args(["run", "day.toml", "--headless", "--yes", "--operator", "ops-lead"])
        .env("TMINUS_JOURNAL", "journal.db")
        .current_dir(s.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&ran.stdout), String::from_utf8_lossy(&ran.stderr));
    assert_eq!(ran.status.code(), Some(0), "{stdout}{stderr}");
    let warnings: Vec<_> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].starts_with("tminus: warning: cannot use ./logs/tminus.log.")
            && warnings[0].ends_with("Permission denied (os error 13); diagnostics go to stderr"),
        "{stderr}"
    );
    assert!(stderr.contains("conductor ready"), "the log is on stderr: {stderr}");
    assert_eq!(mode(&s.path().join("journal.db")), 0o600);
}
