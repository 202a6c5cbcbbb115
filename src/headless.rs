//! Headless mode: one readable line per event, prompts answered one line of stdin each.

mod printer;

use std::collections::VecDeque;
use std::io::IsTerminal;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::engine::Act;
use crate::journal::{Decision, Event, EventKind, Prompt, RunState, StepType, Typed};
use printer::Printer;

pub struct Options {
    pub operator: String,
    /// `--yes`: answer yes as the operator, but never roll back and never GO past a failure.
    pub yes: bool,
    /// The run as journaled before this session (a resumed run); empty for a new one.
    pub so_far: RunState,
}

/// Prints the run as it happens and answers the engine's prompts, until the engine is done.
///
/// Lines of stdin answer prompts strictly in order, one line per prompt, however early they
/// arrive: a script piped in reads the same as a person typing.
///
/// Returns `true` when a second Ctrl-C asked to stop at once rather than wait for the step.
pub async fn drive(mut events: mpsc::Receiver<Event>, commands: mpsc::Sender<Act>, options: Options) -> bool {
    let mut printer = Printer::new(std::io::stdout(), std::io::stdout().is_terminal());
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut typed: VecDeque<String> = VecDeque::new();
    let mut state = options.so_far.clone();
    // The prompt being asked (its event's seq), and whether it has been answered.
    let mut asked: Option<i64> = None;
    let mut answered: Option<i64> = None;
    let mut interrupted = false;
    let mut stop_asked = false;
    // A sign-off by someone who signed another role of the gate, until they say yes to it.
    let mut second_role: Option<(Act, String)> = None;
    // A lost terminal or a CI job's timeout ends the run as Ctrl-C does: the step is not orphaned.
    let mut hangup = unix_signal(SignalKind::hangup());
    let mut terminate = unix_signal(SignalKind::terminate());
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return false };
                state.apply(&event);
                printer.event(&event, &state);
                if let (EventKind::RunStarted(info), true) = (&event.kind, options.yes) {
                    // --yes never cuts a monitor short: a long one keeps the run going that long.
                    for step in info.phases.iter().flat_map(|p| &p.steps).filter(|s| s.kind == StepType::Monitor) {
                        printer.say(&format!("--yes lets the monitor {} run its full time ({})", step.id, step.detail));
                    }
                }
                // A refused answer did not answer: the prompt still stands for the next line.
                if matches!(event.kind, EventKind::Refused { .. }) {
                    answered = None;
                }
                if let EventKind::ConfirmationRequested { prompt, .. } = &event.kind {
                    asked = Some(event.seq);
                    if options.yes {
                        match auto_answer(prompt, event.step.as_deref(), &state, &options.operator) {
                            Ok(decision) => {
                                answered = asked;
                                let act = Act::Answer { to: event.seq, decision, reason: None, auto: true };
                                // --yes signs every role as the operator, and says so.
                                let act = match &act {
                                    Act::Answer { decision: Decision::Signed { role, name }, .. } => {
                                        let step = event.step.as_deref().unwrap_or_default();
                                        match state.signed_other(step, role, name) {
                                            Some(other) => with_reason(act, &other),
                                            None => act,
                                        }
                                    }
                                    _ => act,
                                };
                                let _ = commands.send(act).await;
                            }
                            Err(why) => printer.say(&format!("--yes does not answer this one: {why}")),
                        }
                    }
                }
            }
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => typed.push_back(line),
                _ => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => {
                if interrupted {
                    crate::cli::print_err("second interrupt: stopping now; the run can be resumed from the journal");
                    return true;
                }
                interrupted = true;
                crate::cli::print_err("interrupted: ending the running step and stopping");
                let _ = commands.try_send(Act::Interrupt { signal: "SIGINT".into() });
            }
            _ = hangup.recv() => {
                interrupted = true;
                let _ = commands.try_send(Act::Interrupt { signal: "SIGHUP".into() });
            }
            _ = terminate.recv() => {
                interrupted = true;
                let _ = commands.try_send(Act::Interrupt { signal: "SIGTERM".into() });
            }
        }
        // Answer the open prompt from what was typed, or stop if nothing more will come.
        let Some(waiting) = state.waiting.as_ref().filter(|_| asked != answered) else {
            continue;
        };
        let step = waiting.step.as_deref().unwrap_or_default();
        while let Some(line) = typed.pop_front() {
            let to = asked.unwrap_or_default();
            // One person for two roles of one gate is said out loud, as on the screen.
            if let Some((act, other)) = second_role.take().filter(|(act, _)| answers(act, to)) {
                if line.trim().eq_ignore_ascii_case("yes") {
                    answered = asked;
                    let _ = commands.send(with_reason(act, &other)).await;
                    break;
                }
                printer.say("not signed twice: the prompt still stands");
            }
            let parsed = parse_answer(&line, &waiting.prompt, to, step, &options.operator);
            let unverified = state.info.as_ref().is_some_and(|i| i.roles.is_empty());
            if let Ok(Act::Answer { decision: Decision::Signed { role, name }, .. }) = &parsed
                && let Some(other) = state.signed_other(step, role, name).filter(|_| unverified)
            {
                printer.say(&format!(
                    "{name} already signed as {other}: type yes to sign as {role} too, or give another answer"
                ));
                second_role = parsed.ok().map(|act| (act, other));
                continue;
            }
            match parsed {
                // A note goes to the journal while the question still stands.
                Ok(note @ Act::Note { .. }) => {
                    // Never wait on a busy engine here: it may be waiting for us to print.
                    if commands.try_send(note).is_err() {
                        printer.say("the run is busy and did not take that note: type it again in a moment");
                    }
                }
                Ok(command) => {
                    answered = asked;
                    let _ = commands.send(command).await;
                    break;
                }
                Err(why) => printer.say(&format!("{why} — answer {}", waiting.prompt.usage())),
            }
        }
        // End of input stops at any prompt; under --yes a monitor is left to run its time.
        let waits = waiting.prompt.blocks() || !options.yes;
        // Once: a stop refused (this terminal no longer leads) leaves the run to whoever does.
        if asked != answered && typed.is_empty() && !stdin_open && waits && !stop_asked {
            printer.say("end of input: stopping safely");
            answered = asked;
            stop_asked = true;
            let _ = commands.send(Act::Stop { reason: "end of input".into() }).await;
        }
    }
}

