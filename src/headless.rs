//! Headless mode: one readable line per event, prompts answered one line of stdin each.

mod printer;

use std::collections::VecDeque;
use std::io::IsTerminal;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::engine::Act;
use crate::journal::{Decision, Event, EventKind, Prompt, RunState, StepType};
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
        while let Some(line) = typed.pop_front() {
            let to = asked.unwrap_or_default();
            match parse_answer(&line, &waiting.prompt, to, &options.operator) {
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
                Err(why) => printer.say(&format!("{why} — answer {}", waiting.prompt.answers())),
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

/// Prints a run's events as they come, for an observer without a terminal.
pub async fn show(mut events: mpsc::Receiver<Event>) {
    let mut printer = Printer::new(std::io::stdout(), std::io::stdout().is_terminal());
    let mut state = RunState::default();
    while let Some(event) = events.recv().await {
        state.apply(&event);
        printer.event(&event, &state);
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

/// One typed line as a command for the prompt in hand (journaled as event `to`).
pub fn parse_answer(line: &str, prompt: &Prompt, to: i64, operator: &str) -> Result<Act, String> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let reason = (!rest.is_empty()).then(|| rest.to_string());
    let decision = match (word.to_ascii_lowercase().as_str(), prompt) {
        ("note", _) if reason.is_some() => {
            return Ok(Act::Note { text: rest.to_string() });
        }
        ("y" | "yes" | "go" | "done", Prompt::Signoff { role }) => Decision::Signed {
            role: role.clone(),
            name: reason.clone().unwrap_or_else(|| operator.to_string()),
        },
        ("done", Prompt::Monitor | Prompt::Alert) if reason.is_none() => {
            return Err("ending a monitor before its time needs a reason: done <reason>".into());
        }
        ("done", Prompt::Monitor | Prompt::Alert) => Decision::Done,
        ("done", Prompt::Interrupted | Prompt::Unknown) if reason.is_none() => {
            return Err("marking an interrupted step done needs a reason: done <reason>".into());
        }
        ("y" | "yes" | "go" | "done", _) => Decision::Go,
        ("n" | "no" | "no-go" | "nogo", Prompt::Failure) => Decision::NoGo,
        ("n" | "no" | "no-go" | "nogo", _) if reason.is_none() => {
            return Err("a NO-GO needs a reason: n <reason>".into());
        }
        ("n" | "no" | "no-go" | "nogo", _) => Decision::NoGo,
        ("skip", _) if reason.is_none() => {
            return Err("a skip needs a reason: skip <reason>".into());
        }
        ("skip", _) => Decision::Skip,
        ("retry", Prompt::Unknown) if reason.is_none() => {
            return Err("it may still be running: to run it again anyway, type retry <STEP-ID>".into());
        }
        ("retry", _) => Decision::Retry,
        ("end", Prompt::StillRunning) => Decision::End,
        ("wait", Prompt::StillRunning) => {
            return Err("waiting already: the run goes on once it has ended".into());
        }
        ("rollback", _) => Decision::Rollback,
        _ => return Err(format!("`{line}` is not an answer here")),
    };
    if !prompt.accepts(&decision) {
        return Err(format!("`{word}` does not answer this prompt"));
    }
    let reason = if matches!(decision, Decision::Signed { .. }) { None } else { reason };
    Ok(Act::Answer { to, decision, reason, auto: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(line: &str, prompt: &Prompt) -> Result<(Decision, Option<String>), String> {
        match parse_answer(line, prompt, 7, "ops")? {
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
        assert!(decision("n", &Prompt::Gate).unwrap_err().contains("needs a reason"));
        assert!(decision("skip", &Prompt::Confirm).unwrap_err().contains("needs a reason"));
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
            parse_answer("note waiting for DBA", &Prompt::Gate, 7, "ops").unwrap(),
            Act::Note { text: "waiting for DBA".into() }
        );
    }
}
