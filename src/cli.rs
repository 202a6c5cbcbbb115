//! The command line: parse arguments, run the command, map the outcome to an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use tokio::sync::mpsc;

use crate::error::Error;
use crate::journal::{self, Mode, RunRecord, RunState, Store};
use crate::runbook::{self, Runbook, format_duration};
use crate::sanitize::one_line;
use crate::session::client::{Client, ConnectError};
use crate::session::{self, Conducting, Start, launch};
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
    /// The journal: a SQLite file path, or postgres://[user[:password]@]host[:port]/database.
    #[arg(long, global = true, env = "TMINUS_JOURNAL", default_value = journal::DEFAULT_LOCATION)]
    journal: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Start a run of RUNBOOK in a conductor of its own and open the lead's screen on it.
    Run {
        #[arg(required_unless_present = "resume")]
        runbook: Option<PathBuf>,
        /// Go back to run RUN_ID (as `attach` does); a run whose conductor is gone is resumed.
        #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["runbook", "dry_run", "new"])]
        resume: Option<String>,
        /// Start a new run even when this runbook already has a live one in the journal.
        #[arg(long)]
        new: bool,
        /// Plain lines on stdout, prompts answered on stdin.
        #[arg(long)]
        headless: bool,
        /// Answer every prompt yes as the operator; never rolls back, never GO past a failure.
        #[arg(long)]
        yes: bool,
        /// Run `dry_run` commands and checks; never a `run` command that has no dry form.
        #[arg(long)]
        dry_run: bool,
        /// Send the runbook's [[notify]] notifications in a dry run too.
        #[arg(long)]
        notify: bool,
        /// Who drives; recorded on every decision (default: $USER).
        #[arg(long)]
        operator: Option<String>,
        /// Colours of the full screen: default, light, high-contrast, or a theme file.
        #[arg(long, value_name = "NAME|PATH")]
        theme: Option<String>,
        /// Move T-0 for a rehearsal: 09:00 (today, in the runbook's offset), now, now+15m, or
        /// an RFC 3339 time. Without it, a runbook dated on an earlier day starts today at its
        /// time; the T-0 used is journaled.
        #[arg(long, value_name = "TIME", conflicts_with = "resume")]
        start: Option<String>,
        /// Start at once, even when the first phase is planned more than 5 minutes ahead (the
        /// screen otherwise opens on the plan and its countdown, and waits for S).
        #[arg(long, conflicts_with = "resume")]
        go_now: bool,
    },
    /// Open the lead's screen on a live run (default: the newest); a run whose conductor is
    /// gone is picked up again.
    Attach {
        run_id: Option<String>,
        /// Who drives; recorded next to your login on every decision (default: $USER).
        #[arg(long)]
        operator: Option<String>,
        #[arg(long, value_name = "NAME|PATH")]
        theme: Option<String>,
        /// Become the lead, if your role may drive (journaled: from whom, to whom).
        #[arg(long)]
        take_over: bool,
    },
    /// The conductor of one run, on its own (started by `run` and `attach`).
    #[command(hide = true)]
    Conduct {
        #[arg(required_unless_present = "resume")]
        runbook: Option<PathBuf>,
        #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["runbook", "dry_run"])]
        resume: Option<String>,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        notify: bool,
        #[arg(long)]
        operator: String,
        /// T-0 as `run` settled it (RFC 3339).
        #[arg(long, conflicts_with = "resume")]
        start: Option<String>,
        /// The journal's address comes as the first line of stdin.
        #[arg(long)]
        journal_on_stdin: bool,
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
    /// Turn a Markdown deployment plan into a draft runbook that passes `check`.
    Import {
        markdown: PathBuf,
        /// Write the draft to FILE (default: stdout; the summary goes to stderr either way).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
        /// T-0: a clock time (09:00) or a date and time (2025-11-27T09:00+02:00).
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
    },
    /// List the runs in the journal, newest first, with whether each live run's conductor is
    /// alive and what it waits on.
    Runs,
    /// The stand-in service that rehearsals of the example runbooks check.
    #[command(subcommand, hide = true)]
    ExampleApi(Example),
    /// A step's whole output from the journal, byte for byte as journaled (secrets masked);
    /// without STEP, every step's, each under a header.
    Log {
        run_id: String,
        step: Option<String>,
        /// Only this attempt of the step (1 is the first).
        #[arg(long, value_name = "N")]
        attempt: Option<u32>,
        #[arg(long, value_enum)]
        stream: Option<LogStream>,
    },
    /// Sign the gate that waits for your role, from your own terminal (default: the newest live
    /// run); without --go or --no-go it shows the gate and asks.
    Sign {
        run_id: Option<String>,
        /// The role you sign as (default: the one the gate waits for).
        #[arg(long)]
        role: Option<String>,
        #[arg(long, conflicts_with = "no_go")]
        go: bool,
        #[arg(long, value_name = "REASON")]
        no_go: Option<String>,
        /// Your name as the record shows it next to your login (default: $USER).
        #[arg(long)]
        operator: Option<String>,
    },
    /// Pull the rollback from your own terminal, if your role may (default: the newest live run).
    Rollback {
        run_id: Option<String>,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        operator: Option<String>,
        /// Roll back without asking: for scripts, which have no terminal to type yes on.
        #[arg(long)]
        yes: bool,
    },
    /// PostgreSQL journal: set what a database login may do (run as the journal's owner).
    Grant {
        login: String,
        #[arg(value_enum)]
        level: GrantLevel,
    },
    /// Check a run's journal (default: the newest run): every event present, unchanged and
    /// written by its conductor, as the hash chain says.
    Verify {
        run_id: Option<String>,
        /// A chain head kept elsewhere (a notification, a report): SEQ:HASH. The journal must
        /// still hold it.
        #[arg(long, value_name = "HEAD")]
        witness: Option<String>,
    },
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
        /// Stop as soon as this run has ended in the journal (runbooks pass $TMINUS_RUN_ID).
        #[arg(long, value_name = "RUN_ID")]
        while_run: Option<String>,
    },
    /// Create the SQLite database DB from the statements in SQL.
    LoadDb {
        #[arg(long)]
        sql: PathBuf,
        #[arg(long)]
        db: PathBuf,
    },
}