/// Prints a run's events as they come, for an observer without a terminal, and says when the
/// journal or the lead's conductor cannot be heard from (`health`), and when they are back.
pub async fn show(
    mut events: mpsc::Receiver<Event>,
    health: Option<tokio::sync::watch::Receiver<Option<String>>>,
) {
    let mut printer = Printer::new(std::io::stdout(), std::io::stdout().is_terminal());
    let mut state = RunState::default();
    let (mut health, mut listening) = match health {
        Some(health) => (health, true),
        None => (tokio::sync::watch::channel(None).1, false),
    };
    let mut trouble: Option<String> = None;
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return };
                state.apply(&event);
                printer.event(&event, &state);
            }
            changed = health.changed(), if listening => {
                if changed.is_err() {
                    listening = false;
                    continue;
                }
                let now = health.borrow_and_update().clone();
                // Said again only when the trouble changes, not as its clock ticks on.
                let gist = |s: &Option<String>| s.as_ref().map(|s| s.replace(|c: char| c.is_ascii_digit(), ""));
                match (&trouble, &now) {
                    (_, Some(said)) if gist(&trouble) != gist(&now) => printer.say(said),
                    (Some(_), None) => printer.say("heard from again: the run is followed as before"),
                    _ => {}
                }
                trouble = now;
            }
        }
    }
}

/// Whether `act` answers the prompt journaled as `to`.
fn answers(act: &Act, to: i64) -> bool {
    matches!(act, Act::Answer { to: t, .. } if *t == to)
}

/// A sign-off that says its signer signed `other` too.
fn with_reason(act: Act, other: &str) -> Act {
    match act {
        Act::Answer { to, decision: Decision::Signed { role, name }, auto, .. } => {
            let reason = Some(crate::journal::also_signed(&name, other));
            Act::Answer { to, decision: Decision::Signed { role, name }, reason, auto }
        }
        other => other,
    }
}

/// A Unix signal as a stream; one that cannot be watched never fires.
fn unix_signal(kind: SignalKind) -> Signal {
    signal(kind).expect("signal handlers install on Unix")
}

