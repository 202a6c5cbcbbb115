//! The command line: parse arguments, run the command, map the outcome to an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use tokio::sync::mpsc;

use crate::engine::{self, Engine};
use crate::error::Error;
use crate::journal::{self, Journal, Lease, Mode, RunState, Store};
use crate::runbook::{self, Runbook, format_duration};
use crate::tui::app::Session;
use crate::tui::theme::Theme;
use crate::{headless, report, tui};

#[derive(Debug, Parser)]
#[command(
    name = "tminus",
    version,
    about = "Conduct a deployment day from a runbook: steps, gates, rollback, and a journal that is the report"
)]
pub struct Cli {
    /// The journal: a SQLite file path.
    #[arg(long, global = true, env = "TMINUS_JOURNAL", default_value = journal::DEFAULT_LOCATION)]
    journal: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Drive a run of RUNBOOK.
    Run {
        #[arg(required_unless_present = "resume")]
        runbook: Option<PathBuf>,
        /// Continue run RUN_ID after its lead's session ended (the runbook comes from the journal).
        #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["runbook", "dry_run"])]
        resume: Option<String>,
        /// Plain lines on stdout, prompts answered on stdin.
        #[arg(long)]
        headless: bool,
        /// Answer every prompt yes as the operator; never rolls back, never GO past a failure.
        #[arg(long)]
        yes: bool,
        /// Run `dry_run` commands and checks; never a `run` command that has no dry form.
        #[arg(long)]
        dry_run: bool,
        /// Who drives; recorded on every decision (default: $USER).
        #[arg(long)]
        operator: Option<String>,
        /// Colours of the full screen: default, light, high-contrast, or a theme file.
        #[arg(long, value_name = "NAME|PATH")]
        theme: Option<String>,
    },
    /// Watch a run read-only (default: the newest live run), as the lead sees it.
    Watch {
        run_id: Option<String>,
        #[arg(long, value_name = "NAME|PATH")]
        theme: Option<String>,
    },
    /// Play a finished run back.
    Replay {
        run_id: String,
        /// How many times faster than it happened.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        #[arg(long, value_name = "NAME|PATH")]
        theme: Option<String>,
    },
    /// Validate runbooks without running anything.
    Check {
        #[arg(required = true)]
        runbooks: Vec<PathBuf>,
    },
    /// Print a runbook's timeline.
    Plan { runbook: PathBuf },
    /// List the runs in the journal, newest first.
    Runs,
    /// The stand-in service that rehearsals of the example runbooks check.
    #[command(subcommand, hide = true)]
    ExampleApi(Example),
    /// Render a run's report from the journal (default: the newest run).
    Report {
        run_id: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Write to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// The stand-in service rehearsals check (see `src/example_api.rs`).
#[derive(Debug, Subcommand)]
enum Example {
    /// Serve canned responses from ROOT on 127.0.0.1:PORT.
    Serve {
        #[arg(long)]
        root: PathBuf,
        #[arg(long, default_value_t = 18080)]
        port: u16,
        /// Written once the port listens; removed on exit.
        #[arg(long)]
        pidfile: Option<PathBuf>,
        /// Stop by itself after this long.
        #[arg(long, default_value = "30m", value_parser = runbook::parse_duration)]
        stop_after: std::time::Duration,
    },
    /// Create the SQLite database DB from the statements in SQL.
    LoadDb {
        #[arg(long)]
        sql: PathBuf,
        #[arg(long)]
        db: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Md,
    Json,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tminus: cannot start: {e}");
            return 1;
        }
    };
    let code = match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    };
    // A read of stdin may still be blocked in the runtime's thread pool: the run is over and
    // journaled, so do not wait for a line nobody will type.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

async fn dispatch(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Cmd::Check { runbooks } => check(&runbooks),
        Cmd::Plan { runbook } => {
            let runbook = runbook::load(&runbook)?;
            print!("{}", plan_text(&runbook));
            Ok(0)
        }
        Cmd::Run { runbook, resume, yes, dry_run, operator, headless, theme } => {
            // The full screen only where a person can see it, and never with --yes.
            let screen = if headless || yes || !std::io::stdout().is_terminal() {
                None
            } else {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                Some(Theme::load(theme.as_deref(), no_color)?)
            };
            let operator = operator
                .or_else(|| std::env::var("USER").ok())
                .filter(|o| !o.is_empty())
                .unwrap_or_else(|| "operator".into());
            // An invalid runbook stops here: nothing runs, and no journal is even opened.
            let new = runbook.map(|path| runbook::load(&path)).transpose()?;
            let store = journal::open(&cli.journal).await?;
            let start = match (new, resume) {
                (_, Some(run_id)) => Start::Resume(resume_from(store.as_ref(), &run_id).await?),
                (Some(runbook), None) => Start::New(runbook, if dry_run { Mode::DryRun } else { Mode::Live }),
                (None, None) => unreachable!("clap requires a runbook or --resume"),
            };
            run(start, store, &cli.journal, operator, yes, screen).await
        }
        Cmd::ExampleApi(Example::Serve { root, port, pidfile, stop_after }) => {
            crate::example_api::serve(&root, port, pidfile.as_deref(), stop_after).await?;
            Ok(0)
        }
        Cmd::ExampleApi(Example::LoadDb { sql, db }) => {
            crate::example_api::load_db(&sql, &db).await?;
            Ok(0)
        }
        Cmd::Watch { run_id, theme } => observe(&cli.journal, run_id, None, theme).await,
        Cmd::Replay { run_id, speed, theme } => {
            if !(speed > 0.0 && speed.is_finite()) {
                return Err(Error::Usage(format!("--speed {speed}: give a number above 0, like 10")));
            }
            observe(&cli.journal, Some(run_id), Some(speed), theme).await
        }
        Cmd::Runs => {
            let store = journal::open(&cli.journal).await?;
            let runs = store.runs().await?;
            if runs.is_empty() {
                println!("no runs in {}", store.location());
            }
            for r in runs {
                println!(
                    "{}  {:<28}  {:<12}  {}  {}",
                    r.id,
                    truncate(&r.runbook, 28),
                    truncate(&r.operator, 12),
                    r.started_at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
                    r.outcome.as_deref().unwrap_or("unfinished"),
                );
            }
            Ok(0)
        }
        Cmd::Report { run_id, format, output } => {
            let store = journal::open(&cli.journal).await?;
            let run = store.run(run_id.as_deref()).await?;
            let gathered = report::gather(store.as_ref(), &run.id).await?;
            let text = match format {
                Format::Md => report::markdown(&gathered),
                Format::Json => report::json(&gathered),
            };
            match output {
                Some(path) => write_file(&path, &text)?,
                None => print!("{text}"),
            }
            Ok(0)
        }
    }
}

