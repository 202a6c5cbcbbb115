//! Who may do what: every command is held against one rights table before anything happens,
//! whichever client carried it. An answer is held against the table of the prompt it answers
//! too; anything that table does not hold is refused, journaled with the login that sent it.

use super::{Conductor, Doing};
use crate::engine::command::{Act, Via, Who};
use crate::journal::{Answer, Decision, EventKind, Prompt, Right};

/// What an act needs: a right of the run's people, or a transport that no client has.
enum Needs {
    Right(Right),
    /// Said by a transport about its own connections (attached, detached).
    Transport,
    /// Said by the conductor's own process: signals the OS delivered, its notifier's news.
    Own,
    /// Nobody may: it is no command.
    Nobody,
}

/// The one rights table: what each act a client can send needs.
fn needs(act: &Act) -> Needs {
    match act {
        Act::Note { .. } => Needs::Right(Right::Note),
        Act::Rollback { .. } | Act::Answer { decision: Decision::Rollback, .. } => {
            Needs::Right(Right::Rollback)
        }
        // An answer needs what its prompt's table says; drive is what most answers need.
        Act::Answer { .. } | Act::Abort | Act::Stop { .. } | Act::TakeOver => Needs::Right(Right::Drive),
        Act::Attach | Act::Detach { .. } => Needs::Transport,
        Act::Interrupt { .. } | Act::Notified { .. } => Needs::Own,
        Act::Unreadable { .. } => Needs::Nobody,
    }
}

/// What an act is, in words, for a refusal.
fn what(act: &Act) -> String {
    match act {
        Act::Answer { decision: Decision::Rollback, .. } | Act::Rollback { .. } => "roll back".into(),
        Act::Answer { decision: Decision::Signed { role, .. }, .. } => format!("sign as {role}"),
        Act::Answer { decision, .. } => format!("answer {}", decision.label()),
        Act::Note { .. } => "add a note".into(),
        Act::Abort => "abort the running step".into(),
        Act::Stop { .. } => "stop the run".into(),
        Act::Interrupt { signal } => format!("interrupt the conductor ({signal})"),
        Act::TakeOver => "take over the lead".into(),
        Act::Attach => "attach".into(),
        Act::Detach { .. } => "detach".into(),
        Act::Notified { .. } => "report a notification".into(),
        Act::Unreadable { what } => format!("send `{what}`"),
    }
}

/// The prompt an answer may be given to now: its seq, the prompt, and the step it is about.
struct Open {
    seq: i64,
    prompt: Prompt,
    step: String,
}

impl Conductor {
    /// Whether `by` may do `act` now, as `via` carried it; refused, it is journaled and comes
    /// back `None`. An answer to a prompt that has gone (another screen answered first) comes
    /// back `None` too, unjournaled: it changes nothing. A sign-off is recorded under the
    /// signer's own name when the runbook names its people.
    pub(super) fn permitted(&mut self, by: &Who, act: Act, via: Via) -> Option<Act> {
        match self.judge(by, &act, via) {
            Ok(true) => Some(self.signed_as_themselves(by, act)),
            Ok(false) => None,
            Err(why) => {
                let step = self.open().map(|o| o.step).or_else(|| self.step_in_hand());
                let kind = EventKind::Refused {
                    who: by.name.clone(),
                    login: by.login.clone(),
                    what: what(&act),
                    why,
                };
                self.emit(step.as_deref(), kind);
                None
            }
        }
    }

    /// `Ok(true)`: it may; `Ok(false)`: it answers a prompt that has gone; `Err`: refused, why.
    pub(super) fn judge(&self, by: &Who, act: &Act, via: Via) -> Result<bool, String> {
        let right = match needs(act) {
            Needs::Own if via == Via::Own => return Ok(true),
            Needs::Own => return Err("only the conductor's own process says that: no client can".into()),
            Needs::Transport if via == Via::Socket => return Ok(true),
            Needs::Transport => return Err("only a connection says it came or went".into()),
            Needs::Nobody => return Err("it is no command tminus knows".into()),
            Needs::Right(right) => right,
        };
        if !self.identity.proved_by(via) {
            return Err(match via {
                Via::Socket => format!(
                    "the socket proves OS account {}, but this run's people are database logins: commands go through the shared journal's inbox",
                    by.login
                ),
                _ => format!(
                    "the inbox proves database login {}, but this run's people are OS accounts: commands go through the conductor's socket",
                    by.login
                ),
            });
        }
        if *act == Act::TakeOver && by.login == self.lead.login {
            return Err("they lead the run already".into());
        }
        let Act::Answer { to, decision, reason, .. } = act else {
            return self.holds(by, right, None);
        };
        if *decision == Decision::Rollback {
            // A rollback cuts in whatever is asked, even as an answer to a prompt just gone.
            return self.holds(by, right, None);
        }
        let Some(open) = self.open().filter(|o| o.seq == *to) else { return Ok(false) };
        let Some(answer) = open.prompt.answer(decision) else {
            return Err(format!(
                "`{}` is not an answer to this {}: it takes {}",
                decision.label(),
                open.prompt.name(),
                open.prompt.usage()
            ));
        };
        answer.complete(reason.as_deref(), &open.step)?;
        self.holds(by, answer.right, Some((&open, &answer)))?;
        if let Decision::Signed { name, .. } = decision {
            self.once_per_gate(by, name, &open, reason.as_deref())?;
        }
        Ok(true)
    }