/// What `--yes` says to a prompt, or why it will not answer it.
fn auto_answer(
    prompt: &Prompt,
    step: Option<&str>,
    state: &RunState,
    operator: &str,
) -> Result<Decision, String> {
    match prompt {
        Prompt::Confirm | Prompt::Manual => Ok(Decision::Go),
        Prompt::Signoff { role } => Ok(Decision::Signed { role: role.clone(), name: operator.to_string() }),
        Prompt::Gate => {
            let unmet = state.unmet_before(step.unwrap_or_default());
            if unmet.is_empty() {
                Ok(Decision::Go)
            } else {
                let names: Vec<_> =
                    unmet.iter().map(|s| format!("{} {}", s.plan.id, s.status.label())).collect();
                Err(format!("no GO while critical steps have not passed ({})", names.join(", ")))
            }
        }
        Prompt::Failure => {
            Err("a failed critical step needs a person: retry, skip <reason>, rollback or n".into())
        }
        // Keep watching: --yes never rolls back, and never cuts a monitor short.
        Prompt::Alert => Ok(Decision::Go),
        Prompt::Monitor => Err("the monitor runs its full time unless someone answers done".into()),
        Prompt::Interrupted | Prompt::Unknown => {
            Err("a step interrupted by a crash needs a person: retry, done <reason> or rollback".into())
        }
        Prompt::StillRunning => Err("the last conductor's copy runs on: the run waits for it to end".into()),
    }
}

/// One typed line as a command for the prompt in hand (journaled as event `to`, about `step`).
pub fn parse_answer(line: &str, prompt: &Prompt, to: i64, step: &str, operator: &str) -> Result<Act, String> {
    Ok(match prompt.read(line, step, operator)? {
        Typed::Note(text) => Act::Note { text },
        Typed::Answer(decision, reason) => Act::Answer { to, decision, reason, auto: false },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(line: &str, prompt: &Prompt) -> Result<(Decision, Option<String>), String> {
        match parse_answer(line, prompt, 7, "deploy", "ops")? {
            Act::Answer { decision, reason, to: 7, .. } => Ok((decision, reason)),
            other => panic!("not an answer: {other:?}"),
        }
    }

    #[test]
    fn answers_are_read_as_typed() {
        assert_eq!(decision("y", &Prompt::Gate).unwrap().0, Decision::Go);
        assert_eq!(
            decision("n db is down", &Prompt::Gate).unwrap(),
            (Decision::NoGo, Some("db is down".into()))
        );
        assert!(decision("n", &Prompt::Gate).unwrap_err().contains("a reason is needed"));
        assert!(decision("skip", &Prompt::Confirm).unwrap_err().contains("a reason is needed"));
        // A gate passes on GO alone: `done` and the rest of a line are no GO.
        assert!(decision("done with this", &Prompt::Gate).unwrap_err().contains("not an answer here"));
        assert!(decision("done", &Prompt::Signoff { role: "QA".into() }).is_err());
        assert_eq!(decision("go", &Prompt::Gate).unwrap().0, Decision::Go);
        // Marking an interrupted step done takes a reason, and `y` is no answer there.
        assert!(decision("y", &Prompt::Interrupted).is_err());
        assert!(decision("done", &Prompt::Interrupted).is_err());
        assert_eq!(decision("done it finished", &Prompt::Interrupted).unwrap().0, Decision::Go);
        assert_eq!(decision("retry", &Prompt::Failure).unwrap().0, Decision::Retry);
        assert!(decision("retry", &Prompt::Gate).is_err());
        assert_eq!(decision("n", &Prompt::Failure).unwrap().0, Decision::NoGo);
        assert_eq!(
            decision("rollback now", &Prompt::Confirm).unwrap(),
            (Decision::Rollback, Some("now".into()))
        );
        assert!(decision("maybe", &Prompt::Confirm).is_err());
    }

    #[test]
    fn signoff_names_the_approver_or_the_operator() {
        let prompt = Prompt::Signoff { role: "QA Reviewer".into() };
        assert_eq!(
            decision("y Dana Smith", &prompt).unwrap().0,
            Decision::Signed { role: "QA Reviewer".into(), name: "Dana Smith".into() }
        );
        assert_eq!(
            decision("y", &prompt).unwrap().0,
            Decision::Signed { role: "QA Reviewer".into(), name: "ops".into() }
        );
    }

    #[test]
    fn notes_are_not_answers() {
        assert_eq!(
            parse_answer("note waiting for DBA", &Prompt::Gate, 7, "go", "ops").unwrap(),
            Act::Note { text: "waiting for DBA".into() }
        );
    }
}
