//! The lead's screen as state: the run (a fold of its events) plus what the operator is looking
//! at. Keys change this state and may yield commands for the engine; drawing only reads it.

use std::collections::VecDeque;
use std::ops::Range;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::older::{Older, Page, Want};
use super::theme::Theme;
use crate::engine::Act;
use crate::journal::state::{StepState, StepStatus};
use crate::journal::{Answer, Decision, Event, EventKind, Needs, Prompt, RunState, describe};
use crate::runbook::May;

/// Event-log lines kept for the log pane.
const LOG_LINES: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Timeline,
    Output,
    Log,
}

/// A line of text being typed into a modal, and what it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub purpose: Purpose,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    /// The reason that goes with a decision (NO-GO, skip).
    Reason(Decision),
    /// The approver's name for a sign-off role.
    Approver(String),
    /// `go`, typed out: a GO at a gate is never one key pressed by accident.
    Go,
    /// The approver `name` already signed role `other` of this gate: `yes`, typed out, signs
    /// `role` too, and the journal says so.
    SameSigner {
        role: String,
        name: String,
        other: String,
    },
    Note,
    Search,
    /// Why the run is being stopped.
    Stop,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    /// The engine asks; `input` is open while a reason or name is typed.
    Prompt {
        input: Option<Input>,
    },
    /// `R`: a second, deliberate confirmation before a rollback starts; `reason` while typed.
    Rollback {
        reason: String,
        typing: bool,
    },
    /// A note or a search being typed.
    Typing {
        input: Input,
    },
    /// `q` while a step runs, or Ctrl-C: detach (the run goes on), abort the running step,
    /// stop the run, or stay.
    Quit,
    Help,
    /// The escalation list, in order: role, name, how to reach them.
    Contacts,
}

/// Whose screen this is: only the lead's sends anything to the conductor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    Lead,
    /// `tminus watch`: the same screen, read-only.
    Watching,
    /// `tminus replay`: a finished run played back.
    Replay,
    /// `tminus run` before the run starts: the plan and its countdown, until the lead starts it.
    Preview,
}

/// What a key asks of the loop around the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send(Act),
    /// Leave the screen: the run goes on (or has ended).
    Exit,
    /// Start the run now (from the plan shown before it starts).
    Start,
}

/// Whether `code` is the key of `answer` on the lead's screen.
pub fn says(answer: &Answer, code: KeyCode) -> bool {
    code == KeyCode::Char(answer.key) || (answer.enter && code == KeyCode::Enter)
}

/// Lines a search shows after the match it goes to, so what followed it is in sight.
const SEARCH_AFTER: usize = 4;

pub struct App {
    pub session: Session,
    /// The account this screen acts as: what the run's roles allow it.
    pub login: Option<String>,
    pub state: RunState,
    pub operator: String,
    pub theme: Theme,
    pub now: DateTime<Utc>,
    pub log: VecDeque<(DateTime<Utc>, String)>,
    pub focus: Pane,
    /// Index into `state.steps` of the step whose output is shown.
    pub selected: usize,
    /// Output follows the running step and its newest line.
    pub follow: bool,
    /// Scrolled back: the output shows the lines before this one (numbered from the step's
    /// first line, so the view stays put while the step prints on); `None` for its newest.
    pub until: Option<u64>,
    /// Rows of output the pane shows at the terminal's size (`resize`).
    pub output_rows: usize,
    /// Lines older than the tail, read from the journal; `None` with no journal to read.
    pub older: Option<Older>,
    pub log_scroll: usize,
    pub search: Option<String>,
    /// Which match of the search the output is at, counted from the newest line.
    pub search_hit: usize,
    /// The output is at a match of the search (so `n` goes on to the next one).
    search_jumped: bool,
    /// Lines the open dialog's list (a gate's results, a failure's cause, the help) is scrolled.
    pub dialog_scroll: usize,
    /// The output and log panes wrap long lines rather than cut them.
    pub wrap: bool,
    pub modal: Option<Modal>,
    /// A prompt the operator put aside with Esc to look around first.
    pub prompt_hidden: bool,
    /// Seq of the prompt asked last and of the one answered last.
    asked: Option<i64>,
    answered: Option<i64>,
    /// The run has ended and every event of it is in.
    pub engine_done: bool,
    /// A short message for the footer, e.g. why a key did nothing.
    pub notice: Option<String>,
    /// Set while the run's conductor is not heard from: what to say instead of its status.
    pub conductor_silent: Option<String>,
}

