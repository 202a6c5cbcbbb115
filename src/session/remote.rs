//! One-off commands from someone's own terminal: sign the gate that waits for their role, pull
//! the rollback. Each goes to the run's conductor as who the socket says they are, and the
//! journal says whether it counted.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use super::client::{Client, ConnectError, Forwarding};
use super::socket_path;
use crate::engine::{Act, os_login};
use crate::error::Error;
use crate::journal::{self, Decision, Event, EventKind, Prompt, RunState, Store, Typed};
use crate::sanitize::one_line;

/// Exit code of a command someone's role does not allow.
pub const REFUSED: i32 = 5;
/// How long to wait for the conductor to journal what it made of a command.
const VERDICT_WITHIN: Duration = Duration::from_secs(15);

/// What `sign` decides: GO for the role, or NO-GO with a reason; `None` asks on the terminal.
pub enum Verdict {
    Go,
    NoGo(String),
}

/// `tminus sign`: the gate that waits for `role` (or whatever sign-off it waits on).
pub async fn sign(
    location: &str,
    run_id: Option<&str>,
    role: Option<&str>,
    verdict: Option<Verdict>,
    name: &str,
) -> Result<i32, Error> {
    let (store, state) = live_state(location, run_id).await?;
    let waiting = state.waiting.as_ref().filter(|w| matches!(w.prompt, Prompt::Signoff { .. }));
    let Some((gate, asked_role, to)) = waiting.and_then(|w| match &w.prompt {
        Prompt::Signoff { role } => Some((w.step.clone().unwrap_or_default(), role.clone(), w.seq)),
        _ => None,
    }) else {
        let on = state.waiting.as_ref().map_or("nothing".to_string(), |w| w.prompt.name().to_string());
        return Err(Error::Usage(format!(
            "run {} waits on no sign-off now (it waits on {on})",
            state.run_id
        )));
    };
    if let Some(role) = role.filter(|r| *r != asked_role) {
        return Err(Error::Usage(format!(
            "run {}: the gate `{gate}` waits for {asked_role}, not {role}",
            state.run_id
        )));
    }
    show_gate(&state, &gate, &asked_role);
    let verdict = match verdict {
        Some(v) => v,
        None => ask(&asked_role, &gate, name)?,
    };
    // The sign-off's own table says what each verdict needs, as it does for every client.
    let prompt = Prompt::Signoff { role: asked_role.clone() };
    let (decision, reason) = match verdict {
        Verdict::Go => (Decision::Signed { role: asked_role.clone(), name: name.to_string() }, None),
        Verdict::NoGo(reason) => (Decision::NoGo, Some(reason)),
    };
    if let Some(answer) = prompt.answer(&decision) {
        answer.complete(reason.as_deref(), &gate).map_err(Error::Usage)?;
    }
    let act = Act::Answer { to, decision, reason, auto: false };
    send_and_hear(location, store, &state, name, act, |kind| match kind {
        EventKind::Decided { decision, .. } => Some(Ok(format!("{} for {gate}", decision.label()))),
        _ => None,
    })
    .await
}

/// `tminus rollback`: shows what the rollback will do, as the `R` dialog does, and asks for
/// `yes` typed out on a terminal; without one, `--yes` must say it.
pub async fn rollback(
    location: &str,
    run_id: Option<&str>,
    reason: String,
    name: &str,
    yes: bool,
) -> Result<i32, Error> {
    if reason.trim().is_empty() {
        return Err(Error::Usage(
            "--reason is empty: say why the run is rolled back; it goes into the journal".into(),
        ));
    }
    let (store, state) = live_state(location, run_id).await?;
    if state.rollback.is_some() {
        return Err(Error::Usage(format!("run {}: a rollback is already under way", state.run_id)));
    }
    let mut out = std::io::stdout();
    for (_, line) in state.rollback_preview() {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "Reason: {reason}");
    if !yes {
        confirm_rollback(&state.run_id)?;
    }
    let act = Act::Rollback { reason: Some(reason) };
    send_and_hear(location, store, &state, name, act, |kind| match kind {
        EventKind::RollbackRequested { .. } => Some(Ok("the rollback is under way".to_string())),
        _ => None,
    })
    .await
}

/// `yes`, typed out on a terminal, or nothing is sent.
fn confirm_rollback(run_id: &str) -> Result<(), Error> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "run {run_id}: not rolled back: without a terminal to ask on, say --yes to roll back"
        )));
    }
    let mut out = std::io::stdout();
    let _ = write!(out, "Type yes to roll back run {run_id} now: ").and_then(|()| out.flush());
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::Usage(format!("no answer: {e}")))?;
    match line.trim() {
        "yes" => Ok(()),
        other => Err(Error::Usage(format!(
            "run {run_id}: not rolled back (`{}` is not yes)",
            other.escape_debug()
        ))),
    }
}

async fn live_state(location: &str, run_id: Option<&str>) -> Result<(Arc<dyn Store>, RunState), Error> {
    let store = journal::open_read_only(location).await?;
    let run = store.live_run(run_id).await?;
    if run.outcome.is_some() {
        return Err(Error::Usage(format!("run {} has already ended", run.id)));
    }
    let state = journal::fold_run(store.as_ref(), &run.id, |_, _| {}).await?;
    Ok((store, state))
}

fn show_gate(state: &RunState, gate: &str, role: &str) {
    let mut out = std::io::stdout();
    // The runbook's words, and its roles' names, each kept to its line.
    let mut put = |line: String| writeln!(out, "{}", one_line(&line));
    let question = state.waiting.as_ref().map(|w| w.text.clone()).unwrap_or_default();
    let _ = put(question);
    let _ = put(state.gate_summary(gate));
    for step in state.gate_results(gate) {
        let _ = put(format!("  {:<10} {}", step.status.label(), step.plan.title));
    }
    let _ = put(format!("you sign as {role}"));
}