/// What `tminus grant` gives a login.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum GrantLevel {
    /// Read the journal only.
    Watch,
    /// Also sign and roll back through the inbox (as the runbook's roles allow).
    Sign,
    /// Also run a conductor.
    Drive,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogStream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Md,
    Json,
    Junit,
    Html,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    crate::allocator::tune();
    let mut cli = Cli::parse();
    if let Cmd::Conduct { journal_on_stdin: true, .. } = cli.command {
        match journal_from_stdin() {
            Ok(location) => cli.journal = location,
            Err(why) => {
                print_err(&why);
                return 2;
            }
        }
    }
    export_journal(&cli.journal);
    let hide = journal::password_redactor(&cli.journal);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            print_err(&format!("tminus: cannot start: {e}"));
            return 1;
        }
    };
    let code = match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            print_err(&hide.text(&e.to_string()));
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
            print_out(&plan_text(&runbook))?;
            Ok(0)
        }
        Cmd::Import { markdown, output, force, start } => {
            import(&markdown, output.as_deref(), force, start.as_deref())
        }
        Cmd::Run { runbook, resume, new, yes, dry_run, notify, operator, headless, theme, start, go_now } => {
            let operator = operator_name(operator);
            // A bad --theme is an error in every mode, not only where a screen would use it.
            let theme = load_theme(theme.as_deref())?;
            // The full screen only where a person can see it, and never with --yes.
            let screen = if headless || yes || !std::io::stdout().is_terminal() { None } else { Some(theme) };
            // An invalid runbook stops here: nothing runs, and no journal is even opened.
            let mut runbook = runbook.map(|path| runbook::load(&path)).transpose()?;
            if let Some(runbook) = &mut runbook {
                runbook.start =
                    crate::engine::start::effective(start.as_deref(), runbook.start, chrono::Utc::now())
                        .map_err(Error::Usage)?;
            }
            let location = cli.journal.as_str();
            match (runbook, resume) {
                (_, Some(run_id)) => match screen {
                    Some(theme) => attach(location, Some(run_id), &operator, theme, false).await,
                    None => {
                        let store = journal::open(location).await?;
                        let resumed = session::resume_from(store.as_ref(), &run_id).await?;
                        headless_run(Start::Resume(resumed), store, location, operator, yes, notify).await
                    }
                },
                (Some(runbook), None) => {
                    let mode = if dry_run { Mode::DryRun } else { Mode::Live };
                    let store = journal::open(location).await?;
                    if !new && let Some(live) = live_run_of(store.as_ref(), &runbook).await? {
                        // In a terminal the lead may go back to it; otherwise, refuse.
                        if let Some(theme) = screen
                            && ask_to_attach(&live)?
                        {
                            return attach(location, Some(live.id), &operator, theme, false).await;
                        }
                        return Err(Error::Usage(format!(
                            "{} has a live run in this journal: {} (started {} by {}); `tminus attach {}` goes back to it, or give --new",
                            runbook.path.display(),
                            live.id,
                            live.started_at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
                            live.operator,
                            live.id
                        )));
                    }
                    match screen {
                        Some(theme) => {
                            let mut args: Vec<std::ffi::OsString> = vec![
                                runbook.path.clone().into(),
                                "--operator".into(),
                                operator.clone().into(),
                            ];
                            if dry_run {
                                args.push("--dry-run".into());
                            }
                            if notify {
                                args.push("--notify".into());
                            }
                            if let Some(start) = runbook.start {
                                args.extend(["--start".into(), start.to_rfc3339().into()]);
                            }
                            // Opened early: the plan and its countdown first, until the lead starts it.
                            let info = crate::engine::run_info(&runbook, mode, &operator, "");
                            let theme = if !go_now
                                && crate::engine::start::first_phase_ahead(&info, chrono::Utc::now())
                                    .is_some()
                            {
                                let theme_again = theme.clone();
                                match tui::preview(info, operator.clone(), theme).await {
                                    Ok(tui::Leaving::Start) => theme_again,
                                    Ok(_) => {
                                        let _ = writeln!(std::io::stdout(), "nothing started.");
                                        return Ok(0);
                                    }
                                    Err(e) => return Err(Error::Internal(format!("the screen failed: {e}"))),
                                }
                            } else {
                                theme
                            };
                            let run_id = launch::spawn(location, &args)?;
                            attach(location, Some(run_id), &operator, theme, false).await
                        }
                        None => {
                            headless_run(Start::New(runbook, mode), store, location, operator, yes, notify)
                                .await
                        }
                    }
                }
                (None, None) => unreachable!("clap requires a runbook or --resume"),
            }
        }
        Cmd::Attach { run_id, operator, theme, take_over } => {
            let operator = operator_name(operator);
            let theme = load_theme(theme.as_deref())?;
            if !std::io::stdout().is_terminal() {
                return Err(Error::Usage(
                    "attach opens the lead's screen and needs a terminal; `tminus run --resume RUN_ID --headless` picks a run up without one".into(),
                ));
            }
            attach(&cli.journal, run_id, &operator, theme, take_over).await
        }
        Cmd::Conduct { runbook, resume, dry_run, notify, operator, start: t0, .. } => {
            let location = cli.journal.as_str();
            let store = journal::open(location).await?;
            let start = match (runbook, resume) {
                (_, Some(run_id)) => Start::Resume(session::resume_from(store.as_ref(), &run_id).await?),
                (Some(path), None) => {
                    let mut runbook = runbook::load(&path)?;
                    if let Some(t0) = t0 {
                        let t0 = chrono::DateTime::parse_from_rfc3339(&t0)
                            .map_err(|e| Error::Usage(format!("--start {t0}: {e}")))?;
                        runbook.start = Some(t0);
                    }
                    Start::New(runbook, if dry_run { Mode::DryRun } else { Mode::Live })
                }
                (None, None) => unreachable!("clap requires a runbook or --resume"),
            };
            let conducting =
                Conducting::prepare(start, store, location, &operator).await?.notify_dry_run(notify);
            session::detached(conducting).await
        }
        Cmd::ExampleApi(Example::Serve { root, port, pidfile, stop_after, while_run }) => {
            let location = cli.journal.clone();
            let ended = async move {
                match while_run {
                    Some(run_id) => crate::example_api::run_ended(location, run_id).await,
                    None => std::future::pending().await,
                }
            };
            crate::example_api::serve(&root, port, pidfile.as_deref(), stop_after, ended).await?;
            Ok(0)
        }
        Cmd::ExampleApi(Example::LoadDb { sql, db }) => {
            crate::example_api::load_db(&sql, &db).await?;
            Ok(0)
        }
        Cmd::Watch { run_id, theme } => {
            observe(&cli.journal, run_id, None, load_theme(theme.as_deref())?).await
        }
        Cmd::Replay { run_id, speed, theme } => {
            if !(speed > 0.0 && speed.is_finite()) {
                return Err(Error::Usage(format!("--speed {speed}: give a number above 0, like 10")));
            }
            observe(&cli.journal, Some(run_id), Some(speed), load_theme(theme.as_deref())?).await
        }
        Cmd::Runs => {
            // Reading never creates a journal: an empty folder has none, and says so.
            let store = journal::open_read_only(&cli.journal).await?;
            let runs = store.runs().await?;
            if runs.is_empty() {
                print_out(&format!("no runs in {}\n", store.location()))?;
                return Ok(0);
            }
            print_out(&format!(
                "{:<22}  {:<28}  {:<12}  {:<16}  {}\n",
                "Run", "Runbook", "Lead", "Started", "State"
            ))?;
            for r in runs {
                let state = run_state(store.as_ref(), &r).await?;
                // Escaped before it is cut, so the columns stay as wide as they say.
                let line = format!(
                    "{:<22}  {:<28}  {:<12}  {:<16}  {}\n",
                    r.id,
                    truncate(&one_line(&r.runbook), 28),
                    truncate(&one_line(&r.operator), 12),
                    r.started_at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string(),
                    one_line(&state),
                );
                // A reader that went away (`| head`) ends the listing quietly.
                if !print_out(&line)? {
                    break;
                }
            }
            Ok(0)
        }
        Cmd::Log { run_id, step, attempt, stream } => {
            let store = journal::open_read_only(&cli.journal).await?;
            let run = store.run(Some(&run_id)).await?;
            let stream = stream.map(|s| match s {
                LogStream::Stdout => journal::Stream::Stdout,
                LogStream::Stderr => journal::Stream::Stderr,
            });
            print_log(store.as_ref(), &run.id, journal::log::Selection { step, attempt, stream }).await
        }
        Cmd::Sign { run_id, role, go, no_go, operator } => {
            let verdict = match (go, no_go) {
                (true, _) => Some(session::remote::Verdict::Go),
                (false, Some(reason)) => Some(session::remote::Verdict::NoGo(reason)),
                (false, None) => None,
            };
            let name = operator_name(operator);
            session::remote::sign(&cli.journal, run_id.as_deref(), role.as_deref(), verdict, &name).await
        }
        Cmd::Rollback { run_id, reason, operator, yes } => {
            let name = operator_name(operator);
            session::remote::rollback(&cli.journal, run_id.as_deref(), reason, &name, yes).await
        }
        Cmd::Grant { login, level } => {
            // The tables must be there, as their owner made them.
            journal::open(&cli.journal).await?;
            let level = match level {
                GrantLevel::Watch => journal::grants::Level::Watch,
                GrantLevel::Sign => journal::grants::Level::Sign,
                GrantLevel::Drive => journal::grants::Level::Drive,
            };
            journal::grants::grant(&cli.journal, &login, level).await?;
            print_out(&format!(
                "{login} may now {}\n",
                match level {
                    journal::grants::Level::Watch => "watch this journal, and nothing more",
                    journal::grants::Level::Sign =>
                        "watch, and sign or roll back as the runbook's roles allow",
                    journal::grants::Level::Drive => "watch, sign, and conduct runs",
                }
            ))?;
            Ok(0)
        }
        Cmd::Verify { run_id, witness } => {
            let witness =
                witness.as_deref().map(journal::evidence::parse_witness).transpose().map_err(Error::Usage)?;
            let store = journal::open_read_only(&cli.journal).await?;
            let run = store.run(run_id.as_deref()).await?;
            let examined = journal::evidence::examine(store.as_ref(), &run, witness).await?;
            let mut said = format!("run {}: {}\n", run.id, examined.verdict);
            if let Some((key, trust)) = &examined.signer {
                said.push_str(&format!("key {key}: {trust}\n"));
            }
            print_out(&said)?;
            Ok(if examined.holds() { 0 } else { 1 })
        }
        Cmd::Report { run_id, format, output } => {
            let store = journal::open_read_only(&cli.journal).await?;
            let run = store.run(run_id.as_deref()).await?;
            let gathered = report::gather(store.as_ref(), &run.id).await?;
            let text = match format {
                Format::Md => report::markdown(&gathered),
                Format::Json => report::json(&gathered),
                Format::Junit => report::junit(&gathered),
                Format::Html => report::html(&gathered),
            };
            match output {
                Some(path) => write_file(&path, &text, OWNER_ONLY)?,
                None => {
                    print_out(&text)?;
                }
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
    theme: Theme,
) -> Result<i32, Error> {
    let store = journal::open_read_only(location).await?;
    let run = match speed {
        None => store.live_run(run_id.as_deref()).await?,
        Some(_) => store.run(run_id.as_deref()).await?,
    };
    let (to, events) = mpsc::channel(journal::PAGE as usize);
    let feed = match speed {
        None => tokio::spawn(journal::follow(store.clone(), run.id.clone(), 0, to)),
        Some(speed) => tokio::spawn(journal::replay(store.clone(), run.id.clone(), speed, to)),
    };
    if std::io::stdout().is_terminal() {
        let session = if speed.is_some() { Session::Replay } else { Session::Watching };
        let health = speed
            .is_none()
            .then(|| conductor_health(store.clone(), run.id.clone(), location.to_string(), None));
        let options = tui::Options {
            operator: run.operator.clone(),
            login: None,
            theme,
            session,
            so_far: RunState::default(),
            health,
            journal: Some(store.clone()),
        };
        tui::drive(events, None, options)
            .await
            .map_err(|e| Error::Internal(format!("the screen failed: {e}")))?;
        feed.abort();
    } else {
        let health = speed
            .is_none()
            .then(|| conductor_health(store.clone(), run.id.clone(), location.to_string(), None));
        headless::show(events, health).await;
    }
    match feed.await {
        Ok(Err(e)) => Err(e.into()),
        _ => Ok(0),
    }
}

/// `tminus import`: the draft to a file (never over one unless forced) or stdout, the summary
/// to stderr.
fn import(markdown: &Path, output: Option<&Path>, force: bool, start: Option<&str>) -> Result<i32, Error> {
    use crate::import::{ImportError, import_file};
    if let Some(out) = output.filter(|o| o.exists() && !force) {
        return Err(ImportError::Exists { path: out.to_path_buf() }.into());
    }
    let name = output.map_or_else(|| "DRAFT.toml".to_string(), |o| o.display().to_string());
    let imported = import_file(markdown, &name, start)?;
    match output {
        Some(out) => {
            write_file(out, &imported.toml, AS_UMASK_SAYS)?;
            print_err(imported.summary.trim_end());
            print_err(&format!("wrote {}; next: tminus check {name} && tminus plan {name}", out.display()));
        }
        None => {
            print_out(&imported.toml)?;
            print_err(imported.summary.trim_end());
        }
    }
    Ok(0)
}

fn check(paths: &[PathBuf]) -> Result<i32, Error> {
    let mut bad = 0;
    for path in paths {
        match runbook::load(path) {
            Ok(rb) => {
                let steps = rb.steps().count();
                print_out(&format!(
                    "{}: ok — {} phases, {steps} steps, {} rollback steps\n",
                    path.display(),
                    rb.phases.len(),
                    rb.rollback.len()
                ))?;
            }
            Err(e) => {
                bad += 1;
                print_err(&e.to_string());
            }
        }
    }
    Ok(if bad == 0 { 0 } else { 2 })
}

/// A run's state as `tminus runs` says it: its outcome, or for a live run whether its
/// conductor is alive and what the run waits on.
async fn run_state(store: &dyn Store, run: &RunRecord) -> Result<String, Error> {
    if let Some(outcome) = &run.outcome {
        return Ok(outcome_words(outcome));
    }
    let conductor = match store.lease(&run.id).await? {
        Some(lease) if lease.is_alive(journal::lease::stale_after()) => {
            format!("live · conductor pid {} on {}", lease.pid, lease.host)
        }
        _ => return Ok(format!("conductor gone · `tminus attach {}` resumes it", run.id)),
    };
    let state = journal::fold_run(store, &run.id, |_, _| {}).await?;
    let doing = match (
        &state.waiting,
        state.steps.iter().find(|s| s.status == journal::state::StepStatus::Running),
    ) {
        (Some(w), _) if w.prompt.blocks() => format!(
            " · waits on {} ({}) since {}",
            w.step.as_deref().unwrap_or("the run"),
            w.prompt.name(),
            w.since.with_timezone(&chrono::Local).format("%H:%M:%S")
        ),
        (_, Some(step)) => format!(" · running {}", step.plan.id),
        _ => String::new(),
    };
    Ok(format!("{conductor}{doing}"))
}

fn operator_name(operator: Option<String>) -> String {
    operator
        .or_else(|| std::env::var("USER").ok())
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| "operator".into())
}