impl App {
    pub fn new(operator: String, theme: Theme, now: DateTime<Utc>, session: Session) -> Self {
        App {
            session,
            login: None,
            state: RunState::default(),
            operator,
            theme,
            now,
            log: VecDeque::new(),
            focus: Pane::Timeline,
            selected: 0,
            follow: true,
            until: None,
            output_rows: 0,
            older: None,
            log_scroll: 0,
            search: None,
            search_hit: 0,
            search_jumped: false,
            dialog_scroll: 0,
            wrap: false,
            modal: None,
            prompt_hidden: false,
            asked: None,
            answered: None,
            engine_done: false,
            notice: None,
            conductor_silent: None,
        }
    }

    /// Folds an event in.
    pub fn apply(&mut self, event: &Event) {
        self.state.apply(event);
        if let EventKind::Handover { from_login, to, to_login, .. } = &event.kind {
            // The lead who handed over watches from now on.
            if self.login.as_ref() == Some(from_login) && self.login.as_ref() != Some(to_login) {
                self.session = Session::Watching;
                self.modal = None;
                self.notice = Some(format!("{to} leads the run now: this screen watches"));
            }
        }
        if !matches!(event.kind, EventKind::Output { .. }) && !event.kind.is_bookkeeping() {
            if self.log.len() == LOG_LINES {
                self.log.pop_front();
            }
            let line = match &event.kind {
                // The screen's own words: its keys are in the dialog and the footer, not the
                // headless answers `describe` lists.
                EventKind::ConfirmationRequested { text, .. } => {
                    format!("? {}: {text}", event.step.as_deref().unwrap_or_default())
                }
                _ => describe(event, &self.state),
            };
            self.log.push_back((event.at, line));
        }
        match &event.kind {
            EventKind::StepStarted { .. } | EventKind::ConfirmationRequested { .. } if self.follow => {
                if let Some(i) = event.step.as_deref().and_then(|id| self.index_of(id)) {
                    self.selected = i;
                    self.until = None;
                }
            }
            _ => {}
        }
        if let EventKind::ConfirmationRequested { prompt, .. } = &event.kind {
            if self.session != Session::Lead {
                return;
            }
            self.asked = Some(event.seq);
            self.prompt_hidden = false;
            self.dialog_scroll = 0;
            if prompt.blocks() && !matches!(self.modal, Some(Modal::Rollback { .. })) {
                self.modal = Some(Modal::Prompt { input: None });
            }
        }
        if matches!(event.kind, EventKind::Decided { .. } | EventKind::RunFinished { .. })
            && matches!(self.modal, Some(Modal::Prompt { .. }))
        {
            self.modal = None;
        }
    }

    /// The prompt the engine waits on that this session has not answered yet.
    pub fn open_prompt(&self) -> Option<&Prompt> {
        let waiting = self.state.waiting.as_ref()?;
        (self.asked != self.answered).then_some(&waiting.prompt)
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.state.steps.iter().position(|s| s.plan.id == id)
    }

    pub fn selected_step(&self) -> Option<&StepState> {
        self.state.steps.get(self.selected)
    }

    pub fn running(&self) -> bool {
        self.state.steps.iter().any(|s| s.status == StepStatus::Running)
    }

    /// `R` can start a rollback: the run goes on and none runs yet.
    pub fn can_roll_back(&self) -> bool {
        self.state.outcome.is_none() && self.state.rollback.is_none() && !self.engine_done
    }

    fn answer(&mut self, decision: Decision, reason: Option<String>) -> Vec<Action> {
        self.answered = self.asked;
        self.modal = None;
        let to = self.asked.unwrap_or_default();
        vec![Action::Send(Act::Answer { to, decision, reason, auto: false })]
    }

