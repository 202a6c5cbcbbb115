//! Who may do what: with `[roles]` in the runbook, each command is held against the role of the
//! login that sent it before it counts. Without roles the lead does it all, as ever.

use super::{Conductor, Doing};
use crate::engine::command::{Act, Who};
use crate::journal::{Decision, EventKind, Prompt};
use crate::runbook::May;

impl Conductor {
    /// Whether `by` may do `act` now; refused, it is journaled and comes back `None`. A
    /// sign-off is recorded under the signer's own name, never one typed for them.
    pub(super) fn permitted(&mut self, by: &Who, act: Act) -> Option<Act> {
        let roles = &self.runbook.roles;
        if roles.is_empty() {
            return Some(act);
        }
        let lead = by.login == self.lead.login;
        let may = |what| lead || roles.allows(&by.login, what);
        let asked = match &self.doing {
            Doing::Asking(a) => Some((a.seq, a.prompt.clone(), a.step.clone())),
            _ => None,
        };
        let refusal = match &act {
            Act::Attach | Act::Detach { .. } | Act::Interrupt { .. } | Act::Notified { .. } => None,
            Act::Note { .. } => {
                let known = may(May::Drive) || roles.0.iter().any(|r| r.people.contains(&by.login));
                (!known).then(|| ("add a note".to_string(), "only the run's people may".to_string()))
            }
            Act::Rollback { .. } | Act::Answer { decision: Decision::Rollback, .. } => {
                (!may(May::Rollback)).then(|| ("roll back".to_string(), self.only_those_who(May::Rollback)))
            }
            Act::Answer { to, decision, .. } => match &asked {
                Some((seq, Prompt::Signoff { role }, gate)) if seq == to => {
                    self.signing(by, role, gate, decision).err().map(|why| (format!("sign as {role}"), why))
                }
                _ => (!may(May::Drive))
                    .then(|| ("answer for the run".to_string(), self.only_those_who(May::Drive))),
            },
            Act::Abort => {
                (!may(May::Drive)).then(|| ("abort the running step".into(), self.only_those_who(May::Drive)))
            }
            Act::Stop { .. } => {
                (!may(May::Drive)).then(|| ("stop the run".into(), self.only_those_who(May::Drive)))
            }
            Act::TakeOver if lead => Some(("take over the lead".into(), "they lead the run already".into())),
            Act::TakeOver => {
                (!may(May::Drive)).then(|| ("take over the lead".into(), self.only_those_who(May::Drive)))
            }
        };
        if let Some((what, why)) = refusal {
            let step = asked.map(|(_, _, step)| step).or_else(|| self.step_in_hand());
            let kind = EventKind::Refused { who: by.name.clone(), login: by.login.clone(), what, why };
            self.emit(step.as_deref(), kind);
            return None;
        }
        Some(match act {
            Act::Answer { to, decision: Decision::Signed { role, .. }, reason, auto } => {
                let decision = Decision::Signed { role, name: by.name.clone() };
                Act::Answer { to, decision, reason, auto }
            }
            other => other,
        })
    }

    /// A sign-off by `by` for `role` of `gate`: one of the role's people, and not someone
    /// who signed another role of the same gate.
    fn signing(&self, by: &Who, role: &str, gate: &str, decision: &Decision) -> Result<(), String> {
        let roles = &self.runbook.roles;
        if !roles.signs_for(&by.login, role) {
            let people = roles.get(role).map(|r| r.people.join(", ")).unwrap_or_default();
            return Err(format!("{} is not among the people of {role} ({people})", by.login));
        }
        let signed_before = self.state.step(gate).and_then(|s| {
            s.decisions.iter().find_map(|d| match &d.decision {
                Decision::Signed { role: other, .. } if d.login.as_deref() == Some(by.login.as_str()) => {
                    Some(other)
                }
                _ => None,
            })
        });
        match (signed_before, decision) {
            (Some(other), Decision::Signed { .. }) => Err(format!(
                "{} signed this gate as {other} already: each role needs its own person",
                by.login
            )),
            _ => Ok(()),
        }
    }

    fn only_those_who(&self, what: May) -> String {
        let people = self.runbook.roles.who_may(what);
        let lead = &self.lead.login;
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