fn load_theme(theme: Option<&str>) -> Result<Theme, Error> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Ok(Theme::load(theme, no_color)?)
}

/// `tminus log`: the selected output to stdout as journaled; a header before each command's
/// output only when every step's is asked for. A reader that goes away ends it quietly.
async fn print_log(
    store: &dyn Store,
    run_id: &str,
    selection: journal::log::Selection,
) -> Result<i32, Error> {
    use journal::log::Piece;
    let headers = selection.step.is_none();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let wrote = journal::log::output(store, run_id, &selection, |piece| match piece {
        Piece::Began { step, role, attempt } if headers => {
            let what = match role {
                journal::Role::Undo => "undo".to_string(),
                journal::Role::Rollback => "rollback step".to_string(),
                journal::Role::Main => format!("attempt {attempt}"),
            };
            writeln!(out, "==> {step} ({what}) <==")
        }
        Piece::Began { .. } => Ok(()),
        Piece::Bytes(bytes) => out.write_all(bytes),
    })
    .await?;
    let found = match wrote.and_then(|found| out.flush().map(|()| found)) {
        Ok(found) => found,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => return Err(Error::Internal(format!("cannot write the log: {e}"))),
    };
    match (&selection.step, selection.attempt, found) {
        (Some(step), Some(n), false) => {
            Err(Error::Usage(format!("run {run_id}: step `{step}` has no attempt {n} in the journal")))
        }
        (Some(step), None, false) => Err(Error::Usage(format!(
            "run {run_id}: no command of a step `{step}` ran (see `tminus report {run_id}`)"
        ))),
        _ => Ok(0),
    }
}

