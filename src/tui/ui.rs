//! Drawing: a pure function of the app's state onto a frame. Nothing here changes state.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::ansi::styled_line;
use super::app::{App, Modal, Pane, Purpose, Session};
use crate::journal::state::{PhaseState, StepState, StepStatus};
use crate::journal::{Decision, Mode, Prompt, RunOutcome, StepType};
use crate::runbook::format_duration;

/// Below this the screen says so instead of drawing a crushed layout.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "tminus needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(6),
            Constraint::Length(log_height(area.height)),
            Constraint::Length(1),
        ])
        .split(area);
    header(app, frame, rows[0]);
    let body = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(42), Constraint::Percentage(58)])
        .split(rows[1]);
    timeline(app, frame, body[0]);
    output(app, frame, body[1]);
    log(app, frame, rows[2]);
    footer(app, frame, rows[3]);
    if let Some(modal) = &app.modal {
        draw_modal(app, modal, frame, area);
    }
}

fn log_height(height: u16) -> u16 {
    if height >= 30 { 8 } else { 5 }
}

fn offset(app: &App) -> FixedOffset {
    t_zero(app).map(|t| *t.offset()).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

fn t_zero(app: &App) -> Option<DateTime<FixedOffset>> {
    app.state.info.as_ref()?.start
}

/// The distance to T-0 as a countdown reads: "00:14:12", or "3d 04:39:19" days away.
fn clock(delta: TimeDelta) -> String {
    let secs = delta.num_seconds().abs();
    let (days, rest) = (secs / 86400, secs % 86400);
    let hms = format!("{:02}:{:02}:{:02}", rest / 3600, (rest % 3600) / 60, rest % 60);
    if days > 0 { format!("{days}d {hms}") } else { hms }
}

fn header(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(info) = &app.state.info else {
        frame.render_widget(Paragraph::new(" tminus  starting…"), area);
        return;
    };
    let (mode, mode_style) = match (app.session, info.mode) {
        (Session::Watching, _) => ("WATCHING", t.strong(t.accent)),
        (Session::Replay, _) => ("REPLAY", t.strong(t.accent)),
        (Session::Lead, Mode::Live) => ("LIVE", t.strong(t.fail)),
        (Session::Lead, Mode::DryRun) => ("DRY-RUN", t.strong(t.warn)),
    };
    let (label, color) = status(app);
    let countdown = t_zero(app).map(|zero| {
        let delta = app.now - zero.with_timezone(&Utc);
        let sign = if delta < TimeDelta::zero() { "T-" } else { "T+" };
        format!("{sign}{} ", clock(delta))
    });
    let local = app.now.with_timezone(&offset(app));
    // On a narrow terminal the lead's name, then the offset, give way before the status does.
    let width = area.width as usize;
    for detail in (0..=2).rev() {
        let mut left = vec![
            Span::styled(" tminus ", t.strong(t.accent)),
            Span::styled(format!(" {} ", info.runbook), t.strong(t.text)),
            Span::styled(format!(" {mode} "), mode_style),
        ];
        if detail == 2 {
            left.push(Span::styled(format!(" lead {} ", info.operator), t.fg(t.muted)));
        }
        let mut right: Vec<Span> =
            countdown.iter().map(|c| Span::styled(c.clone(), t.strong(t.text))).collect();
        let time = if detail >= 1 { local.format("%H:%M:%S %:z  ") } else { local.format("%H:%M:%S  ") };
        right.push(Span::styled(time.to_string(), t.fg(t.muted)));
        right.push(Span::styled(format!("{label} "), t.strong(color)));
        let used: usize = left.iter().chain(&right).map(|s| s.content.chars().count()).sum();
        if used <= width || detail == 0 {
            left.push(Span::raw(" ".repeat(width.saturating_sub(used))));
            left.extend(right);
            frame.render_widget(Paragraph::new(Line::from(left)), area);
            return;
        }
    }
}

/// The one-glance answer to "how is it going".
fn status(app: &App) -> (String, ratatui::style::Color) {
    let t = &app.theme;
    let s = &app.state;
    if let Some(outcome) = s.outcome {
        let color = match outcome {
            RunOutcome::Succeeded => t.ok,
            RunOutcome::RolledBack | RunOutcome::Aborted | RunOutcome::Interrupted => t.warn,
            RunOutcome::Failed | RunOutcome::NoGo => t.fail,
        };
        return (format!("■ {}", outcome.label().to_uppercase()), color);
    }
    if let Some(silent) = &app.conductor_silent {
        return (format!("◌ {silent}"), t.fail);
    }
    if s.rollback.is_some() {
        return ("⟲ ROLLING BACK".into(), t.warn);
    }
    if s.steps.iter().any(|st| st.plan.critical && st.status.is_failure() && st.phase.is_some()) {
        return ("✖ BLOCKED".into(), t.fail);
    }
    let overrun = s.phases.iter().any(|p| phase_overrun(app, p).is_some());
    if overrun || s.steps.iter().any(|st| st.status.is_failure()) {
        return ("▲ WARNING".into(), t.warn);
    }
    ("● ON TRACK".into(), t.ok)
}

fn phase_took(app: &App, p: &PhaseState) -> Option<Duration> {
    let start = p.started_at?;
    let end = p.finished_at.unwrap_or(app.now);
    (end - start).to_std().ok()
}

fn phase_overrun(app: &App, p: &PhaseState) -> Option<Duration> {
    let took = phase_took(app, p)?;
    let budget = Duration::from_secs(p.budget_secs?);
    (took > budget).then(|| took - budget)
}

fn glyph(step: &StepState) -> &'static str {
    if step.undo.as_ref().is_some_and(|u| u.outcome == Some(crate::journal::Outcome::Passed)) {
        return "↶";
    }
    match step.status {
        StepStatus::Pending => "○",
        StepStatus::Waiting => "?",
        StepStatus::Running => "▶",
        StepStatus::Passed => "✔",
        StepStatus::Failed | StepStatus::TimedOut if !step.plan.critical => "⚠",
        StepStatus::Failed => "✖",
        StepStatus::TimedOut => "⏱",
        StepStatus::Skipped => "»",
        StepStatus::Aborted => "■",
        StepStatus::EndedEarly => "◼",
    }
}

