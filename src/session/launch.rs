//! Starting a conductor process: a new session with no controlling terminal, so a terminal that
//! goes away (a dropped SSH session, a closed laptop, a killed tmux) sends it nothing.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use crate::error::Error;

/// Starts `tminus conduct ARGS` on the journal at `location` and returns the run id once its
/// conductor is ready (its lease held and its socket listening), or the conductor's own error.
pub fn spawn(location: &str, args: &[OsString]) -> Result<String, Error> {
    let exe =
        std::env::current_exe().map_err(|e| Error::Internal(format!("cannot find tminus itself: {e}")))?;
    let mut command = Command::new(exe);
    // On an inherited pipe, in neither its arguments (any login on the machine reads those) nor
    // its environment (which every step it starts would inherit): a journal's URL may hold a
    // password.
    command
        .env_remove("TMINUS_JOURNAL")
        .arg("conduct")
        .arg("--journal-on-stdin")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(std::io::Error::from));
    }
    let mut child = command.spawn().map_err(|e| Error::Internal(format!("cannot start a conductor: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A conductor that died at once says why on stderr, read below.
        let _ = writeln!(stdin, "{location}");
    }
    let mut ready = String::new();
    let stdout = child.stdout.take().expect("piped");
    let _ = BufReader::new(stdout).read_line(&mut ready);
    if let Some(run_id) = ready.trim().strip_prefix("ready ") {
        let run_id = run_id.to_string();
        // Reap it when it ends, so a conductor that is gone never looks alive as a zombie.
        std::thread::spawn(move || child.wait());
        return Ok(run_id);
    }
    let mut why = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut why);
    }
    let status = child.wait().map_err(|e| Error::Internal(format!("the conductor vanished: {e}")))?;
    let why = why.trim();
    Err(Error::Conductor {
        code: status.code().unwrap_or(1),
        why: if why.is_empty() {
            format!("the conductor could not start ({status})")
        } else {
            why.to_string()
        },
    })
}

/// Points stdin, stdout and stderr at /dev/null: the terminal (or pipe) this process was
/// started from may go away at any moment, and the diagnostics go to the log file.
pub fn let_go_of_terminal() {
    let Ok(null) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") else { return };
    let _ = nix::unistd::dup2_stdin(&null);
    let _ = nix::unistd::dup2_stdout(&null);
    let _ = nix::unistd::dup2_stderr(&null);
}