/// Whether a run's conductor is heard from, every two seconds: `None` while its lease is
/// alive, else what a watcher should be told.
/// A screen attached to the conductor also hears what it says of itself (`said`), first.
fn conductor_health(
    store: Arc<dyn Store>,
    run_id: String,
    location: String,
    said: Option<tokio::sync::watch::Receiver<Option<String>>>,
) -> tokio::sync::watch::Receiver<Option<String>> {
    let (tx, rx) = tokio::sync::watch::channel(None);
    let hide = journal::password_redactor(&location);
    tokio::spawn(async move {
        let mut unreadable_since = None;
        loop {
            let from_conductor = said.as_ref().and_then(|s| s.borrow().clone());
            let read = store.lease(&run_id).await;
            if read.is_ok() {
                unreadable_since = None;
            }
            let said = match read {
                _ if from_conductor.is_some() => from_conductor,
                Ok(Some(lease)) if lease.is_alive(journal::lease::stale_after()) => None,
                Ok(lease) => {
                    let silent = lease.map(|l| chrono::Utc::now() - l.heartbeat);
                    let how_long = silent
                        .and_then(|d| d.to_std().ok())
                        .map(|d| {
                            format!(" for {}", format_duration(std::time::Duration::from_secs(d.as_secs())))
                        })
                        .unwrap_or_default();
                    let journal = if location == journal::DEFAULT_LOCATION {
                        String::new()
                    } else {
                        format!(" --journal {}", journal::mask_password(&location))
                    };
                    Some(format!(
                        "lead's conductor silent{how_long}; `tminus{journal} attach {run_id}` resumes it"
                    ))
                }
                Err(e) => {
                    let since = *unreadable_since.get_or_insert_with(chrono::Local::now);
                    let e = hide.text(&e.to_string()).into_owned();
                    Some(format!("journal unavailable since {}, reconnecting: {e}", since.format("%H:%M:%S")))
                }
            };
            if tx.send(said).is_err() {
                return;
            }
            tokio::time::sleep(journal::lease::HEARTBEAT).await;
        }
    });
    rx
}