    /// Whether `by` holds `right`; a sign-off's right is to be one of its role's people.
    fn holds(&self, by: &Who, right: Right, asked: Option<(&Open, &Answer)>) -> Result<bool, String> {
        let roles = &self.runbook.roles;
        let lead = by.login == self.lead.login;
        if roles.is_empty() {
            // Without [roles], the run is its lead's alone.
            return match lead {
                true => Ok(true),
                false => Err(format!(
                    "this runbook has no [roles]: only the lead ({}) may {}",
                    self.lead.login,
                    right.name()
                )),
            };
        }
        let known = || roles.0.iter().any(|r| r.people.contains(&by.login));
        let held = match right {
            Right::Sign => {
                let Some((Open { prompt: Prompt::Signoff { role }, .. }, _)) = asked else { return Ok(true) };
                if !roles.signs_for(&by.login, role) {
                    let people = roles.get(role).map(|r| r.people.join(", ")).unwrap_or_default();
                    return Err(format!("{} is not among the people of {role} ({people})", by.login));
                }
                true
            }
            Right::Note => lead || known(),
            Right::Rollback => lead || roles.allows(&by.login, crate::runbook::May::Rollback),
            Right::Drive => lead || roles.allows(&by.login, crate::runbook::May::Drive),
        };
        if held {
            return Ok(true);
        }
        Err(match right {
            Right::Note => "only the run's people may".to_string(),
            Right::Rollback => self.only_those_who(crate::runbook::May::Rollback),
            _ => self.only_those_who(crate::runbook::May::Drive),
        })
    }

    /// One person signs one role of a gate. With `[roles]` logins prove it; without them, a name
    /// given for a second role counts only when the answer says so (`reason`), as the screen
    /// and the headless prompt ask first.
    fn once_per_gate(&self, by: &Who, name: &str, open: &Open, reason: Option<&str>) -> Result<(), String> {
        let verified = !self.runbook.roles.is_empty();
        let signed_before = self.state.step(&open.step).and_then(|s| {
            s.decisions.iter().find_map(|d| match &d.decision {
                Decision::Signed { role, name: signed } => {
                    let same = match verified {
                        true => d.login.as_deref() == Some(by.login.as_str()),
                        false => signed.eq_ignore_ascii_case(name),
                    };
                    same.then_some(role.clone())
                }
                _ => None,
            })
        });
        match (signed_before, verified) {
            (None, _) => Ok(()),
            (Some(other), true) => Err(format!(
                "{} signed this gate as {other} already: each role needs its own person",
                by.login
            )),
            (Some(_), false) if reason.is_some_and(|r| !r.trim().is_empty()) => Ok(()),
            (Some(other), false) => Err(format!(
                "{name} signed this gate as {other} already: one person signs two roles only when the answer says so"
            )),
        }
    }

    /// With `[roles]`, a sign-off names the signer the transport proved, never a name typed.
    fn signed_as_themselves(&self, by: &Who, act: Act) -> Act {
        match act {
            Act::Answer { to, decision: Decision::Signed { role, .. }, reason, auto }
                if !self.runbook.roles.is_empty() =>
            {
                let decision = Decision::Signed { role, name: by.name.clone() };
                Act::Answer { to, decision, reason, auto }
            }
            other => other,
        }
    }

    /// The prompt answers are given to now: the one asked, or a running monitor's.
    fn open(&self) -> Option<Open> {
        match &self.doing {
            Doing::Asking(a) => Some(Open { seq: a.seq, prompt: a.prompt.clone(), step: a.step.clone() }),
            Doing::Monitoring => self.monitor.as_ref().map(|m| Open {
                seq: m.prompt,
                prompt: Prompt::Monitor,
                step: m.step.clone(),
            }),
            _ => None,
        }
    }

    fn only_those_who(&self, what: crate::runbook::May) -> String {
        let lead = &self.lead.login;
        let mut people = self.runbook.roles.who_may(what);
        people.retain(|p| p != lead);
        if people.is_empty() {
            format!("only the lead ({lead}) may {}", what.name())
        } else {
            format!("only the lead ({lead}) and {} may {}", people.join(", "), what.name())
        }
    }

    /// `by` leads the run from now on.
    pub(super) fn take_over(&mut self, by: Who) {
        let kind = EventKind::Handover {
            from: self.lead.name.clone(),
            from_login: self.lead.login.clone(),
            to: by.name.clone(),
            to_login: by.login.clone(),
        };
        self.emit(self.step_in_hand().as_deref(), kind);
        self.lead = by;
    }
}