fn step_style(app: &App, step: &StepState) -> Style {
    let t = &app.theme;
    match step.status {
        StepStatus::Passed if step.undo.is_some() => t.fg(t.warn),
        StepStatus::Passed => t.fg(t.ok),
        StepStatus::Running => t.strong(t.running),
        StepStatus::Waiting => t.strong(t.accent),
        StepStatus::Skipped => t.fg(t.muted),
        StepStatus::EndedEarly => t.fg(t.warn),
        StepStatus::Pending => t.fg(t.pending),
        _ if !step.plan.critical => t.fg(t.warn),
        _ => t.strong(t.fail),
    }
}

fn step_duration(app: &App, step: &StepState) -> String {
    match (step.status, step.duration_ms, step.started_at) {
        (StepStatus::Running, _, Some(start)) => {
            format_duration((app.now - start).to_std().unwrap_or_default())
        }
        (_, Some(ms), _) => format_duration(Duration::from_millis(ms)),
        _ => String::new(),
    }
}

fn timeline(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    let zero = t_zero(app);
    let mut sections: Vec<Section> = app
        .state
        .phases
        .iter()
        .map(|p| {
            (
                Some(p),
                app.state
                    .steps
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.phase.as_deref() == Some(p.id.as_str()))
                    .collect(),
            )
        })
        .collect();
    let rollback: Vec<_> = app.state.steps.iter().enumerate().filter(|(_, s)| s.phase.is_none()).collect();
    if !rollback.is_empty() {
        sections.push((None, rollback));
    }
    for (phase, steps) in sections {
        let (title, right, style) = match phase {
            Some(p) => {
                let planned = zero
                    .zip(p.at_secs)
                    .map(|(z, a)| (z + TimeDelta::seconds(a)).format("%H:%M").to_string())
                    .unwrap_or_default();
                let budget = p.budget_secs.map(|b| format_duration(Duration::from_secs(b)));
                let took = phase_took(app, p).map(format_duration);
                let times = match (budget, took) {
                    (Some(b), Some(t)) => format!("{b} / {t}"),
                    (Some(b), None) => b,
                    (None, Some(t)) => t,
                    (None, None) => String::new(),
                };
                let all_done = steps.iter().all(|(_, s)| {
                    !matches!(s.status, StepStatus::Pending | StepStatus::Waiting | StepStatus::Running)
                });
                let mark = if p.started_at.is_none() {
                    "○"
                } else if steps.iter().any(|(_, s)| s.status.is_failure() && s.plan.critical) {
                    "✖"
                } else if all_done && p.finished_at.is_some() {
                    "✔"
                } else {
                    "▶"
                };
                let style = if phase_overrun(app, p).is_some() { t.strong(t.warn) } else { t.strong(t.text) };
                (format!("{mark} {}", p.title), format!("{planned}  {times}"), style)
            }
            None => ("⟲ Rollback".to_string(), String::new(), t.strong(t.warn)),
        };
        lines.push(spread(&title, &right, width, style));
        for (index, step) in steps {
            if index == app.selected {
                selected_line = lines.len();
            }
            let mut title = format!("  {} {}", glyph(step), step.plan.title);
            if step.plan.irreversible {
                title.push_str(" ⚑");
            }
            let right = match step.plan.kind {
                StepType::Gate => step
                    .decisions
                    .iter()
                    .rev()
                    .find(|d| matches!(d.decision, Decision::Go | Decision::NoGo))
                    .map(|d| {
                        format!(
                            "{} · {} {}",
                            d.decision.label(),
                            d.who,
                            d.at.with_timezone(&offset(app)).format("%H:%M")
                        )
                    })
                    .unwrap_or_default(),
                _ => step_duration(app, step),
            };
            let mut style = step_style(app, step);
            if index == app.selected {
                style = style.patch(t.selected());
            }
            lines.push(spread(&title, &right, width, style));
        }
    }
    // Keep the selected (or running) step in view on long runbooks.
    let height = area.height.saturating_sub(2) as usize;
    let top =
        selected_line.saturating_sub(height.saturating_sub(3).max(1)).min(lines.len().saturating_sub(height));
    let shown: Vec<Line> = lines.into_iter().skip(top).take(height).collect();
    frame.render_widget(
        Paragraph::new(shown).block(pane_block(app, Pane::Timeline, " Timeline ".into())),
        area,
    );
}