/// The newest unfinished run of this very runbook file in the journal, if any.
async fn live_run_of(store: &dyn Store, runbook: &Runbook) -> Result<Option<RunRecord>, Error> {
    let path = std::fs::canonicalize(&runbook.path).unwrap_or_else(|_| runbook.path.clone());
    let path = path.display().to_string();
    Ok(store.runs().await?.into_iter().find(|r| r.outcome.is_none() && r.path == path))
}

/// Asks on the terminal whether to go back to the live run rather than start another.
fn ask_to_attach(live: &RunRecord) -> Result<bool, Error> {
    let mut out = std::io::stdout();
    let _ = write!(
        out,
        "{} has a live run: {} (started {} by {}). Attach to it instead? [Y/n] ",
        live.runbook,
        live.id,
        live.started_at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
        live.operator
    );
    let _ = out.flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::Internal(format!("cannot read the answer: {e}")))?;
    Ok(!answer.trim().to_ascii_lowercase().starts_with('n'))
}

/// The conductor in the foreground, with stdin as its client and one line per event on stdout.
async fn headless_run(
    start: Start,
    store: Arc<dyn Store>,
    location: &str,
    operator: String,
    yes: bool,
    notify: bool,
) -> Result<i32, Error> {
    let so_far = match &start {
        Start::New(..) => RunState::default(),
        Start::Resume(r) => r.state().clone(),
    };
    let conducting = Conducting::prepare(start, store, location, &operator).await?.notify_dry_run(notify);
    let (acts, local) = mpsc::channel(16);
    // Small: an output batch may be a megabyte, and a slow reader must slow the run, not grow it.
    let (event_tx, event_rx) = mpsc::channel(16);
    let mut run = tokio::spawn(conducting.run(Some(local), Some(event_tx), None));
    let printer = headless::drive(event_rx, acts, headless::Options { operator, yes, so_far });
    tokio::pin!(printer);
    let finished = tokio::select! {
        finished = &mut run => Some(finished),
        stop_now = &mut printer => {
            if stop_now {
                // Stop now: dropping the conductor kills the step's process group; the journal has
                // every event so far, and the run can be resumed from it.
                run.abort();
                return Ok(130);
            }
            None
        }
    };
    let finished = match finished {
        Some(finished) => finished,
        None => run.await,
    };
    let (outcome, report) =
        finished.map_err(|e| Error::Internal(format!("the conductor stopped: {e}")))??;
    // The printer shows every event before the run's task returns; let it finish the last lines.
    print_out(&format!("report: {}\n", report.display()))?;
    Ok(outcome.exit_code())
}

