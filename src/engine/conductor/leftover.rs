//! A copy of a step that the last conductor left running. On resume it is found from the
//! journal (the step's process group, host and boot), watched until it ends or ended on the
//! operator's word; nothing starts that step again while it may still run.

use super::prompts::About;
use super::{Conductor, CutIn, Doing, Effect, Machine, UnitId, Work};
use crate::journal::{EventKind, LeftoverState, Prompt, Role, RunOutcome};

/// How a leftover copy is found on this machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Copy {
    /// By its process group, as journaled.
    Group(i32),
    /// By the `StepStarted` event (seq) its processes carry in their environment: its conductor
    /// ended before its group was journaled.
    Started(i64),
}

#[derive(Debug)]
pub(super) struct Leftover {
    unit: UnitId,
    pub(super) step: String,
    pgid: Option<i32>,
    /// It is being ended (TERM, then KILL): no question about it is asked any more.
    ending: bool,
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
            Some((s.plan.id.clone(), role, s.group.clone(), s.started_event, s.started_on.clone()))
        });
        let Some((step, role, group, started_event, started_on)) = open else { return };
        let Machine { host, boot } = &self.machine;
        let copy = match group {
            Some(g) if g.ended => return,
            Some(g) if &g.host == host && &g.boot == boot => Copy::Group(g.pgid),
            // This machine has restarted since: the copy went with it.
            Some(g) if &g.host == host => return,
            Some(g) => {
                let why = format!("it ran on {} as process group {}", g.host, g.pgid);
                self.unknown = Some(Unknown { step, role, why });
                return;
            }
            // Its conductor ended before the group was journaled: on the machine it ran on, its
            // processes are found by the event they carry.
            None if started_on.as_ref() == Some(host) => Copy::Started(started_event),
            None => {
                let why = format!(
                    "it ran on {} and its conductor ended before its process was journaled",
                    started_on.as_deref().unwrap_or("another machine")
                );
                self.unknown = Some(Unknown { step, role, why });
                return;
            }
        };
        let pgid = match copy {
            Copy::Group(pgid) => Some(pgid),
            Copy::Started(_) => None,
        };
        let unit = self.id();
        self.effects.push(Effect::Start { unit, work: Work::Leftover(copy) });
        self.doing = Doing::Leftover(Leftover { unit, step, pgid, ending: false, then: None });
    }

    /// What the watch on a leftover copy says.
    pub(super) fn leftover_report(&mut self, unit: UnitId, found: Option<i32>, state: LeftoverState) {
        let leftover = match &mut self.doing {
            Doing::Leftover(l) if l.unit == unit => l,
            Doing::Asking(a) => match &mut a.about {
                About::StillRunning(l) if l.unit == unit => l,
                _ => return,
            },
            _ => return,
        };
        leftover.pgid = leftover.pgid.or(found);
        let (step, pgid) = (leftover.step.clone(), leftover.pgid);
        self.emit(Some(&step), EventKind::Leftover { pgid, state: state.clone() });
        if matches!(state, LeftoverState::Running { .. }) {
            if let Doing::Leftover(l) = &self.doing
                && !l.ending
            {
                let Doing::Leftover(l) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
                self.ask_still_running(l);
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
        let group = leftover.pgid.map(|g| format!(" (process group {g})")).unwrap_or_default();
        let text = format!(
            "\"{title}\" is still running from the last conductor{group}: it will not run again while \
             it does. Wait for it to end, end it now (TERM, then KILL), roll back, or stop"
        );
        let step = leftover.step.clone();
        self.ask(&step, Prompt::StillRunning, text, About::StillRunning(leftover));
    }

    /// Ends the leftover copy, then does what `then` says.
    pub(super) fn end_leftover(&mut self, mut leftover: Leftover, then: Option<CutIn>) {
        self.effects.push(Effect::Stop(leftover.unit));
        leftover.ending = true;
        leftover.then = then;
        self.doing = Doing::Leftover(leftover);
    }

    /// Someone cut in while a leftover copy is watched: it is ended first.
    pub(super) fn leftover_cut(&mut self, cut: CutIn) {
        let Doing::Leftover(l) = std::mem::replace(&mut self.doing, Doing::Idle) else { return };
        if l.ending {
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
