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
use crate::journal::{self, Decision, Event, EventKind, Prompt, RunState, Store};
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
        None => ask(&asked_role)?,
    };
    let (decision, reason) = match verdict {
        Verdict::Go => (Decision::Signed { role: asked_role.clone(), name: name.to_string() }, None),
        Verdict::NoGo(reason) => (Decision::NoGo, Some(reason)),
    };
    let act = Act::Answer { to, decision, reason, auto: false };
    send_and_hear(location, store, &state, name, act, |kind| match kind {
        EventKind::Decided { decision, .. } => Some(Ok(format!("{} for {gate}", decision.label()))),
        _ => None,
    })
    .await
}

/// `tminus rollback`.
pub async fn rollback(
    location: &str,
    run_id: Option<&str>,
    reason: String,
    name: &str,
) -> Result<i32, Error> {
    let (store, state) = live_state(location, run_id).await?;
    let act = Act::Rollback { reason: Some(reason) };
    send_and_hear(location, store, &state, name, act, |kind| match kind {
        EventKind::RollbackRequested { .. } => Some(Ok("the rollback is under way".to_string())),
        _ => None,
    })
    .await
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

fn ask(role: &str) -> Result<Verdict, Error> {
    use std::io::BufRead;
    let mut out = std::io::stdout();
    let _ = write!(out, "GO as {role}? y = GO, n <reason> = NO-GO: ").and_then(|()| out.flush());
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::Usage(format!("no answer: {e}")))?;
    let line = line.trim();
    match line.split_once(char::is_whitespace).unwrap_or((line, "")) {
        ("y" | "yes" | "go" | "GO", _) => Ok(Verdict::Go),
        ("n" | "no", reason) if !reason.trim().is_empty() => Ok(Verdict::NoGo(reason.trim().to_string())),
        ("n" | "no", _) => Err(Error::Usage("a NO-GO needs a reason: n <reason>".into())),
        _ => Err(Error::Usage(format!("`{line}` is neither y nor n <reason>: nothing was signed"))),
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

/// Gives `act` to the run's conductor: on its socket when it runs on this machine (as this OS
/// account), else through the shared PostgreSQL journal's inbox (as the database login).
/// Returns the login it was sent as.
async fn deliver(location: &str, run_id: &str, name: &str, act: Act) -> Result<String, Error> {
    let path = socket_path(location, run_id);
    match Client::connect(&path, name, false).await {
        Ok(mut client) => {
            client.act(act).await.map_err(|e| Error::Internal(format!("the conductor hung up: {e}")))?;
            client.bye().await;
            Ok(os_login(nix::unistd::getuid()))
        }
        Err(ConnectError::Untrusted(refused)) => Err(refused.into()),
        Err(ConnectError::Io(e)) => {
            let json = serde_json::to_string(&act).expect("acts serialize");
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
            posted.ok_or_else(|| {
                Error::Usage(format!(
                    "run {run_id}: its conductor does not answer on {} ({e}); from another machine, share a PostgreSQL journal",
                    path.display()
                ))
            })
        }
    }
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