/// Opens the lead's screen on a run: its conductor's if it is alive, else a new conductor picks
/// the run up from the journal first.
async fn attach(
    location: &str,
    run_id: Option<String>,
    operator: &str,
    theme: Theme,
    take_over: bool,
) -> Result<i32, Error> {
    // Read-only: a login that may only sign or drive attaches too; a conductor started here
    // opens the journal for writing itself.
    let store = journal::open_read_only(location).await?;
    let run = store.live_run(run_id.as_deref()).await?;
    if let Some(outcome) = &run.outcome {
        return Err(Error::Usage(format!(
            "run {} has already ended ({}): `tminus report {}` shows it, `tminus replay {}` plays it back",
            run.id,
            outcome_words(outcome),
            run.id,
            run.id
        )));
    }
    let path = session::socket_path(location, &run.id);
    let here = || crate::engine::os_login(nix::unistd::getuid());
    // One identity rule: on a shared journal this screen's acts go through its inbox, as the
    // database login, even beside the conductor; its socket then only says how it is.
    let shared = session::remote::inbox_forwarding(location, &run.id, operator).await?;
    let mut presence = None;
    let mut on_socket = |client: Client, shared: Option<(crate::session::client::Forwarding, String)>| {
        let said = client.health();
        match shared {
            Some((forwarding, login)) => {
                presence = Some(client.forward());
                (forwarding, Some(said), login)
            }
            None => (client.forward(), Some(said), here()),
        }
    };
    let (client, said, login) = match Client::connect(&path, operator, true).await {
        Ok(client) => on_socket(client, shared),
        Err(ConnectError::Untrusted(refused)) => return Err(refused.into()),
        Err(ConnectError::Io(_)) => {
            match store.lease(&run.id).await?.filter(|l| l.is_alive(journal::lease::stale_after())) {
                // Its conductor runs on another machine: this screen speaks through the shared
                // journal's inbox, as the database login.
                Some(lease) => match shared {
                    Some((forwarding, login)) => (forwarding, None, login),
                    None => {
                        return Err(Error::Usage(format!(
                            "run {} is conducted by {} on {} (pid {}), but its socket {} does not answer here",
                            run.id,
                            lease.holder,
                            lease.host,
                            lease.pid,
                            path.display()
                        )));
                    }
                },
                None => {
                    // The conductor is gone (kill -9, a reboot): a new one picks the run up.
                    launch::spawn(
                        location,
                        &["--resume".into(), run.id.clone().into(), "--operator".into(), operator.into()],
                    )?;
                    let client = Client::connect(&path, operator, true).await.map_err(|e| {
                        Error::Internal(format!("the resumed conductor of {} does not answer: {e}", run.id))
                    })?;
                    on_socket(client, shared)
                }
            }
        }
    };
    let watch = journal::open_read_only(location).await?;
    let (to, events) = mpsc::channel(journal::PAGE as usize);
    let feed = tokio::spawn(journal::follow(watch.clone(), run.id.clone(), 0, to));
    if take_over {
        // Journaled as a handover, or as refused when this login's role may not drive.
        let _ = client.acts.send(crate::engine::Act::TakeOver).await;
    }
    let options = tui::Options {
        operator: operator.to_string(),
        login: Some(login),
        theme,
        session: Session::Lead,
        so_far: RunState::default(),
        health: Some(conductor_health(
            journal::open_read_only(location).await?,
            run.id.clone(),
            location.to_string(),
            said,
        )),
        journal: Some(watch),
    };
    let screen = tui::drive(events, Some(client.acts), options).await;
    feed.abort();
    let (leaving, state) = screen.map_err(|e| Error::Internal(format!("the screen failed: {e}")))?;
    if leaving == tui::Leaving::Lost {
        // Say nothing: the terminal is gone. Hanging up, the conductor journals the screen as lost.
        client.task.abort();
        return Ok(0);
    }
    // Every act is sent and the goodbye said before the screen's process ends.
    let presence = presence.map(|p| (p.leave, p.task));
    for (leave, task) in [Some((client.leave, client.task)), presence].into_iter().flatten() {
        let _ = leave.send(());
        let _ = task.await;
    }
    Ok(match state.outcome {
        Some(outcome) => outcome.exit_code(),
        None => {
            print_out(&format!(
                "detached from run {}: it goes on. `tminus attach {}` comes back to it.\n",
                run.id, run.id
            ))?;
            0
        }
    })
}