fn ask(role: &str, gate: &str, name: &str) -> Result<Verdict, Error> {
    use std::io::BufRead;
    let prompt = Prompt::Signoff { role: role.to_string() };
    let mut out = std::io::stdout();
    let usage: Vec<String> = prompt
        .answers()
        .iter()
        .filter(|a| a.decision != Decision::Rollback)
        // The signer is who the transport proves, named by --operator: no name is typed here.
        .map(|a| match a.needs {
            journal::Needs::Name => format!("{} = {}", a.words[0], a.label),
            _ => format!("{} = {}", a.usage(), a.label),
        })
        .collect();
    let _ = write!(out, "Sign as {role}? {}: ", usage.join(", ")).and_then(|()| out.flush());
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::Usage(format!("no answer: {e}")))?;
    let nothing = |why: String| Error::Usage(format!("{why}: nothing was signed"));
    match prompt.read(&line, gate, name).map_err(nothing)? {
        Typed::Answer(Decision::Signed { .. }, _) => Ok(Verdict::Go),
        Typed::Answer(Decision::NoGo, Some(reason)) => Ok(Verdict::NoGo(reason)),
        _ => Err(nothing(format!("`{}` does not sign", line.trim().escape_debug()))),
    }
}

/// A screen on another machine than the run's conductor: each of its acts goes into the shared
/// PostgreSQL journal's inbox, as the database login. `None` for a journal that has no inbox.
pub async fn inbox_forwarding(
    location: &str,
    run_id: &str,
    name: &str,
) -> Result<Option<(Forwarding, String)>, Error> {
    let Some(login) = journal::inbox::login(location).await? else { return Ok(None) };
    let (acts, mut rx) = tokio::sync::mpsc::channel::<Act>(64);
    let (leave, _left) = tokio::sync::oneshot::channel::<()>();
    let (location, run_id, name) = (location.to_string(), run_id.to_string(), name.to_string());
    let task = tokio::spawn(async move {
        while let Some(act) = rx.recv().await {
            let json = serde_json::to_string(&act).expect("acts serialize");
            if let Err(e) = journal::inbox::post(&location, &run_id, &name, &json).await {
                tracing::warn!("a command could not be written into the inbox: {e}");
            }
        }
    });
    Ok(Some((Forwarding { acts, leave, task }, login)))
}

/// Gives `act` to the run's conductor, by the one identity rule: on a shared PostgreSQL
/// journal through its inbox, as the database login, wherever this is typed; on a file
/// journal on the conductor's socket, as this OS account. Returns the login it was sent as.
async fn deliver(location: &str, run_id: &str, name: &str, act: Act) -> Result<String, Error> {
    let json = serde_json::to_string(&act).map_err(|e| Error::Internal(format!("a command: {e}")))?;
    let posted = journal::inbox::post(location, run_id, name, &json).await.map_err(|e| match &e {
        // The database's own grants: this login may read the journal and nothing more.
        journal::StoreError::Database { source, .. }
            if source.as_database_error().and_then(|d| d.code()).as_deref() == Some("42501") =>
        {
            Error::Conductor {
                code: REFUSED,
                why: format!("refused: this login may only watch the journal ({e})"),
            }
        }
        _ => Error::from(e),
    })?;
    if let Some(login) = posted {
        return Ok(login);
    }
    let path = socket_path(location, run_id);
    let mut client = Client::connect(&path, name, false).await.map_err(|e| match e {
        ConnectError::Untrusted(refused) => refused.into(),
        ConnectError::Io(e) => Error::Usage(format!(
            "run {run_id}: its conductor does not answer on {} ({e}); from another machine, share a PostgreSQL journal",
            path.display()
        )),
    })?;
    client.act(act).await.map_err(|e| Error::Internal(format!("the conductor hung up: {e}")))?;
    client.bye().await;
    Ok(os_login(nix::unistd::getuid()))
}

/// Sends `act` as the socket's user, then reads the journal until the conductor has said what
/// it made of it: `counted` recognises the event that means it did, a refusal exits 5.
async fn send_and_hear(
    location: &str,
    store: Arc<dyn Store>,
    state: &RunState,
    name: &str,
    act: Act,
    counted: impl Fn(&EventKind) -> Option<Result<String, String>>,
) -> Result<i32, Error> {
    let me = deliver(location, &state.run_id, name, act).await?;
    let (to, mut events) = tokio::sync::mpsc::channel::<Event>(64);
    let feed = tokio::spawn(journal::follow(store, state.run_id.clone(), state.last_seq, to));
    let heard = tokio::time::timeout(VERDICT_WITHIN, async {
        while let Some(event) = events.recv().await {
            let mine = match &event.kind {
                EventKind::Refused { login, why, .. } if *login == me => return Some(Err(why.clone())),
                EventKind::Decided { login, .. } | EventKind::RollbackRequested { login, .. } => {
                    login.as_deref() == Some(me.as_str())
                }
                _ => false,
            };
            if let Some(verdict) = counted(&event.kind).filter(|_| mine) {
                return Some(verdict);
            }
        }
        None
    })
    .await;
    feed.abort();
    let mut out = std::io::stdout();
    match heard {
        Ok(Some(Ok(what))) => {
            let _ = writeln!(out, "{}", one_line(&format!("{me}: {what}")));
            Ok(0)
        }
        Ok(Some(Err(why))) => {
            crate::cli::print_err(&one_line(&format!("refused: {why}")));
            Ok(REFUSED)
        }
        _ => Err(Error::Internal(format!(
            "run {}: the conductor took the command but did not act on it (the prompt may have been answered already)",
            state.run_id
        ))),
    }
}