/// `watch` (no speed) follows a run as it is journaled; `replay` plays a finished one back.
/// Either way the journal is opened read-only: nothing here can write it.
async fn observe(
    location: &str,
    run_id: Option<String>,
    speed: Option<f64>,
    theme: Option<String>,
) -> Result<i32, Error> {
    let store = journal::open_read_only(location).await?;
    let run = match speed {
        None => store.live_run(run_id.as_deref()).await?,
        Some(_) => store.run(run_id.as_deref()).await?,
    };
    let (to, events) = mpsc::channel(64);
    let feed = match speed {
        None => tokio::spawn(journal::follow(store.clone(), run.id.clone(), 0, to)),
        Some(speed) => tokio::spawn(journal::replay(store.clone(), run.id.clone(), speed, to)),
    };
    if std::io::stdout().is_terminal() {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let theme = Theme::load(theme.as_deref(), no_color)?;
        let session = if speed.is_some() { Session::Replay } else { Session::Watching };
        let options =
            tui::Options { operator: run.operator.clone(), theme, session, so_far: RunState::default() };
        tui::drive(events, None, options)
            .await
            .map_err(|e| Error::Internal(format!("the screen failed: {e}")))?;
        feed.abort();
    } else {
        headless::show(events).await;
    }
    match feed.await {
        Ok(Err(e)) => Err(e.into()),
        _ => Ok(0),
    }
}

