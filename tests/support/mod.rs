//! One small builder over the real binary: write a runbook into a temp dir, run tminus there,
//! look at stdout, stderr, the exit code, the journal and the report.

#![allow(dead_code)]

pub mod hook;
pub mod private_postgres;
pub mod server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn journal(&self) -> PathBuf {
        self.path().join("journal.db")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap_or_default()
    }

    pub fn tminus(&self) -> Invocation {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tminus"));
        command.current_dir(self.path()).env("TMINUS_JOURNAL", self.journal()).env_remove("TMINUS_LOG");
        Invocation { command, stdin: Vec::new() }
    }

    /// `tminus run FILE --headless` with the given lines on stdin.
    pub fn run(&self, runbook: &str, stdin: &str, extra: &[&str]) -> Ran {
        self.tminus()
            .args(["run", runbook, "--headless", "--operator", "ops-lead"])
            .args(extra)
            .stdin(stdin)
            .output()
    }

    /// The newest run's report as JSON.
    pub fn report_json(&self) -> serde_json::Value {
        let ran = self.tminus().args(["report", "--format", "json"]).output();
        assert_eq!(ran.code, 0, "report failed: {}", ran.stderr);
        serde_json::from_str(&ran.stdout).expect("report is JSON")
    }

    pub fn report_md(&self) -> String {
        let ran = self.tminus().args(["report"]).output();
        assert_eq!(ran.code, 0, "report failed: {}", ran.stderr);
        ran.stdout
    }

    /// Every byte of the journal's files, WAL included.
    pub fn journal_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.journal().into_os_string();
            name.push(suffix);
            bytes.extend(std::fs::read(PathBuf::from(name)).unwrap_or_default());
        }
        bytes
    }
}

pub struct Invocation {
    command: Command,
    stdin: Vec<u8>,
}

impl Invocation {
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = text.as_bytes().to_vec();
        self
    }

    /// The binary with all three standard streams piped to the test.
    fn spawn(&mut self) -> std::process::Child {
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tminus starts")
    }

    pub fn output(mut self) -> Ran {
        let mut child = self.spawn();
        let mut pipe = child.stdin.take().unwrap();
        let input = std::mem::take(&mut self.stdin);
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Ran {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}

/// The demo on a free port and in its own folder (`demo-stand-ins`), so it runs beside
/// anything else.
pub fn demo(s: &Sandbox, stdin: &str, extra: &[&str]) -> Ran {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/demo.toml");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let dir = s.path().join("demo-stand-ins");
    s.tminus()
        .env("DEMO_API_PORT", &port)
        .env("DEMO_DIR", dir.to_str().unwrap())
        .args(["run", demo, "--headless", "--operator", "ops-lead"])
        .args(extra)
        .stdin(stdin)
        .output()
}

/// The steps of a JSON report, by id.
pub fn step<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["state"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["plan"]["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in report"))
}

impl Invocation {
    /// `tminus check` over files given by path.
    pub fn arg_paths(self, files: &[PathBuf]) -> Self {
        self.args(["check"]).args(files)
    }
}

/// A database URL for tests from an environment variable. On a laptop without the server the
/// test says it skipped; under `CI=true` a missing URL is a failure, never a silent skip.
pub fn database_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set and CI=true: the test needs that database")
        }
        _ => {
            // Straight to the terminal: the test harness shows nothing a passing test prints,
            // and a skip must not read as a pass.
            let test = std::thread::current().name().unwrap_or("a test").to_string();
            let _ =
                writeln!(std::io::stderr(), "\nSKIPPED {test}: set {var} to run it against a real server");
            None
        }
    }
}

impl Invocation {
    /// Runs like a person at the keyboard: reads stdout as it comes, and when a line contains
    /// the next trigger, types that answer. Stdin closes once the script is done.
    pub fn converse(mut self, script: &[(&str, &str)]) -> Ran {
        use std::io::{BufRead, BufReader, Read};
        let mut child = self.spawn();
        let mut stdin = child.stdin.take();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let mut script = script.iter();
        let mut next = script.next();
        let mut stdout = String::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap_or_default();
            stdout.push_str(&line);
            stdout.push('\n');
            if let Some((trigger, answer)) = next
                && line.contains(trigger)
            {
                if let Some(pipe) = stdin.as_mut() {
                    let _ = writeln!(pipe, "{answer}");
                }
                next = script.next();
                if next.is_none() {
                    stdin = None;
                }
            }
        }
        let status = child.wait().unwrap();
        Ran { code: status.code().unwrap_or(-1), stdout, stderr: stderr.join().unwrap() }
    }
}

/// A PostgreSQL URL whose tables live in a fresh schema, so tests never see each other's runs.
pub async fn postgres_schema(base: &str, name: &str) -> String {
    use sqlx::{Connection, Executor};
    let schema = format!("tminus_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(base).await.expect("the test PostgreSQL answers");
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))))
    .await
    .unwrap();
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}options=-c%20search_path%3D{schema}")
}

/// A lead running `day.toml` headless as naledi, in the background, with its stdin open.
pub struct Lead {
    pub child: std::process::Child,
    pub run_id: String,
}

impl Lead {
    /// Starts the lead on `journal`, types `answers`, and returns once a line of its output
    /// contains `until`. The caller waits for it (or kills it); a panic fails the test anyway.
    #[allow(clippy::zombie_processes)]
    pub fn start(sandbox: &Sandbox, journal: &str, answers: &str, until: &str) -> Lead {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_tminus"))
            .current_dir(sandbox.path())
            .env("TMINUS_JOURNAL", journal)
            .args(["run", "day.toml", "--headless", "--operator", "naledi"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("tminus starts");
        child.stdin.as_mut().unwrap().write_all(answers.as_bytes()).unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut run_id = String::new();
        loop {
            let line = lines.next().expect("the lead ended early").unwrap();
            if let Some(rest) = line.split(" · run ").nth(1) {
                run_id = rest.split_whitespace().next().unwrap().to_string();
            }
            if line.contains(until) {
                return Lead { child, run_id };
            }
        }
    }

    pub fn answer(&mut self, line: &str) {
        writeln!(self.child.stdin.as_mut().unwrap(), "{line}").unwrap();
    }
}

/// Whether a live process of group `pgid` is left. Zombies run nothing: with their parent gone,
/// nobody may reap them here.
pub fn group_runs(pgid: i32) -> bool {
    std::fs::read_dir("/proc").into_iter().flatten().flatten().any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, r)| r).split_whitespace().collect();
        fields.get(2) == Some(&pgid.to_string().as_str()) && !matches!(fields.first(), Some(&"Z" | &"X"))
    })
}

/// Logins of the test's own on the shared server: dropped first, so a rerun starts clean.
pub async fn logins(base: &str, names: &[&str]) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
    for name in names {
        let _ = conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP OWNED BY {name}")))).await;
        let _ = conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS {name}")))).await;
        conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE ROLE {name} LOGIN")))).await.unwrap();
    }
}