/// Tells the commands a run starts where its journal is (`TMINUS_JOURNAL`), so a rehearsal's
/// stand-in can stop when the run ends. A file journal's path is made absolute, as commands run
/// in the runbook's folder. A URL is taken out of the environment: it may hold a password, and
/// no runbook command is given it.
fn export_journal(location: &str) {
    // SAFETY: called before the runtime starts, while this is the process's only thread.
    match journal::Address::parse(location) {
        Ok(journal::Address::File(path)) => {
            let path = std::path::absolute(&path).unwrap_or(path);
            unsafe { std::env::set_var("TMINUS_JOURNAL", path) };
        }
        _ => unsafe { std::env::remove_var("TMINUS_JOURNAL") },
    }
}

/// The journal's address as the process that started this conductor gave it: one line on
/// stdin, an inherited pipe, so it is in no environment or argument list a step could read.
fn journal_from_stdin() -> Result<String, String> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("tminus: no journal address on stdin: {e}"))?;
    match line.trim_end_matches(['\r', '\n']) {
        "" => Err("tminus: no journal address on stdin".into()),
        location => Ok(location.to_string()),
    }
}

/// Writes `text` to stdout. A reader that went away (`| head`) ends the output quietly: the
/// answer is `false`, and the caller stops printing. Any other failure is an error.
fn print_out(text: &str) -> Result<bool, Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(source) => Err(Error::Write { path: PathBuf::from("stdout"), source }),
    }
}