/// A phase (or the rollback section, `None`) with its steps and their indexes in the run.
type Section<'a> = (Option<&'a PhaseState>, Vec<(usize, &'a StepState)>);

/// Text left, figure right, padded to the width (the title is cut when it must be).
fn spread<'a>(left: &str, right: &str, width: usize, style: Style) -> Line<'a> {
    let right_len = right.chars().count();
    let room = width.saturating_sub(right_len + 1);
    let left: String = if left.chars().count() > room {
        left.chars().take(room.saturating_sub(1)).chain(['…']).collect()
    } else {
        left.to_string()
    };
    let pad = width.saturating_sub(left.chars().count() + right_len);
    Line::from(Span::styled(format!("{left}{}{right}", " ".repeat(pad)), style))
}

fn pane_block(app: &App, pane: Pane, title: String) -> Block<'static> {
    let t = &app.theme;
    let style = if app.focus == pane { t.strong(t.accent) } else { t.fg(t.muted) };
    Block::default().borders(Borders::ALL).border_style(style).title(Span::styled(title, style))
}

fn output(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(step) = app.selected_step() else {
        frame.render_widget(Paragraph::new("").block(pane_block(app, Pane::Output, " Output ".into())), area);
        return;
    };
    let mut title = format!(" Output · {} · {} ", step.plan.id, step.plan.title);
    let took = step_duration(app, step);
    if !took.is_empty() {
        title.push_str(&format!("· {took} "));
    }
    title.push_str(if app.follow { "· follow " } else { "· scrolled " });
    if let Some(q) = &app.search {
        title.push_str(&format!("· /{q} "));
    }
    let height = area.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    // What the step is, above its output: the operator sees what will run.
    if step.output.lines.is_empty() && step.output.partial.is_empty() {
        lines.push(Line::styled(format!("{} {}", step.plan.kind, step.plan.detail), t.fg(t.muted)));
        if let Some(doc) = &step.plan.doc {
            lines.push(Line::styled(doc.clone(), t.fg(t.text)));
        }
        if let Some(undo) = &step.plan.undo {
            lines.push(Line::styled(format!("undo: {undo}"), t.fg(t.muted)));
        }
        if let Some(message) = &step.message {
            lines.push(Line::styled(message.clone(), step_style(app, step)));
        }
    } else {
        let all = step.output.last(usize::MAX);
        let end = all.len().saturating_sub(app.scroll);
        let start = end.saturating_sub(height);
        let query = app.search.as_deref().map(str::to_lowercase);
        let colour = !t.monochrome;
        for line in &all[start..end] {
            let mut styled = styled_line(line, colour);
            if query.as_ref().is_some_and(|q| !q.is_empty() && line.to_lowercase().contains(q.as_str())) {
                styled = styled.patch_style(t.selected().add_modifier(Modifier::UNDERLINED));
            }
            lines.push(styled);
        }
        if end == all.len() {
            if let Some(message) = &step.message {
                lines.push(Line::styled(
                    format!("── {} · {message}", step.status.label()),
                    step_style(app, step),
                ));
            }
        }
        let skip = lines.len().saturating_sub(height);
        lines.drain(..skip);
    }
    frame.render_widget(Paragraph::new(Text::from(lines)).block(pane_block(app, Pane::Output, title)), area);
}