fn check(paths: &[PathBuf]) -> Result<i32, Error> {
    let mut bad = 0;
    for path in paths {
        match runbook::load(path) {
            Ok(rb) => {
                let steps = rb.steps().count();
                println!(
                    "{}: ok — {} phases, {steps} steps, {} rollback steps",
                    path.display(),
                    rb.phases.len(),
                    rb.rollback.len()
                );
            }
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    Ok(if bad == 0 { 0 } else { 2 })
}

/// A run to drive: a new one, or one picked up from its journal.
enum Start {
    New(Runbook, Mode),
    Resume(Resumed),
}

struct Resumed {
    runbook: Runbook,
    state: Box<RunState>,
}

/// Rebuilds a run from the journal alone, and finds its runbook unchanged.
async fn resume_from(store: &dyn Store, run_id: &str) -> Result<Resumed, Error> {
    let record = store.run(Some(run_id)).await?;
    let state = journal::fold_run(store, &record.id, |_, _| {}).await?;
    if let Some(outcome) = state.outcome {
        return Err(Error::Usage(format!(
            "run {run_id} has already ended ({}): there is nothing to resume",
            outcome.label()
        )));
    }
    let info = state
        .info
        .as_ref()
        .ok_or_else(|| Error::Usage(format!("run {run_id} has no start in the journal")))?;
    let runbook = runbook::load(Path::new(&info.path))?;
    if runbook.hash != info.hash {
        return Err(Error::Usage(format!(
            "{} has changed since run {run_id} began (sha256 {} then, {} now): resume needs the same runbook",
            info.path,
            &info.hash[..12.min(info.hash.len())],
            &runbook.hash[..12.min(runbook.hash.len())]
        )));
    }
    Ok(Resumed { runbook, state: Box::new(state) })
}

async fn run(
    start: Start,
    store: Arc<dyn Store>,
    location: &str,
    operator: String,
    yes: bool,
    screen: Option<Theme>,
) -> Result<i32, Error> {
    crate::logging::init(&journal::logs_dir(location));
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into());
    // The front-end starts from the run as journaled so far: nothing for a new run.
    let (run_id, runbook, mode, so_far) = match &start {
        Start::New(runbook, mode) => (journal::new_run_id(), runbook, *mode, RunState::default()),
        Start::Resume(r) => (r.state.run_id.clone(), &r.runbook, r.state.mode(), (*r.state).clone()),
    };
    let last_seq = so_far.last_seq;
    // One driver per run: a second one is refused while the first is alive.
    let lease = Lease::mine(&run_id, &operator, &host);
    if let Err(held) = store.acquire(&lease, journal::lease::stale_after()).await? {
        return Err(Error::Usage(format!(
            "run {run_id} is driven by {} on {} (pid {}) since {}; its last heartbeat was {}s ago",
            held.holder,
            held.host,
            held.pid,
            held.since.with_timezone(&chrono::Local).format("%H:%M:%S"),
            (chrono::Utc::now() - held.heartbeat).num_seconds()
        )));
    }
    tracing::info!(%run_id, runbook = %runbook.path.display(), "run starting");
    let heartbeat = {
        let (store, lease) = (store.clone(), lease.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(journal::lease::HEARTBEAT).await;
                if let Err(e) = store.heartbeat(&lease).await {
                    tracing::warn!("lease heartbeat failed: {e}");
                }
            }
        })
    };
    let journal = Journal::continuing(store.clone(), run_id.clone(), last_seq, runbook.redactor());
    let (command_tx, command_rx) = mpsc::channel(16);
    // Small: output batches are up to 64 KB each, and a slow reader must slow the run, not grow it.
    let (event_tx, event_rx) = mpsc::channel(16);
    let options = engine::Options { mode, operator: operator.clone(), host };
    let engine = match start {
        Start::New(runbook, _) => {
            tokio::spawn(Engine::new(Arc::new(runbook), journal, options, command_rx, event_tx).run())
        }
        Start::Resume(r) => {
            let engine = Engine::new(Arc::new(r.runbook), journal, options, command_rx, event_tx);
            tokio::spawn(engine.resuming(*r.state).run())
        }
    };
    match screen {
        Some(theme) => {
            let options = tui::Options { operator, theme, session: Session::Lead, so_far };
            if let Err(e) = tui::drive(event_rx, Some(command_tx), options).await {
                // The run goes on without a screen: nothing the engine journals is lost.
                tracing::error!("the screen failed: {e}");
                eprintln!("tminus: the screen failed ({e}); the run went on and is in the journal");
            }
        }
        None => {
            if headless::drive(event_rx, command_tx, headless::Options { operator, yes, so_far }).await {
                // Stop now: dropping the engine kills the step's process group; the journal has
                // everything so far, and the run can be resumed.
                engine.abort();
                return Ok(130);
            }
        }
    }
    let outcome = engine.await.map_err(|e| Error::Internal(format!("the engine stopped: {e}")))?;
    heartbeat.abort();
    let outcome = outcome?;
    store.release(&lease).await?;

    let gathered = report::gather(store.as_ref(), &run_id).await?;
    let path = journal::reports_dir(location).join(format!("{run_id}.md"));
    write_file(&path, &report::markdown(&gathered))?;
    let _ = writeln!(std::io::stdout(), "report: {}", path.display());
    Ok(outcome.exit_code())
}

fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    let io = |source| Error::Write { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = std::fs::File::create(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

/// The timeline as `tminus plan` prints it.
pub fn plan_text(rb: &Runbook) -> String {
    let mut out = String::new();
    let start =
        rb.start.map_or("no start time".to_string(), |s| format!("T-0 {}", s.format("%Y-%m-%d %H:%M %:z")));
    out.push_str(&format!("{} — {start}", rb.name));
    if let Some(owner) = &rb.owner {
        out.push_str(&format!(" — owner {owner}"));
    }
    out.push('\n');
    for phase in &rb.phases {
        let clock = rb.planned_start(phase).map_or("--:--".to_string(), |t| t.format("%H:%M").to_string());
        let rel = phase.at.map(|a| {
            let sign = if a < chrono::TimeDelta::zero() { "-" } else { "+" };
            format!("T{sign}{}", format_duration(a.abs().to_std().unwrap_or_default()))
        });
        let budget = phase.budget.map(|b| format!("budget {}", format_duration(b)));
        let extra: Vec<String> = [rel, budget].into_iter().flatten().collect();
        out.push_str(&format!("\n{clock}  {} ({})  {}\n", phase.title, phase.id, extra.join(", ")));
        for step in &phase.steps {
            out.push_str(&step_line(step));
        }
    }
    if !rb.rollback.is_empty() {
        out.push_str("\nrollback\n");
        for step in &rb.rollback {
            out.push_str(&step_line(step));
        }
    }
    out
}

fn step_line(step: &runbook::Step) -> String {
    let mut flags = Vec::new();
    if !step.critical {
        flags.push("recommended");
    }
    if step.confirm {
        flags.push("confirm");
    }
    if step.undo.is_some() {
        flags.push("undo");
    }
    if step.irreversible {
        flags.push("IRREVERSIBLE");
    }
    if step.dry_run.is_some() {
        flags.push("dry-run form");
    }
    let flags = if flags.is_empty() { String::new() } else { format!("  [{}]", flags.join(", ")) };
    format!("       {:<8} {:<24} {}{flags}\n", step.kind.name(), step.id, step.title)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}
