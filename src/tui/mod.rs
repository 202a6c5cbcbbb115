//! The showing: the full-screen view the deployment lead drives. It turns keys into engine
//! commands and draws the run's state; it decides nothing about what happens next.

mod ansi;
pub mod app;
pub mod older;
mod terminal;
pub mod theme;
pub mod ui;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, interval, sleep_until};

use crate::engine::Act;
use crate::journal::{Event, Store};
use app::{Action, App};
use theme::Theme;

/// Redraws are coalesced to at most one per frame, however fast events come.
const FRAME: Duration = Duration::from_millis(33);
/// Events folded per turn of the loop before keys and drawing get their turn…
const EVENTS_PER_TURN: usize = 256;
/// …and bytes of output: a turn of a flood's batches must not keep a key waiting.
const BYTES_PER_TURN: usize = 512 * 1024;

pub struct Options {
    pub operator: String,
    /// The account this screen acts as, where it acts on the run.
    pub login: Option<String>,
    pub theme: Theme,
    pub session: app::Session,
    /// The run as journaled before this session (a resumed run); empty otherwise.
    pub so_far: crate::journal::RunState,
    /// For a watcher: word of a conductor that has gone silent (`None` while it is heard).
    pub health: Option<tokio::sync::watch::Receiver<Option<String>>>,
    /// The run's journal, read-only: the output pane reads lines older than a step's tail
    /// from it. Without one, the pane scrolls through the tail only.
    pub journal: Option<Arc<dyn Store>>,
}

/// How a screen ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    /// The person left: the run goes on, or has ended (the state says which).
    Left,
    /// The terminal went away (SIGHUP) or the screen was told to end (SIGTERM, SIGINT).
    Lost,
    /// The lead started the run from its plan.
    Start,
}

/// Runs the screen until the person leaves. `commands` is `None` for a watch or a replay:
/// such a session has nothing to send them to. Returns the run as the screen last saw it.
pub async fn drive(
    events: mpsc::Receiver<Event>,
    commands: Option<mpsc::Sender<Act>>,
    options: Options,
) -> std::io::Result<(Leaving, crate::journal::RunState)> {
    let mut screen = terminal::Screen::enter()?;
    let mut app = App::new(options.operator, options.theme, Utc::now(), options.session);
    app.state = options.so_far;
    app.login = options.login;
    let older = options.journal.map(|store| {
        app.older = Some(older::Older::default());
        // One read at a time: the screen asks for the next page once the last is in.
        let (wants, wanted) = mpsc::channel(1);
        let (read, pages) = mpsc::channel(1);
        tokio::spawn(older::serve(store, wanted, read));
        Journal { wants, pages }
    });
    let leaving = run_screen(&mut screen, &mut app, events, commands, options.health, older).await;
    if let Ok(Leaving::Lost) = leaving {
        // The terminal may be gone: never write to it again, not even to restore it.
        screen.abandon();
    }
    leaving.map(|l| (l, app.state))
}

/// The plan of a run not started yet, with its countdown, until the lead starts it (`S`:
/// `Leaving::Start`) or leaves. Nothing is journaled: the run does not exist yet.
pub async fn preview(
    info: crate::journal::RunInfo,
    operator: String,
    theme: Theme,
) -> std::io::Result<Leaving> {
    let mut screen = terminal::Screen::enter()?;
    let now = Utc::now();
    let mut app = App::new(operator, theme, now, app::Session::Preview);
    let kind = crate::journal::EventKind::RunStarted(Box::new(info));
    app.apply(&Event { run_id: String::new(), seq: 0, at: now, step: None, kind, data: Vec::new() });
    app.log.clear();
    // No run, no events: the channel stays open and empty while the plan is shown.
    let (_none, events) = mpsc::channel(1);
    let leaving = run_screen(&mut screen, &mut app, events, None, None, None).await;
    if let Ok(Leaving::Lost) = leaving {
        screen.abandon();
    }
    leaving
}

/// The screen's line to the task that reads older output from the journal.
struct Journal {
    wants: mpsc::Sender<older::Want>,
    pages: mpsc::Receiver<older::Page>,
}

