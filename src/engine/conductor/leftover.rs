//! A copy of a step that the last conductor left running. On resume it is found from the
//! journal (the step's process group, host and boot), watched until it ends or ended on the
//! operator's word; nothing starts that step again while it may still run.

use super::prompts::About;
use super::{Conductor, CutIn, Doing, Effect, Machine, UnitId, Work};
use crate::journal::{EventKind, LeftoverState, Prompt, Role, RunOutcome};

#[derive(Debug)]
pub(super) struct Leftover {
    unit: UnitId,
    pub(super) step: String,
    pgid: i32,
    /// What to do once it has ended, when someone cut in.
    then: Option<CutIn>,
}

/// A step whose last copy may still run where this conductor cannot look.
#[derive(Debug)]
pub(super) struct Unknown {
    step: String,
    role: Role,
    why: String,
}

impl Conductor {
    /// On resume: a command that began and did not finish is looked for where it ran.
    pub(super) fn look_for_leftover(&mut self) {
        let open = self.state.steps.iter().find_map(|s| {
            let role = s.open_command()?;
            Some((s.plan.id.clone(), role, s.group.clone()))
        });
        let Some((step, role, group)) = open else { return };
        let Machine { host, boot } = &self.machine;
        match group {
            Some(g) if g.ended => {}
            Some(g) if &g.host == host && &g.boot == boot => {
                let unit = self.id();
                self.effects.push(Effect::Start { unit, work: Work::Leftover { pgid: g.pgid } });
                self.doing = Doing::Leftover(Leftover { unit, step, pgid: g.pgid, then: None });
            }
            // This machine has restarted since: the copy went with it.
            Some(g) if &g.host == host => {}
            Some(g) => {
                let why = format!("it ran on {} as process group {}", g.host, g.pgid);
                self.unknown = Some(Unknown { step, role, why });
            }
            None => {
                let why = "its conductor ended before its process was journaled".to_string();
                self.unknown = Some(Unknown { step, role, why });
            }
        }
    }

    /// What the watch on a leftover copy says.
    pub(super) fn leftover_report(&mut self, unit: UnitId, state: LeftoverState) {
        let (step, pgid) = match &self.doing {
            Doing::Leftover(l) if l.unit == unit => (l.step.clone(), l.pgid),
            Doing::Asking(a) => match &a.about {
                About::StillRunning(l) if l.unit == unit => (l.step.clone(), l.pgid),
                _ => return,
            },
            _ => return,
        };
        self.emit(Some(&step), EventKind::Leftover { pgid, state: state.clone() });
        if matches!(state, LeftoverState::Running { .. }) {
            if let Doing::Leftover(l) = &self.doing {
                if l.then.is_none() {
                    let Doing::Leftover(l) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
                    self.ask_still_running(l);
                }
            }
            return;
        }
        let then = match std::mem::replace(&mut self.doing, Doing::Idle) {
            Doing::Leftover(l) => l.then,
            _ => None,
        };
        match then {
            None | Some(CutIn::Abort(_)) => self.carry_on(),
            // A rollback that was under way goes on; else this one starts.
            Some(CutIn::Rollback { .. }) if self.state.rollback.is_some() => self.carry_on(),
            Some(CutIn::Rollback { by, reason }) => self.request_rollback(by, reason),
            Some(CutIn::Stop(_)) => self.stop_run(RunOutcome::Aborted),
            Some(CutIn::Interrupt(_)) => self.stop_run(RunOutcome::Interrupted),
        }
    }

    fn ask_still_running(&mut self, leftover: Leftover) {
        let title = self.plan_step(&leftover.step).map_or(leftover.step.clone(), |s| s.title);
        let text = format!(
            "\"{title}\" is still running from the last conductor (process group {}): it will not run \
             again while it does. Wait for it to end, end it now (TERM, then KILL), roll back, or stop",
            leftover.pgid
        );
        let step = leftover.step.clone();
        self.ask(&step, Prompt::StillRunning, text, About::StillRunning(leftover));
    }

    /// Ends the leftover copy, then does what `then` says.
    pub(super) fn end_leftover(&mut self, mut leftover: Leftover, then: Option<CutIn>) {
        self.effects.push(Effect::Stop(leftover.unit));
        leftover.then = then.or(Some(CutIn::Abort(self.lead.clone())));
        self.doing = Doing::Leftover(leftover);
    }

    /// Someone cut in while a leftover copy is watched: it is ended first.
    pub(super) fn leftover_cut(&mut self, cut: CutIn) {
        let Doing::Leftover(l) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
        if l.then.is_some() {
            self.doing = Doing::Leftover(l);
            return;
        }
        self.end_leftover(l, Some(cut));
    }

    /// Goes on with the run as journaled: a rollback under way resumes, else the walk.
    pub(super) fn carry_on(&mut self) {
        self.doing = Doing::Idle;
        if self.state.rollback.is_some() {
            self.resume_rollback();
        }
    }

    pub(super) fn is_unknown(&self, step: &str, role: Role) -> bool {
        self.unknown.as_ref().is_some_and(|u| u.step == step && u.role == role)
    }

    pub(super) fn ask_unknown(&mut self, step: &str, role: Role) {
        let Some(unknown) = self.unknown.as_ref() else { return };
        let title = self.plan_step(step).map_or(step.to_string(), |s| s.title);
        let text = format!(
            "\"{title}\" was running when the last conductor ended, and whether it still runs cannot be \
             known here ({}): running it again could run it twice at once. Type `retry {step}` to run \
             it anyway, `done <reason>` if it finished, roll back, or stop",
            unknown.why
        );
        self.ask(step, Prompt::Unknown, text, About::Unknown(role));
    }

    /// The operator has settled the unknown step: it no longer needs a typed retry.
    pub(super) fn known(&mut self) {
        self.unknown = None;
    }
}