/// A line on stderr; a stderr that is closed is not worth a panic.
pub fn print_err(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A run's outcome as its row stores it, in words: "rolled back", "NO-GO".
fn outcome_words(stored: &str) -> String {
    journal::RunOutcome::parse(stored).map_or_else(|| stored.replace('_', " "), |o| o.label().to_string())
}

/// The mode of a report: a run's decisions and output are the team's business, not the machine's.
pub const OWNER_ONLY: u32 = 0o600;
/// The mode of a file meant to be shared, such as a runbook draft: the umask decides.
const AS_UMASK_SAYS: u32 = 0o666;

/// Writes `text` to `path`, made with `mode` if it is new.
pub fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::Write { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

/// The timeline as `tminus plan` prints it.
pub fn plan_text(rb: &Runbook) -> String {
    let mut out = String::new();
    let start =
        rb.start.map_or("no start time".to_string(), |s| format!("T-0 {}", s.format("%Y-%m-%d %H:%M %:z")));
    out.push_str(&format!("{} — {start}", one_line(&rb.name)));
    if let Some(owner) = &rb.owner {
        out.push_str(&format!(" — owner {}", one_line(owner)));
    }
    out.push('\n');
    // A runbook over more than one day dates its phases; every time is in the runbook's offset.
    let days: std::collections::BTreeSet<_> =
        rb.phases.iter().filter_map(|p| rb.planned_start(p)).map(|t| t.date_naive()).collect();
    let format = if days.len() > 1 { "%a %d %b %H:%M" } else { "%H:%M" };
    for phase in &rb.phases {
        let clock = rb.planned_start(phase).map_or("--:--".to_string(), |t| t.format(format).to_string());
        let rel = phase.at.map(|a| {
            let sign = if a < chrono::TimeDelta::zero() { "-" } else { "+" };
            format!("T{sign}{}", format_duration(a.abs().to_std().unwrap_or_default()))
        });
        let budget = phase.budget.map(|b| format!("budget {}", format_duration(b)));
        let extra: Vec<String> = [rel, budget].into_iter().flatten().collect();
        out.push_str(&format!(
            "\n{clock}  {} ({})  {}\n",
            one_line(&phase.title),
            phase.id,
            extra.join(", ")
        ));
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
    format!("       {:<8} {:<24} {}{flags}\n", step.kind.name(), step.id, one_line(&step.title))
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}