    /// Handles one key press. Pure state change plus the commands it yields: no terminal here.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Action> {
        self.notice = None;
        if self.session == Session::Preview {
            return self.preview_key(key);
        }
        if self.session != Session::Lead {
            return self.observer_key(key);
        }
        // Ctrl-C asks, as `q` does: it never ends anything by itself.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            if self.run_over() {
                return vec![Action::Exit];
            }
            self.modal = Some(Modal::Quit);
            return Vec::new();
        }
        match self.modal.clone() {
            Some(Modal::Help | Modal::Contacts) => self.help_key(key),
            Some(Modal::Quit) => self.quit_key(key),
            Some(Modal::Typing { input }) => {
                let purpose = input.purpose.clone();
                self.typing(key, input, |app, text| {
                    app.modal = None;
                    let text = text.trim().to_string();
                    match purpose {
                        _ if text.is_empty() => Vec::new(),
                        Purpose::Stop => vec![Action::Send(Act::Stop { reason: text })],
                        _ => vec![Action::Send(Act::Note { text })],
                    }
                })
            }
            Some(Modal::Rollback { reason, typing }) => self.rollback_key(key, reason, typing),
            Some(Modal::Prompt { input: Some(input) }) => self.prompt_typing(key, input),
            Some(Modal::Prompt { input: None }) => self.prompt_key(key),
            None => self.browse_key(key),
        }
    }

    /// An observer looks around freely; every key that would act on the run is refused. What
    /// is typed into a search is text, whatever the letters.
    fn observer_key(&mut self, key: KeyEvent) -> Vec<Action> {
        let typing = matches!(self.modal, Some(Modal::Typing { .. }));
        let answers = || Prompt::kinds().iter().flat_map(Prompt::answers).any(|a| says(&a, key.code));
        let control = !typing
            && (key.modifiers.contains(KeyModifiers::CONTROL)
                || key.code == KeyCode::Enter
                || key.code == KeyCode::Char('a')
                || answers());
        if control {
            let lead = self.state.info.as_ref().map_or("the lead", |i| i.operator.as_str());
            self.notice = Some(format!("read-only session: only the lead ({lead}) can act on this run"));
            return Vec::new();
        }
        match (&self.modal, key.code) {
            (_, KeyCode::Char('q')) if self.modal.is_none() => vec![Action::Exit],
            (Some(Modal::Typing { .. } | Modal::Help | Modal::Contacts), _) | (None, _) => {
                let lead_modal = self.modal.clone();
                match lead_modal {
                    Some(Modal::Typing { input }) => self.typing(key, input, |_, _| Vec::new()),
                    Some(Modal::Help | Modal::Contacts) => self.help_key(key),
                    Some(_) => {
                        self.modal = None;
                        Vec::new()
                    }
                    None => self.browse_key(key),
                }
            }
            _ => {
                self.modal = None;
                Vec::new()
            }
        }
    }

    /// Before the run starts: look around the plan; `S` starts it, `q` leaves with nothing started.
    fn preview_key(&mut self, key: KeyEvent) -> Vec<Action> {
        if let Some(Modal::Help | Modal::Contacts) = self.modal {
            return self.help_key(key);
        }
        match key.code {
            KeyCode::Char('S') => vec![Action::Start],
            KeyCode::Char('q') => vec![Action::Exit],
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => vec![Action::Exit],
            KeyCode::Up
            | KeyCode::Down
            | KeyCode::Char('j' | 'k' | 'g' | 'G' | '?' | 'c')
            | KeyCode::PageUp
            | KeyCode::PageDown
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::Tab
            | KeyCode::BackTab => self.browse_key(key),
            _ => {
                self.notice = Some("the run has not started: S starts it now, q leaves".into());
                Vec::new()
            }
        }
    }

    /// The help scrolls; any other key closes it.
    fn help_key(&mut self, key: KeyEvent) -> Vec<Action> {
        if !self.scroll_dialog(key.code) {
            self.modal = None;
        }
        Vec::new()
    }

    /// Arrows, j/k and PgUp/PgDn scroll the open dialog's list; other keys are not for it.
    fn scroll_dialog(&mut self, code: KeyCode) -> bool {
        let by: isize = match code {
            KeyCode::Up | KeyCode::Char('k') => -1,
            KeyCode::Down | KeyCode::Char('j') => 1,
            KeyCode::PageUp => -8,
            KeyCode::PageDown => 8,
            KeyCode::Home => -10_000,
            KeyCode::End => 10_000,
            _ => return false,
        };
        let most = super::ui::dialog_list_len(self);
        self.dialog_scroll = self.dialog_scroll.saturating_add_signed(by).min(most.saturating_sub(1));
        true
    }

    fn browse_key(&mut self, key: KeyEvent) -> Vec<Action> {
        // A prompt the run does not wait on (a running monitor's) is answered from here.
        let standing = self.open_prompt().filter(|p| !p.blocks() && self.session == Session::Lead).cloned();
        if let Some(prompt) = standing {
            let answer =
                prompt.answers().into_iter().find(|a| a.decision != Decision::Rollback && says(a, key.code));
            if let Some(answer) = answer {
                self.prompt_hidden = false;
                return self.say(&prompt, answer);
            }
        }
        let searching = self.search.as_ref().is_some_and(|s| !s.is_empty());
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::PageUp => self.page(true),
            KeyCode::PageDown => self.page(false),
            KeyCode::Char('g') | KeyCode::Home => self.jump(true),
            KeyCode::Char('G') | KeyCode::End => self.jump(false),
            KeyCode::Tab => {
                self.focus = match self.focus {
                    Pane::Timeline => Pane::Output,
                    Pane::Output => Pane::Log,
                    Pane::Log => Pane::Timeline,
                }
            }
            KeyCode::BackTab => {
                self.focus = match self.focus {
                    Pane::Timeline => Pane::Log,
                    Pane::Output => Pane::Timeline,
                    Pane::Log => Pane::Output,
                }
            }
            KeyCode::Char('f') => {
                self.follow = !self.follow;
                if self.follow {
                    self.until = None;
                    if let Some(i) = self
                        .state
                        .steps
                        .iter()
                        .rposition(|s| s.status == StepStatus::Running || s.status == StepStatus::Waiting)
                    {
                        self.selected = i;
                    }
                }
            }
            KeyCode::Char('w') => self.wrap = !self.wrap,
            KeyCode::Char('/') => {
                self.modal =
                    Some(Modal::Typing { input: Input { purpose: Purpose::Search, text: String::new() } });
            }
            KeyCode::Char('n') if searching => self.next_match(true),
            KeyCode::Char('N') if searching => self.next_match(false),
            KeyCode::Char('n' | 'N') => {
                self.notice = Some("n / N go to the next match of a search: / searches".into())
            }
            KeyCode::Esc if self.search.is_some() => self.search = None,
            KeyCode::Char('a') if self.session == Session::Lead => {
                self.modal =
                    Some(Modal::Typing { input: Input { purpose: Purpose::Note, text: String::new() } });
            }
            KeyCode::Char('R') if self.session == Session::Lead => self.open_rollback(),
            KeyCode::Enter if self.open_prompt().is_some_and(Prompt::blocks) => {
                self.prompt_hidden = false;
                self.modal = Some(Modal::Prompt { input: None });
            }
            KeyCode::Char('?') => {
                self.dialog_scroll = 0;
                self.modal = Some(Modal::Help);
            }
            KeyCode::Char('c') => {
                self.dialog_scroll = 0;
                self.modal = Some(Modal::Contacts);
            }
            KeyCode::Char('q') => return self.quit(),
            _ => {}
        }
        Vec::new()
    }

    fn prompt_key(&mut self, key: KeyEvent) -> Vec<Action> {
        let Some(prompt) = self.open_prompt().cloned() else {
            self.modal = None;
            return Vec::new();
        };
        if self.scroll_dialog(key.code) {
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc => {
                self.modal = None;
                self.prompt_hidden = true;
                return Vec::new();
            }
            KeyCode::Char('q') => return self.quit(),
            KeyCode::Char('?') => {
                self.dialog_scroll = 0;
                self.modal = Some(Modal::Help);
                return Vec::new();
            }
            _ => {}
        }
        match prompt.answers().into_iter().find(|a| says(a, key.code)) {
            Some(answer) => return self.say(&prompt, answer),
            None => {
                let keys: Vec<String> =
                    super::ui::footer_keys(self).iter().map(|(k, w)| format!("{k} {w}")).collect();
                self.notice = Some(format!("keys here: {}", keys.join(" · ")));
            }
        }
        Vec::new()
    }

    /// The lead pressed the key of one of the prompt's answers: it is sent, or what it needs
    /// is asked for first.
    fn say(&mut self, prompt: &Prompt, answer: Answer) -> Vec<Action> {
        let typed =
            |purpose: Purpose| Some(Modal::Prompt { input: Some(Input { purpose, text: String::new() }) });
        match (&answer.decision, answer.needs) {
            // The deliberate second step: the rollback dialog shows what it undoes first.
            (Decision::Rollback, _) => self.open_rollback(),
            (decision, Needs::Nothing) => return self.answer(decision.clone(), None),
            (decision, Needs::Reason | Needs::StepId) => {
                self.modal = typed(Purpose::Reason(decision.clone()))
            }
            // GO is typed out: two Enters never make a GO.
            (_, Needs::Go) => self.modal = typed(Purpose::Go),
            // No name is filled in for the lead: the approver is named, every time.
            (_, Needs::Name) => {
                let Prompt::Signoff { role } = prompt else { return Vec::new() };
                self.modal = typed(Purpose::Approver(role.clone()));
            }
        }
        Vec::new()
    }

    fn prompt_typing(&mut self, key: KeyEvent, input: Input) -> Vec<Action> {
        if key.code == KeyCode::Esc {
            self.modal = Some(Modal::Prompt { input: None });
            return Vec::new();
        }
        let purpose = input.purpose.clone();
        let step = self.state.waiting.as_ref().and_then(|w| w.step.clone()).unwrap_or_default();
        let prompt = self.open_prompt().cloned();
        self.typing(key, input, |app, text| {
            let text = text.trim().to_string();
            let again = |app: &mut App, purpose: Purpose, text: String, why: String| {
                app.notice = Some(why);
                app.modal = Some(Modal::Prompt { input: Some(Input { purpose, text }) });
                Vec::new()
            };
            match purpose {
                // What the answer needs is what its prompt's table says: a reason, or the step's id.
                Purpose::Reason(decision) => {
                    let needs = prompt
                        .as_ref()
                        .and_then(|p| p.answer(&decision))
                        .map(|a| a.complete(Some(&text), &step));
                    match needs {
                        Some(Err(why)) => again(app, Purpose::Reason(decision), text, why),
                        _ => app.answer(decision, Some(text)),
                    }
                }
                Purpose::Go if text.eq_ignore_ascii_case("go") => app.answer(Decision::Go, None),
                Purpose::Go => again(app, Purpose::Go, text, "type GO to say GO, or Esc".into()),
                Purpose::Approver(role) if !text.is_empty() => {
                    match app.state.signed_other(&step, &role, &text) {
                        // One person for two roles of one gate is said out loud, or not done.
                        Some(other) => {
                            let purpose = Purpose::SameSigner { role, name: text, other };
                            app.modal =
                                Some(Modal::Prompt { input: Some(Input { purpose, text: String::new() }) });
                            Vec::new()
                        }
                        None => app.answer(Decision::Signed { role, name: text }, None),
                    }
                }
                Purpose::SameSigner { role, name, other } if text.eq_ignore_ascii_case("yes") => {
                    let why = crate::journal::also_signed(&name, &other);
                    app.answer(Decision::Signed { role, name }, Some(why))
                }
                Purpose::SameSigner { .. } => {
                    again(app, purpose, text, "type yes to sign both roles, or Esc for another name".into())
                }
                Purpose::Approver(role) => {
                    let why = format!("name the approver for {role}");
                    again(app, Purpose::Approver(role), text, why)
                }
                purpose => again(app, purpose, text, "a reason is needed".into()),
            }
        })
    }

    fn rollback_key(&mut self, key: KeyEvent, reason: String, typing: bool) -> Vec<Action> {
        if typing {
            let mut reason = reason;
            match key.code {
                KeyCode::Enter => {}
                // Esc cancels what was typed, as it does everywhere.
                KeyCode::Esc => reason.clear(),
                KeyCode::Backspace => {
                    reason.pop();
                }
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => reason.clear(),
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => reason.push(c),
                _ => {}
            }
            let typing = !matches!(key.code, KeyCode::Enter | KeyCode::Esc);
            self.modal = Some(Modal::Rollback { reason, typing });
            return Vec::new();
        }
        match key.code {
            // The deliberate second step: Enter alone never starts a rollback.
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                let reason = (!reason.trim().is_empty()).then(|| reason.trim().to_string());
                self.modal = None;
                self.answered = self.asked;
                vec![Action::Send(Act::Rollback { reason })]
            }
            KeyCode::Char('r') => {
                self.modal = Some(Modal::Rollback { reason, typing: true });
                Vec::new()
            }
            KeyCode::Esc => {
                self.modal = self.open_prompt().filter(|p| p.blocks()).map(|_| Modal::Prompt { input: None });
                Vec::new()
            }
            _ => {
                self.notice = Some("y rolls back now · r adds a reason · Esc cancels".into());
                Vec::new()
            }
        }
    }

    /// Edits the modal's input; `done` runs on Enter with the text typed.
    fn typing(
        &mut self,
        key: KeyEvent,
        mut input: Input,
        done: impl FnOnce(&mut App, String) -> Vec<Action>,
    ) -> Vec<Action> {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => {
                if input.purpose == Purpose::Search {
                    self.modal = None;
                    self.search = (!input.text.is_empty()).then_some(input.text);
                    self.search_hit = 0;
                    self.search_jumped = false;
                    if self.search.is_some() {
                        self.next_match(true);
                    }
                    return Vec::new();
                }
                return done(self, input.text);
            }
            KeyCode::Esc => {
                self.modal = None;
                return Vec::new();
            }
            KeyCode::Backspace => {
                input.text.pop();
            }
            KeyCode::Char('u') if control => input.text.clear(),
            KeyCode::Char(c) if !control => input.text.push(c),
            _ => {}
        }
        self.modal = Some(match self.modal {
            Some(Modal::Prompt { .. }) => Modal::Prompt { input: Some(input) },
            _ => Modal::Typing { input },
        });
        Vec::new()
    }

    fn open_rollback(&mut self) {
        if self.state.outcome.is_some() {
            self.notice = Some("the run has ended: nothing to roll back".into());
            return;
        }
        if self.state.rollback.is_some() {
            self.notice = Some("a rollback is already running".into());
            return;
        }
        if let Some(why) = self.may_not(May::Rollback) {
            self.notice = Some(why);
            return;
        }
        self.modal = Some(Modal::Rollback { reason: String::new(), typing: false });
    }

    /// Why this session may not do `what`, when the run's roles say it may not: it is said on
    /// the screen and nothing is sent.
    fn may_not(&self, what: May) -> Option<String> {
        let (login, roles) = (self.login.as_deref()?, &self.state.info.as_ref()?.roles);
        let allowed =
            roles.is_empty() || self.state.lead_login.as_deref() == Some(login) || roles.allows(login, what);
        (!allowed).then(|| {
            let who = roles.who_may(what).join(", ");
            format!("this session ({login}) may not {}: the lead and {who} may", what.name())
        })
    }

    /// The run has ended, or this screen has every event of it.
    fn run_over(&self) -> bool {
        self.state.outcome.is_some() || self.engine_done
    }

    /// `q`: leave at once when nothing runs (the run waits at its prompt for whoever comes
    /// back); while a step runs, ask first.
    fn quit(&mut self) -> Vec<Action> {
        if self.run_over() || !self.running() {
            return vec![Action::Exit];
        }
        self.modal = Some(Modal::Quit);
        Vec::new()
    }

    fn quit_key(&mut self, key: KeyEvent) -> Vec<Action> {
        self.modal = None;
        match key.code {
            // Detach: the screen goes, the run goes on; `tminus attach` comes back to it.
            KeyCode::Char('d') => vec![Action::Exit],
            // Abort: the running step is ended now, journaled with who did it; the run then
            // waits for a decision, so stay and make it.
            KeyCode::Char('a') if self.running() => {
                self.answered = self.asked;
                vec![Action::Send(Act::Abort)]
            }
            // Stop the run: a deliberate choice, with a reason.
            KeyCode::Char('x') => {
                self.modal =
                    Some(Modal::Typing { input: Input { purpose: Purpose::Stop, text: String::new() } });
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Pane::Timeline => {
                let last = self.state.steps.len().saturating_sub(1);
                self.selected = self.selected.saturating_add_signed(delta).min(last);
                self.follow = false;
                self.until = None;
            }
            Pane::Output => self.scroll_output(-delta),
            Pane::Log => self.log_scroll = self.log_scroll.saturating_add_signed(-delta).min(self.log.len()),
        }
    }

    fn scroll_output(&mut self, up: isize) {
        let Some(step) = self.selected_step() else { return };
        let end = self.output_window(step).end;
        self.scroll_to(end.saturating_add_signed(-(up as i64)));
        if up > 0 {
            self.follow = false;
        }
    }

    /// Shows the output's lines before line `end`, as far as there are lines to show: the
    /// tail's, or every line the step printed when its journal can be read.
    fn scroll_to(&mut self, end: u64) {
        let Some(step) = self.selected_step() else { return };
        let total = shown_lines(step);
        let oldest = if self.older.is_some() { 0 } else { tail_start(step) };
        let end = end.max(oldest + self.output_rows.max(1) as u64).min(total);
        self.until = (end < total).then_some(end);
    }

    /// The lines of `step` the output pane shows, numbered from its first line.
    pub fn output_window(&self, step: &StepState) -> Range<u64> {
        let end = self.until.unwrap_or_else(|| shown_lines(step));
        end.saturating_sub(self.output_rows as u64)..end
    }

    /// Line `n` of `step`'s output, from its tail or the page read from the journal; `None`
    /// while it is not at hand.
    pub fn output_line<'a>(&'a self, step: &'a StepState, n: u64) -> Option<&'a str> {
        let tail = &step.output;
        match n.checked_sub(tail_start(step)).map(|i| i as usize) {
            Some(i) if i < tail.lines.len() => Some(&tail.lines[i]),
            Some(i) if i == tail.lines.len() && !tail.partial.is_empty() => Some(&tail.partial),
            Some(_) => None,
            None => self.older.as_ref()?.line(&step.plan.id, n),
        }
    }

    /// The terminal is `area` now: the output pane's rows follow from it.
    pub fn resize(&mut self, area: ratatui::layout::Rect) {
        self.output_rows = super::ui::output_rows(area);
    }

    /// The page of older lines to read now, if the pane shows lines neither the tail nor the
    /// page read holds; it counts as being read from here on.
    pub fn older_wanted(&mut self) -> Option<Want> {
        let step = self.selected_step()?;
        let window = self.output_window(step);
        let needed = window.start..window.end.min(tail_start(step));
        let want = self.older.as_ref()?.want(&self.state.run_id, &step.plan.id, needed)?;
        self.older.as_mut()?.loading = Some(want.clone());
        Some(want)
    }

    /// A page of older lines is in.
    pub fn older_read(&mut self, page: Page) {
        if let Err(e) = &page.lines {
            self.notice = Some(format!("older lines of {} could not be read: {e}", page.want.step));
        }
        if let Some(older) = &mut self.older {
            older.loading = None;
            older.page = Some(page);
        }
    }

    fn page(&mut self, up: bool) {
        let page = 10;
        match self.focus {
            Pane::Log => {
                self.log_scroll = if up {
                    (self.log_scroll + page).min(self.log.len())
                } else {
                    self.log_scroll.saturating_sub(page)
                }
            }
            _ => self.scroll_output(if up { page as isize } else { -(page as isize) }),
        }
    }

    fn jump(&mut self, top: bool) {
        match self.focus {
            Pane::Timeline => {
                self.selected = if top { 0 } else { self.state.steps.len().saturating_sub(1) };
                self.follow = false;
            }
            Pane::Output => {
                if top {
                    self.scroll_to(0);
                } else {
                    self.until = None;
                }
                self.follow = !top && self.follow;
            }
            Pane::Log => self.log_scroll = if top { self.log.len() } else { 0 },
        }
    }

    /// Lines of the selected step's output matching the search, newest first.
    pub fn matches(&self) -> Vec<usize> {
        let (Some(query), Some(step)) = (&self.search, self.selected_step()) else {
            return Vec::new();
        };
        let query = query.to_lowercase();
        let lines = &step.output.lines;
        (0..lines.len()).rev().filter(|&i| lines[i].to_lowercase().contains(&query)).collect()
    }

    /// `n` goes to an older match, `N` to a newer one; the output scrolls to it, with the
    /// lines that came after it in sight.
    fn next_match(&mut self, older: bool) {
        let matches = self.matches();
        if matches.is_empty() {
            self.notice = Some(format!("no line matches `{}`", self.search.as_deref().unwrap_or_default()));
            return;
        }
        if !self.search_jumped {
            self.search_hit = 0;
        } else if older {
            self.search_hit = (self.search_hit + 1) % matches.len();
        } else {
            self.search_hit = (self.search_hit + matches.len() - 1) % matches.len();
        }
        self.search_jumped = true;
        let first = self.selected_step().map_or(0, tail_start);
        self.follow = false;
        self.scroll_to(first + (matches[self.search_hit] + 1 + SEARCH_AFTER) as u64);
    }
}

/// Lines the step's output has, its unfinished last line included.
pub fn shown_lines(step: &StepState) -> u64 {
    step.output.total_lines + u64::from(!step.output.partial.is_empty())
}

/// The number of the oldest line the step's tail holds.
fn tail_start(step: &StepState) -> u64 {
    step.output.total_lines - step.output.lines.len() as u64
}