async fn run_screen(
    screen: &mut terminal::Screen,
    app: &mut App,
    mut events: mpsc::Receiver<Event>,
    commands: Option<mpsc::Sender<Act>>,
    mut health: Option<tokio::sync::watch::Receiver<Option<String>>>,
    mut journal: Option<Journal>,
) -> std::io::Result<Leaving> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    // In raw mode Ctrl-C is a key; a SIGINT is someone else ending this screen.
    let mut interrupt = signal(SignalKind::interrupt())?;
    // SIGQUIT would end the process with a core and the terminal left raw: it ends the screen
    // like the others, and the terminal is given back.
    let mut quit = signal(SignalKind::quit())?;
    let mut input = EventStream::new();
    let mut tick = interval(Duration::from_secs(1));
    let mut dirty = true;
    // A key is answered on screen at once; only the run's own updates wait for the next frame.
    let mut urgent = false;
    let mut last_draw = Instant::now() - FRAME;
    app.resize(screen.area()?);
    loop {
        if let (Some(journal), Some(want)) = (&journal, app.older_wanted())
            && let Err(e) = journal.wants.try_send(want)
        {
            let lines = Err("the journal reader has stopped".to_string());
            app.older_read(older::Page { want: e.into_inner(), lines });
        }
        if urgent || (dirty && last_draw.elapsed() >= FRAME) {
            screen.draw(app)?;
            dirty = false;
            urgent = false;
            last_draw = Instant::now();
        }
        let next_frame = dirty.then(|| last_draw + FRAME);
        tokio::select! {
            biased;
            key = input.next() => match key {
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => {
                    for action in app.on_key(key) {
                        match action {
                            Action::Send(command) => {
                                if let Some(commands) = &commands {
                                    // Never block the screen on the conductor: a full queue drops a key.
                                    let _ = commands.try_send(command);
                                }
                            }
                            Action::Exit => return Ok(Leaving::Left),
                            Action::Start => return Ok(Leaving::Start),
                        }
                    }
                    urgent = true;
                }
                Some(Ok(TermEvent::Resize(width, height))) => {
                    app.resize(ratatui::layout::Rect::new(0, 0, width, height));
                    dirty = true;
                }
                Some(Ok(_)) => dirty = true,
                Some(Err(e)) => return Err(e),
                None => return Ok(Leaving::Lost),
            },
            _ = hangup.recv() => return Ok(Leaving::Lost),
            _ = terminate.recv() => return Ok(Leaving::Lost),
            _ = interrupt.recv() => return Ok(Leaving::Lost),
            _ = quit.recv() => return Ok(Leaving::Lost),
            event = events.recv(), if !app.engine_done => {
                let mut next = event;
                let (mut folded, mut bytes) = (0, 0);
                while let Some(event) = next {
                    // What a person acts on (a prompt, an answer, a note) is drawn at once;
                    // only a step's output waits for the next frame.
                    urgent |= !matches!(event.kind, crate::journal::EventKind::Output { .. });
                    app.apply(&event);
                    folded += 1;
                    bytes += event.data.len();
                    next = if folded < EVENTS_PER_TURN && bytes < BYTES_PER_TURN { events.try_recv().ok() } else { None };
                }
                if folded == 0 {
                    app.engine_done = true;
                }
                dirty = true;
            }
            page = async {
                match journal.as_mut() {
                    Some(journal) => journal.pages.recv().await,
                    None => std::future::pending().await,
                }
            } => match page {
                Some(page) => {
                    app.older_read(page);
                    urgent = true;
                }
                None => {
                    app.notice = Some("older output lines cannot be read: the journal reader has stopped".into());
                    journal = None;
                }
            },
            _ = tick.tick() => {
                app.now = Utc::now();
                if let Some(health) = &mut health {
                    app.conductor_silent = health.borrow_and_update().clone().filter(|_| app.state.outcome.is_none());
                }
                dirty = true;
            }
            _ = sleep_until(next_frame.unwrap_or_else(Instant::now)), if next_frame.is_some() => {}
        }
    }
}