fn log(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let height = area.height.saturating_sub(2) as usize;
    let end = app.log.len().saturating_sub(app.log_scroll);
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = app
        .log
        .range(start..end)
        .map(|(at, text)| {
            Line::from(vec![
                Span::styled(at.with_timezone(&offset(app)).format("%H:%M:%S  ").to_string(), t.fg(t.muted)),
                Span::styled(text.clone(), t.fg(t.text)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(pane_block(app, Pane::Log, " Log ".into())), area);
}

/// The keys that apply now, in terminal habits.
pub fn footer_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    match &app.modal {
        Some(Modal::Help) => vec![("any key", "close")],
        Some(Modal::Quit) if app.running() => {
            vec![("d", "detach"), ("a", "abort the step"), ("x", "stop the run"), ("Esc", "stay")]
        }
        Some(Modal::Quit) => vec![("d", "detach"), ("x", "stop the run"), ("Esc", "stay")],
        Some(Modal::Rollback { typing: true, .. }) => vec![("⏎", "done"), ("Esc", "done")],
        Some(Modal::Rollback { .. }) => {
            vec![("y", "ROLL BACK NOW"), ("r", "reason"), ("Esc", "cancel")]
        }
        Some(Modal::Typing { .. }) | Some(Modal::Prompt { input: Some(_) }) => {
            vec![("⏎", "submit"), ("Esc", "cancel")]
        }
        Some(Modal::Prompt { input: None }) => match app.open_prompt() {
            Some(Prompt::Confirm) => vec![
                ("⏎/y", "run it"),
                ("s", "skip"),
                ("n", "NO-GO"),
                ("R", "ROLLBACK"),
                ("Esc", "look around"),
            ],
            Some(Prompt::Manual) => vec![
                ("⏎/y", "done"),
                ("n", "not done"),
                ("s", "skip"),
                ("R", "ROLLBACK"),
                ("Esc", "look around"),
            ],
            Some(Prompt::Signoff { .. }) => {
                vec![("⏎", "name the approver"), ("n", "NO-GO"), ("R", "ROLLBACK"), ("Esc", "look around")]
            }
            Some(Prompt::Gate) => {
                vec![("g/⏎", "GO"), ("n", "NO-GO"), ("R", "ROLLBACK"), ("Esc", "look around")]
            }
            Some(Prompt::Failure) => {
                vec![("r", "retry"), ("s", "skip"), ("x", "stop"), ("R", "ROLLBACK"), ("Esc", "look around")]
            }
            Some(Prompt::Alert) => vec![("⏎", "keep watching"), ("d", "end monitor"), ("R", "ROLLBACK")],
            Some(Prompt::StillRunning) => {
                vec![
                    ("e", "end it (TERM, then KILL)"),
                    ("x", "end it and stop"),
                    ("R", "ROLLBACK"),
                    ("Esc", "wait"),
                ]
            }
            Some(Prompt::Interrupted | Prompt::Unknown) => {
                vec![
                    ("r", "retry"),
                    ("d", "mark done"),
                    ("x", "stop"),
                    ("R", "ROLLBACK"),
                    ("Esc", "look around"),
                ]
            }
            _ => vec![("Esc", "close")],
        },
        None if app.session != Session::Lead => vec![
            ("↑↓", "select"),
            ("Tab", "pane"),
            ("/", "search"),
            ("f", "follow"),
            ("?", "help"),
            ("q", "quit"),
            ("", "read-only"),
        ],
        None => {
            let mut keys = vec![("↑↓", "select"), ("Tab", "pane")];
            if app.open_prompt().is_some_and(Prompt::blocks) {
                keys.push(("⏎", "answer"));
            }
            if app.open_prompt() == Some(&Prompt::Monitor) {
                keys.push(("d", "end monitor"));
            }
            keys.extend([
                ("n", "note"),
                ("/", "search"),
                ("f", "follow"),
                ("R", "ROLLBACK"),
                ("?", "help"),
                ("q", "quit"),
            ]);
            keys
        }
    }
}

fn footer(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    if let Some(notice) = &app.notice {
        spans.push(Span::styled(format!(" {notice} "), t.strong(t.warn)));
    }
    for (key, what) in footer_keys(app) {
        let style = if what.contains("ROLL") { t.strong(t.fail) } else { t.strong(t.accent) };
        spans.push(Span::styled(format!(" {key}"), style));
        spans.push(Span::styled(format!(" {what} "), t.fg(t.muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

fn draw_modal(app: &App, modal: &Modal, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let (title, mut lines, color): (String, Vec<Line>, _) = match modal {
        Modal::Help => (" Keys ".into(), help_lines(), t.accent),
        Modal::Quit => (" Leave the screen? ".into(), quit_lines(app), t.warn),
        Modal::Rollback { reason, typing } => {
            (" ROLLBACK ".into(), rollback_lines(app, reason, *typing), t.fail)
        }
        Modal::Typing { input } => {
            let what = match input.purpose {
                Purpose::Search => "Search the output",
                Purpose::Stop => "Stop the run: why?",
                _ => "Note for the journal",
            };
            (format!(" {what} "), vec![Line::raw(format!("> {}▏", input.text))], t.accent)
        }
        Modal::Prompt { input } => prompt_lines(app, input.as_ref()),
    };
    if let Some(notice) = &app.notice {
        lines.push(Line::raw(""));
        lines.push(Line::styled(notice.clone(), t.strong(t.warn)));
    }
    let width = (area.width * 3 / 4).max(50).min(area.width.saturating_sub(2));
    // Height as wrapped, so the last line (the keys) is never cut off.
    let inner = width.saturating_sub(2).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16 + 2).min(area.height.saturating_sub(2));
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.strong(color))
        .title(Span::styled(title, t.strong(color)));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(block).alignment(Alignment::Left),
        rect,
    );
}

fn prompt_lines(
    app: &App,
    input: Option<&super::app::Input>,
) -> (String, Vec<Line<'static>>, ratatui::style::Color) {
    let t = &app.theme;
    let Some(waiting) = &app.state.waiting else {
        return (" ".into(), Vec::new(), t.accent);
    };
    let step = waiting.step.as_deref().and_then(|id| app.state.step(id));
    let mut lines = vec![Line::styled(waiting.text.clone(), t.strong(t.text))];
    if let Some(doc) = step.and_then(|s| s.plan.doc.clone()) {
        lines.push(Line::styled(doc, t.fg(t.muted)));
    }
    let (title, color) = match &waiting.prompt {
        Prompt::Confirm => (" Confirm ", t.accent),
        Prompt::Manual => (" Checklist ", t.accent),
        Prompt::Signoff { .. } => (" Sign-off ", t.accent),
        Prompt::Gate => (" GO / NO-GO ", t.warn),
        Prompt::Failure => (" Step failed ", t.fail),
        Prompt::Alert => (" ALERT ", t.fail),
        Prompt::Interrupted => (" Interrupted ", t.warn),
        Prompt::StillRunning => (" Still running ", t.warn),
        Prompt::Unknown => (" Interrupted: state unknown ", t.fail),
        Prompt::Monitor => (" Monitor ", t.accent),
    };
    if waiting.prompt == Prompt::Gate {
        // The results that lead to the decision, critical failures first.
        lines.push(Line::raw(""));
        let gate = waiting.step.as_deref().unwrap_or_default();
        let ordered = app.state.gate_results(gate);
        for s in ordered {
            let figures: Vec<String> = s
                .metrics
                .iter()
                .filter(|m| m.target.is_some())
                .map(|m| format!("{} {}", m.name, m.value))
                .collect();
            let extra = if figures.is_empty() { String::new() } else { format!("  {}", figures.join(", ")) };
            lines.push(Line::styled(format!("{} {}{extra}", glyph(s), s.plan.title), step_style(app, s)));
        }
    }
    if let Some(step) = step.filter(|s| s.plan.kind == StepType::Run && waiting.prompt == Prompt::Confirm) {
        if let Some(undo) = &step.plan.undo {
            lines.push(Line::styled(format!("undo: {undo}"), t.fg(t.muted)));
        }
    }
    if let Some(input) = input {
        let label = match &input.purpose {
            Purpose::Reason(Decision::NoGo) => "Reason for NO-GO".to_string(),
            Purpose::Reason(Decision::Skip) => "Reason for skipping".to_string(),
            Purpose::Reason(Decision::Done) => "Why end the monitor before its time".to_string(),
            Purpose::Reason(Decision::Retry) => {
                let id = waiting.step.as_deref().unwrap_or_default();
                format!("It may run twice at once. To retry anyway, type its id ({id})")
            }
            Purpose::Approver(role) => format!("Approver for {role}"),
            _ => "Reason".to_string(),
        };
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("{label}: {}▏", input.text), t.strong(t.text)));
    }
    lines.push(Line::raw(""));
    let keys: Vec<String> = footer_keys(app).iter().map(|(k, w)| format!("{k} {w}")).collect();
    lines.push(Line::styled(keys.join("   "), t.fg(t.accent)));
    (title.into(), lines, color)
}

fn rollback_lines(app: &App, reason: &str, typing: bool) -> Vec<Line<'static>> {
    let t = &app.theme;
    let plan = app.state.rollback_plan();
    let steps =
        |ids: &[String]| -> Vec<&StepState> { ids.iter().filter_map(|id| app.state.step(id)).collect() };
    let mut lines = vec![Line::styled("Roll back now? This runs, in order:", t.strong(t.text))];
    if plan.undo.is_empty() {
        lines.push(Line::raw("  (no finished step has an undo)"));
    }
    for s in steps(&plan.undo) {
        lines.push(Line::raw(format!(
            "  ↶ undo {}: {}",
            s.plan.title,
            s.plan.undo.as_deref().unwrap_or_default()
        )));
    }
    for s in steps(&plan.steps) {
        lines.push(Line::raw(format!("  ⟲ {} ({})", s.plan.title, s.plan.kind)));
    }
    if !plan.irreversible.is_empty() {
        lines.push(Line::styled("Cannot be undone (irreversible):", t.strong(t.fail)));
        for s in steps(&plan.irreversible) {
            lines.push(Line::styled(format!("  ⚑ {}", s.plan.title), t.fg(t.fail)));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!("Reason: {reason}{}", if typing { "▏" } else { "" })));
    lines.push(Line::styled("y ROLL BACK NOW    r reason    Esc cancel", t.strong(t.fail)));
    lines
}

fn quit_lines(app: &App) -> Vec<Line<'static>> {
    let run_id = app.state.run_id.clone();
    let mut lines = vec![
        Line::raw("The run belongs to its conductor, not to this screen: leaving stops nothing."),
        Line::raw(""),
        Line::raw(format!("d  detach: the run goes on; `tminus attach {run_id}` comes back")),
    ];
    if app.running() {
        lines.push(Line::raw("a  abort the running step now (journaled with your name)"));
    }
    lines.push(Line::raw("x  stop the run, with a reason (journaled)"));
    lines.push(Line::raw("Esc  stay"));
    lines
}

fn help_lines() -> Vec<Line<'static>> {
    [
        "↑/k ↓/j     select a step (Timeline) or scroll (Output, Log)",
        "PgUp PgDn   scroll a page        g / G   top / bottom",
        "Tab         next pane            ⏎       answer the open prompt",
        "f           follow the running step and its newest output",
        "/           search the output    n / N   older / newer match, Esc clears",
        "n           add a note to the journal (when not searching)",
        "d           end a running monitor",
        "R           ROLLBACK: asks once more, then undoes finished steps",
        "q           leave the screen; the run goes on (asks while a step runs)",
        "Ctrl-C      the same choice: detach, abort the step, stop the run",
        "?           this help",
    ]
    .into_iter()
    .map(Line::raw)
    .collect()
}
