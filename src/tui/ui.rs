//! Drawing: a pure function of the app's state onto a frame. Nothing here changes state.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::ansi::styled_line;
use super::app::{App, Modal, Pane, Purpose, Session, shown_lines};
use crate::journal::state::{PhaseState, StepState, StepStatus};
use crate::journal::{Decision, Mode, Prompt, RunOutcome, StepType};
use crate::runbook::format_duration;
use crate::sanitize::one_line;

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
    let panes = Panes::of(area);
    header(app, frame, panes.header);
    timeline(app, frame, panes.timeline);
    output(app, frame, panes.output);
    log(app, frame, panes.log);
    footer(app, frame, panes.footer);
    if let Some(modal) = &app.modal {
        draw_modal(app, modal, frame, area);
    }
}

/// Where each part of the screen goes.
struct Panes {
    header: Rect,
    timeline: Rect,
    output: Rect,
    log: Rect,
    footer: Rect,
}

impl Panes {
    fn of(area: Rect) -> Panes {
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Length(1),
                Constraint::Min(6),
                Constraint::Length(log_height(area.height)),
                Constraint::Length(1),
            ])
            .split(area);
        let body = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(42), Constraint::Percentage(58)])
            .split(rows[1]);
        Panes { header: rows[0], timeline: body[0], output: body[1], log: rows[2], footer: rows[3] }
    }
}

/// Rows of output the output pane shows on a terminal of size `area`.
pub fn output_rows(area: Rect) -> usize {
    Panes::of(area).output.height.saturating_sub(2) as usize
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
        (Session::Preview, _) => ("PLAN", t.strong(t.accent)),
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
    // On a narrow terminal the lead's name, the offset, the local time, the runbook's name and
    // the tag give way, in that order; the clock and the status never do.
    let width = area.width as usize;
    let status = Span::styled(format!("{label} "), t.strong(color));
    for detail in (0..=5).rev() {
        let mut right: Vec<Span> =
            countdown.iter().map(|c| Span::styled(c.clone(), t.strong(t.text))).collect();
        if detail >= 3 {
            let time = if detail >= 4 { local.format("%H:%M:%S %:z  ") } else { local.format("%H:%M:%S  ") };
            right.push(Span::styled(time.to_string(), t.fg(t.muted)));
        }
        right.push(status.clone());
        let mut left = Vec::new();
        if detail >= 1 {
            left.push(Span::styled(" tminus ", t.strong(t.accent)));
        }
        let mode = Span::styled(format!(" {mode} "), mode_style);
        let lead = Span::styled(format!(" lead {} ", one_line(&info.operator)), t.fg(t.muted));
        let fixed: usize =
            right.iter().chain(&left).chain([&mode]).map(|s| s.content.chars().count()).sum::<usize>()
                + if detail == 5 { lead.content.chars().count() } else { 0 };
        let name = format!(" {} ", info.runbook);
        let name = if detail >= 3 { name } else { cut(&name, width.saturating_sub(fixed)) };
        left.push(Span::styled(name, t.strong(t.text)));
        left.push(mode);
        if detail == 5 {
            left.push(lead);
        }
        let used: usize = left.iter().chain(&right).map(|s| s.content.chars().count()).sum();
        if used <= width || detail == 0 {
            left.push(Span::raw(" ".repeat(width.saturating_sub(used))));
            left.extend(right);
            frame.render_widget(Paragraph::new(Line::from(left)), area);
            return;
        }
    }
}

/// `text` in at most `max` characters, cut with an ellipsis.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    if max > 0 {
        cut.push('…');
    }
    cut
}

/// The one-glance answer to "how is it going".
fn status(app: &App) -> (String, ratatui::style::Color) {
    let t = &app.theme;
    let s = &app.state;
    if app.session == Session::Preview {
        return ("◌ NOT STARTED".into(), t.warn);
    }
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
                // A phase on another day than T-0's says which.
                let planned = zero
                    .zip(p.at_secs)
                    .map(|(z, a)| {
                        let at = z + TimeDelta::seconds(a);
                        let day = if at.date_naive() == z.date_naive() { "" } else { "%d %b " };
                        at.format(&format!("{day}%H:%M")).to_string()
                    })
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
                (format!("{mark} {}", one_line(&p.title)), format!("{planned}  {times}"), style)
            }
            None => ("⟲ Rollback".to_string(), String::new(), t.strong(t.warn)),
        };
        lines.push(spread(&title, &right, width, style));
        for (index, step) in steps {
            if index == app.selected {
                selected_line = lines.len();
            }
            let mut title = format!("  {} {}", glyph(step), one_line(&step.plan.title));
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
                            one_line(&d.who),
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
    let title = match zero.filter(|z| multi_day(*z, &app.state.phases)) {
        Some(z) => format!(" Timeline · T-0 {} ", z.format("%a %d %b")),
        None => " Timeline ".into(),
    };
    frame.render_widget(Paragraph::new(shown).block(pane_block(app, Pane::Timeline, title)), area);
}

/// Some phase is planned on another day than T-0's.
fn multi_day(zero: DateTime<FixedOffset>, phases: &[PhaseState]) -> bool {
    phases
        .iter()
        .filter_map(|p| p.at_secs)
        .any(|a| (zero + TimeDelta::seconds(a)).date_naive() != zero.date_naive())
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

/// Rows `line` takes in `width` columns: one, or as many as it wraps to when wrapping.
fn rows(line: &Line, width: usize, wrap: bool) -> usize {
    if wrap { line.width().max(1).div_ceil(width.max(1)) } else { 1 }
}

/// The newest lines that fit in `height` rows, as wrapped (or not): a pane's bottom.
fn bottom<'a>(mut lines: Vec<Line<'a>>, width: usize, height: usize, wrap: bool) -> Vec<Line<'a>> {
    let mut used = 0;
    let mut keep = 0;
    for line in lines.iter().rev() {
        let r = rows(line, width, wrap);
        if used + r > height && keep > 0 {
            break;
        }
        used += r;
        keep += 1;
    }
    lines.split_off(lines.len() - keep)
}

fn pane_paragraph<'a>(lines: Vec<Line<'a>>, wrap: bool) -> Paragraph<'a> {
    let paragraph = Paragraph::new(Text::from(lines));
    if wrap { paragraph.wrap(Wrap { trim: false }) } else { paragraph }
}

fn output(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(step) = app.selected_step() else {
        frame.render_widget(Paragraph::new("").block(pane_block(app, Pane::Output, " Output ".into())), area);
        return;
    };
    // Where the view is, when scrolled back: first, so a narrow pane still shows it.
    let title = |top: Option<u64>| {
        let mut title = format!(" Output · {} · ", step.plan.id);
        if let Some(top) = top {
            title.push_str(&format!("line {} of {} · ", grouped(top + 1), grouped(shown_lines(step))));
        }
        title.push_str(&format!("{} ", one_line(&step.plan.title)));
        let took = step_duration(app, step);
        if !took.is_empty() {
            title.push_str(&format!("· {took} "));
        }
        title.push_str(if app.follow { "· follow " } else { "· scrolled " });
        if app.wrap {
            title.push_str("· wrap ");
        }
        if let Some(q) = &app.search {
            title.push_str(&format!("· /{q} "));
        }
        title
    };
    let height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
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
        frame.render_widget(
            Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false }).block(pane_block(
                app,
                Pane::Output,
                title(None),
            )),
            area,
        );
        return;
    }
    // Enough lines to fill the pane however they wrap: each takes a row at least.
    let end = app.output_window(step).end;
    let start = end.saturating_sub(height as u64);
    let query = app.search.as_deref().map(str::to_lowercase);
    let colour = !t.monochrome;
    // The number of each line drawn, for the title: which line is at the top.
    let mut numbers: Vec<u64> = Vec::new();
    for n in start..end {
        let Some(line) = app.output_line(step, n) else {
            // Lines still being read from the journal: one line says so, however many they are.
            if numbers.last().is_none_or(|&last| app.output_line(step, last).is_some()) {
                let failed = app.older.as_ref().and_then(|o| o.failure(&step.plan.id, n));
                let text =
                    failed.map_or("loading older lines…".to_string(), |e| format!("older lines: {e}"));
                lines.push(Line::styled(text, t.fg(if failed.is_some() { t.fail } else { t.muted })));
                numbers.push(n);
            }
            continue;
        };
        let mut styled = styled_line(line, colour);
        if query.as_ref().is_some_and(|q| !q.is_empty() && line.to_lowercase().contains(q.as_str())) {
            styled = styled.patch_style(t.selected().add_modifier(Modifier::UNDERLINED));
        }
        lines.push(styled);
        numbers.push(n);
    }
    let total = shown_lines(step);
    if end == total
        && let Some(message) = &step.message
    {
        lines.push(Line::styled(format!("── {} · {message}", step.status.label()), step_style(app, step)));
        numbers.push(total);
    }
    let lines = bottom(lines, width, height, app.wrap);
    let top = numbers.get(numbers.len() - lines.len()).filter(|_| app.until.is_some());
    let block = pane_block(app, Pane::Output, title(top.copied()));
    frame.render_widget(pane_paragraph(lines, app.wrap).block(block), area);
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(d);
    }
    text
}

fn log(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let zone = offset(app);
    let title = format!(" Log · times {zone} ");
    if app.session == Session::Preview {
        let lines = preview_lines(app);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(pane_block(app, Pane::Log, title)),
            area,
        );
        return;
    }
    let end = app.log.len().saturating_sub(app.log_scroll);
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = app
        .log
        .range(start..end)
        .map(|(at, text)| {
            Line::from(vec![
                Span::styled(at.with_timezone(&zone).format("%H:%M:%S  ").to_string(), t.fg(t.muted)),
                Span::styled(text.clone(), t.fg(t.text)),
            ])
        })
        .collect();
    let lines = bottom(lines, width, height, app.wrap);
    frame.render_widget(pane_paragraph(lines, app.wrap).block(pane_block(app, Pane::Log, title)), area);
}

/// Before the run starts: when it is planned, and how to start it.
fn preview_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    if let Some(zero) = t_zero(app) {
        let first = app.state.phases.iter().find_map(|p| Some((p, zero + TimeDelta::seconds(p.at_secs?))));
        let mut text = format!("T-0 {}", zero.format("%a %d %b %H:%M %:z"));
        if let Some((phase, at)) = first {
            let until = at.with_timezone(&Utc) - app.now;
            let when = if until > TimeDelta::zero() { format!("in {}", clock(until)) } else { "due".into() };
            text.push_str(&format!(" · first phase \"{}\" at {} ({when})", phase.title, at.format("%H:%M")));
        }
        lines.push(Line::styled(text, t.strong(t.text)));
    }
    lines.push(Line::styled("Nothing runs yet: S starts the run now, q leaves.", t.fg(t.accent)));
    lines
}

/// The open dialog has a list to scroll: the help, a gate's results, a failure's lines.
fn list_shown(app: &App) -> bool {
    match (&app.modal, app.open_prompt()) {
        (Some(Modal::Help | Modal::Contacts), _) => true,
        (Some(Modal::Prompt { .. }), Some(Prompt::Gate | Prompt::Signoff { .. })) => {
            let gate = app.state.waiting.as_ref().and_then(|w| w.step.as_deref()).unwrap_or_default();
            !app.state.gate_results(gate).is_empty()
        }
        (Some(Modal::Prompt { .. }), Some(Prompt::Failure)) => {
            let step =
                app.state.waiting.as_ref().and_then(|w| w.step.as_deref()).and_then(|s| app.state.step(s));
            step.is_some_and(|s| !s.cause(12).is_empty())
        }
        _ => false,
    }
}

/// The keys that apply now, in terminal habits. A prompt's keys are its table of answers.
pub fn footer_keys(app: &App) -> Vec<(String, String)> {
    let rollback = app.can_roll_back();
    let scrolls = list_shown(app);
    let keys = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, w)| (k.to_string(), w.to_string())).collect()
    };
    match &app.modal {
        Some(Modal::Help | Modal::Contacts) if scrolls => {
            keys(&[("↑↓ PgDn", "scroll"), ("any other key", "close")])
        }
        Some(Modal::Help | Modal::Contacts) => keys(&[("any key", "close")]),
        Some(Modal::Quit) if app.running() => {
            keys(&[("d", "detach"), ("a", "abort the step"), ("x", "stop the run"), ("Esc", "stay")])
        }
        Some(Modal::Quit) => keys(&[("d", "detach"), ("x", "stop the run"), ("Esc", "stay")]),
        Some(Modal::Rollback { typing: true, .. }) => keys(&[("⏎", "done"), ("Esc", "clear the reason")]),
        Some(Modal::Rollback { .. }) => keys(&[("y", "ROLL BACK NOW"), ("r", "reason"), ("Esc", "cancel")]),
        Some(Modal::Prompt { input: Some(input) }) => match input.purpose {
            Purpose::Go => keys(&[("type GO ⏎", "GO"), ("Esc", "back")]),
            Purpose::SameSigner { .. } => keys(&[("type yes ⏎", "sign both roles"), ("Esc", "back")]),
            _ => keys(&[("⏎", "submit"), ("Ctrl-U", "clear"), ("Esc", "back")]),
        },
        Some(Modal::Typing { .. }) => keys(&[("⏎", "submit"), ("Ctrl-U", "clear"), ("Esc", "cancel")]),
        Some(Modal::Prompt { input: None }) => {
            let Some(prompt) = app.open_prompt() else { return keys(&[("Esc", "close")]) };
            let mut shown = answer_keys(prompt, rollback);
            if scrolls {
                shown.push(("↑↓".into(), "scroll".into()));
            }
            let aside = if *prompt == Prompt::StillRunning { "wait" } else { "look around" };
            shown.push(("Esc".into(), aside.into()));
            shown
        }
        None if app.session == Session::Preview => {
            keys(&[("S", "start the run"), ("↑↓", "select"), ("Tab", "pane"), ("?", "help"), ("q", "leave")])
        }
        None => {
            let lead = app.session == Session::Lead;
            let mut shown = vec![];
            match app.open_prompt() {
                Some(prompt) if lead && prompt.blocks() => shown.push(("⏎".into(), "answer".into())),
                // A running monitor's answers are keys of the timeline itself.
                Some(prompt) if lead => shown.extend(answer_keys(prompt, false)),
                _ => {}
            }
            let mut plain = vec![("↑↓", "select"), ("Tab", "pane")];
            if app.search.is_some() {
                plain.extend([("n/N", "next/prev match"), ("Esc", "end search")]);
            } else {
                plain.push(("/", "search"));
            }
            plain.extend([("f", "follow"), ("w", if app.wrap { "cut lines" } else { "wrap" })]);
            if lead && app.state.outcome.is_none() {
                plain.push(("a", "note"));
                if rollback {
                    plain.push(("R", "ROLLBACK"));
                }
            }
            plain.extend([("?", "help"), ("q", "quit")]);
            if !lead {
                plain.push(("", "read-only"));
            }
            shown.extend(keys(&plain));
            shown
        }
    }
}

/// Every prompt's answers, key by key: each line a key, what it does, and at which prompts.
fn prompt_help() -> Vec<String> {
    let mut said: Vec<(String, String, Vec<&'static str>)> = Vec::new();
    for prompt in Prompt::kinds() {
        for (key, what) in answer_keys(&prompt, false) {
            match said.iter_mut().find(|(k, w, _)| *k == key && *w == what) {
                Some((_, _, at)) => at.push(prompt.name()),
                None => said.push((key, what, vec![prompt.name()])),
            }
        }
    }
    said.sort_by_key(|(key, _, _)| !key.starts_with('⏎'));
    said.into_iter().map(|(key, what, at)| format!("{key:<11} {what} ({})", at.join(", "))).collect()
}

/// A prompt's answers as keys and what they do; an answer that asks for more says so with `…`.
/// The rollback only while one can start.
fn answer_keys(prompt: &Prompt, rollback: bool) -> Vec<(String, String)> {
    prompt
        .answers()
        .into_iter()
        .filter(|a| rollback || a.decision != Decision::Rollback)
        .map(|a| {
            let key = if a.enter { format!("⏎/{}", a.key) } else { a.key.to_string() };
            let more =
                if matches!(a.needs, crate::journal::Needs::Nothing) || a.decision == Decision::Rollback {
                    ""
                } else {
                    "…"
                };
            (key, format!("{}{more}", a.label))
        })
        .collect()
}

/// Keys the footer drops first when the terminal is narrow: looking around can be found in the help.
const MINOR_KEYS: [&str; 6] = ["w", "f", "Tab", "↑↓", "/", "a"];

fn footer(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut keys = footer_keys(app);
    let width = |keys: &[(String, String)]| -> usize {
        keys.iter().map(|(k, w)| k.chars().count() + w.chars().count() + 3).sum::<usize>()
            + app.notice.as_ref().map_or(0, |n| n.chars().count() + 2)
    };
    for minor in MINOR_KEYS {
        if width(&keys) <= area.width as usize {
            break;
        }
        keys.retain(|(k, _)| k != minor);
    }
    let mut spans = Vec::new();
    if let Some(notice) = &app.notice {
        spans.push(Span::styled(format!(" {notice} "), t.strong(t.warn)));
    }
    for (key, what) in keys {
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

/// A dialog: what it says first, a list that scrolls, and what it ends with (the keys last).
struct Dialog {
    title: String,
    color: ratatui::style::Color,
    head: Vec<Line<'static>>,
    list: Vec<(String, Style)>,
    foot: Vec<Line<'static>>,
}

fn dialog(app: &App, modal: &Modal) -> Dialog {
    let t = &app.theme;
    let plain = |title: &str, color, head: Vec<Line<'static>>| Dialog {
        title: title.to_string(),
        color,
        head,
        list: Vec::new(),
        foot: Vec::new(),
    };
    let mut dialog = match modal {
        Modal::Help => Dialog {
            title: " Keys ".into(),
            color: t.accent,
            head: Vec::new(),
            list: help_lines(app)
                .into_iter()
                .map(|(l, bold)| (l, if bold { t.strong(t.accent) } else { t.fg(t.text) }))
                .collect(),
            foot: Vec::new(),
        },
        Modal::Contacts => Dialog {
            title: " Escalation, in order ".into(),
            color: t.accent,
            head: Vec::new(),
            list: contact_lines(app),
            foot: Vec::new(),
        },
        Modal::Quit => plain(" Leave the screen? ", t.warn, quit_lines(app)),
        Modal::Rollback { reason, typing } => {
            plain(" ROLLBACK ", t.fail, rollback_lines(app, reason, *typing))
        }
        Modal::Typing { input } => {
            let what = match input.purpose {
                Purpose::Search => " Search the output ",
                Purpose::Stop => " Stop the run: why? ",
                _ => " Note for the journal ",
            };
            plain(what, t.accent, vec![Line::raw(format!("> {}▏", input.text))])
        }
        Modal::Prompt { input } => prompt_dialog(app, input.as_ref()),
    };
    if let Some(notice) = &app.notice {
        dialog.foot.push(Line::raw(""));
        dialog.foot.push(Line::styled(notice.clone(), t.strong(t.warn)));
    }
    if !matches!(modal, Modal::Rollback { .. }) {
        dialog.foot.push(Line::raw(""));
        let keys: Vec<String> = footer_keys(app).iter().map(|(k, w)| format!("{k} {w}")).collect();
        dialog.foot.push(Line::styled(keys.join("   "), t.fg(t.accent)));
    }
    dialog
}

/// How many lines the open dialog's list holds: how far it can scroll.
pub fn dialog_list_len(app: &App) -> usize {
    app.modal.as_ref().map_or(0, |m| dialog(app, m).list.len())
}

/// A line of one style as the rows it takes in `width` columns, broken between words where it
/// can: a dialog counts its rows exactly, so its last line (the keys) is never cut off.
fn wrap_line(line: &Line, width: usize) -> Vec<Line<'static>> {
    let style = line.spans.first().map_or(line.style, |s| line.style.patch(s.style));
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let width = width.max(1);
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    for word in text.split_inclusive(' ') {
        let (row_len, word_len) = (row.chars().count(), word.trim_end().chars().count());
        if row_len > 0 && row_len + word_len > width {
            rows.push(std::mem::take(&mut row));
        }
        let mut rest = word;
        while rest.trim_end().chars().count() > width {
            let head: String = rest.chars().take(width).collect();
            rest = &rest[head.len()..];
            rows.push(head);
        }
        row.push_str(rest);
    }
    rows.push(row);
    rows.into_iter().map(|r| Line::styled(r.trim_end().to_string(), style)).collect()
}

fn draw_modal(app: &App, modal: &Modal, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Dialog { title, color, head, list, foot } = dialog(app, modal);
    let width = (area.width * 3 / 4).max(50).min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(2).max(1) as usize;
    let wrapped = |lines: Vec<Line<'static>>| -> Vec<Vec<Line<'static>>> {
        lines.iter().map(|l| wrap_line(l, inner)).collect()
    };
    let (mut head, mut foot) = (wrapped(head), wrapped(foot));
    let most = area.height.saturating_sub(4) as usize;
    let height_of = |lines: &[Vec<Line>]| -> usize { lines.iter().map(Vec::len).sum() };
    // Too tall: the blank lines go first, then the head's last lines; the keys always stay, and
    // the list keeps a few rows and scrolls.
    let want_list = list.len().min(3);
    if height_of(&head) + height_of(&foot) + want_list > most {
        head.retain(|l| l.iter().any(|r| r.width() > 0));
        foot.retain(|l| l.iter().any(|r| r.width() > 0));
    }
    while height_of(&head) + height_of(&foot) + want_list.max(1) > most && head.len() > 1 {
        head.pop();
    }
    // A head still too tall keeps its first rows.
    while height_of(&head) + height_of(&foot) + want_list.max(1) > most
        && head.first().is_some_and(|rows| rows.len() > 1)
    {
        head[0].pop();
    }
    let room = most.saturating_sub(height_of(&head) + height_of(&foot)).max(1);
    let mut lines: Vec<Line> = head.into_iter().flatten().collect();
    if !list.is_empty() {
        let fits = list.len() <= room;
        let shown = if fits { room } else { room.saturating_sub(1).max(1) };
        let top = app.dialog_scroll.min(list.len().saturating_sub(shown));
        for (text, style) in list.iter().skip(top).take(shown) {
            lines.push(Line::styled(cut(text, inner), *style));
        }
        if !fits {
            let below = list.len().saturating_sub(top + shown);
            let more = match (top, below) {
                (0, below) => format!("↓ {below} more below · ↑↓ PgUp PgDn scroll"),
                (above, 0) => format!("↑ {above} more above · ↑↓ PgUp PgDn scroll"),
                (above, below) => format!("↑ {above} above · ↓ {below} below · ↑↓ PgUp PgDn scroll"),
            };
            lines.push(Line::styled(cut(&more, inner), t.fg(t.muted)));
        }
    }
    lines.extend(foot.into_iter().flatten());
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.strong(color))
        .title(Span::styled(title, t.strong(color)));
    frame.render_widget(Paragraph::new(lines).block(block).alignment(Alignment::Left), rect);
}

/// A gate's results as lines of its dialog: what led to the question, critical failures first.
fn result_lines(app: &App, gate: &str) -> Vec<(String, Style)> {
    app.state
        .gate_results(gate)
        .into_iter()
        .map(|s| {
            let figures: Vec<String> = s
                .metrics
                .iter()
                .filter(|m| m.target.is_some())
                .map(|m| format!("{} {}", m.name, m.value))
                .collect();
            let extra = if figures.is_empty() { String::new() } else { format!("  {}", figures.join(", ")) };
            (format!("{} {}{extra}", glyph(s), one_line(&s.plan.title)), step_style(app, s))
        })
        .collect()
}

fn prompt_dialog(app: &App, input: Option<&super::app::Input>) -> Dialog {
    let t = &app.theme;
    let Some(waiting) = &app.state.waiting else {
        return Dialog {
            title: " ".into(),
            color: t.accent,
            head: Vec::new(),
            list: Vec::new(),
            foot: Vec::new(),
        };
    };
    let step_id = waiting.step.as_deref().unwrap_or_default();
    let step = app.state.step(step_id);
    let mut head = vec![Line::styled(one_line(&waiting.text).into_owned(), t.strong(t.text))];
    if let Some(doc) = step.and_then(|s| s.plan.doc.clone()) {
        head.push(Line::styled(doc, t.fg(t.muted)));
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
    let mut list = Vec::new();
    let mut foot = Vec::new();
    match &waiting.prompt {
        // The evidence first, then the signatures: the results scroll, the sign-offs follow.
        Prompt::Gate | Prompt::Signoff { .. } => {
            if let Some(question) = step.filter(|_| matches!(waiting.prompt, Prompt::Signoff { .. })) {
                head[0] = Line::styled(
                    format!("{} — {}", question.plan.detail, app.state.gate_summary(step_id)),
                    t.strong(t.text),
                );
            }
            list = result_lines(app, step_id);
            let roles = step.map(|s| s.plan.signoff.clone()).unwrap_or_default();
            let signed = app.state.signed(step_id);
            if !roles.is_empty() {
                foot.push(Line::raw(""));
            }
            // With [roles], who is awaited is known: the people who may sign.
            let people = |role: &str| {
                let roles = app.state.info.as_ref().map(|i| &i.roles);
                roles
                    .and_then(|r| r.get(role))
                    .map(|r| format!(" ({})", r.people.join(", ")))
                    .unwrap_or_default()
            };
            for role in &roles {
                let line = match signed.iter().find(|(r, _)| r == role) {
                    Some((_, name)) => Line::styled(format!("✔ {role}: {}", one_line(name)), t.fg(t.ok)),
                    None if waiting.prompt == (Prompt::Signoff { role: role.clone() }) => {
                        let asked = match people(role) {
                            none if none.is_empty() => "who approves?".to_string(),
                            who => format!("awaited{who}"),
                        };
                        Line::styled(format!("? {role}: {asked}"), t.strong(t.accent))
                    }
                    None => Line::styled(format!("○ {role}{}", people(role)), t.fg(t.pending)),
                };
                foot.push(line);
            }
        }
        Prompt::Failure => {
            if let Some(step) = step {
                if let Some(message) = &step.message {
                    head.push(Line::styled(
                        format!("── {} · {message}", step.status.label()),
                        step_style(app, step),
                    ));
                }
                list = step.cause(12).into_iter().map(|l| (format!("│ {l}"), t.fg(t.text))).collect();
            }
            foot.extend(call_line(app));
        }
        Prompt::Confirm => {
            if let Some(undo) =
                step.filter(|s| s.plan.kind == StepType::Run).and_then(|s| s.plan.undo.clone())
            {
                head.push(Line::styled(format!("undo: {undo}"), t.fg(t.muted)));
            }
        }
        _ => {}
    }
    if let Some(input) = input {
        let label = match &input.purpose {
            Purpose::Reason(Decision::NoGo) if waiting.prompt == Prompt::Manual => {
                "Why is it not done".to_string()
            }
            Purpose::Reason(Decision::NoGo) => "Reason for NO-GO".to_string(),
            Purpose::Reason(Decision::Skip) => "Reason for skipping".to_string(),
            Purpose::Reason(Decision::Done) => "Why end the monitor before its time".to_string(),
            Purpose::Reason(Decision::Retry) => {
                format!("It may run twice at once. To retry anyway, type its id ({step_id})")
            }
            Purpose::Reason(Decision::Go) => "Why you know it is done".to_string(),
            Purpose::Approver(role) => format!("Approver for {role}"),
            Purpose::Go => "To say GO, type GO".to_string(),
            Purpose::SameSigner { role, name, other } => {
                format!("{name} already signed as {other}. To sign as {role} too, type yes")
            }
            _ => "Reason".to_string(),
        };
        // A NO-GO at a gate: who to call next.
        if input.purpose == Purpose::Reason(Decision::NoGo) && waiting.prompt == Prompt::Gate {
            foot.extend(call_line(app));
        }
        foot.push(Line::raw(""));
        foot.push(Line::styled(format!("{label}: {}▏", input.text), t.strong(t.text)));
    }
    Dialog { title: title.into(), color, head, list, foot }
}

/// "Call NAME (ROLE) · REACH": the first contact of the escalation list.
fn call_line(app: &App) -> Option<Line<'static>> {
    let contact = app.state.info.as_ref()?.contacts.first()?;
    let mut call = format!("Call {}", contact.name.as_deref().unwrap_or(&contact.role));
    if contact.name.is_some() {
        call.push_str(&format!(" ({})", contact.role));
    }
    if let Some(reach) = &contact.reach {
        call.push_str(&format!(" · {reach}"));
    }
    Some(Line::styled(call, app.theme.strong(app.theme.warn)))
}

/// The escalation list, in the runbook's order.
fn contact_lines(app: &App) -> Vec<(String, Style)> {
    let t = &app.theme;
    let contacts = app.state.info.as_ref().map(|i| i.contacts.as_slice()).unwrap_or_default();
    if contacts.is_empty() {
        return vec![("The runbook names no contacts ([[contacts]]).".into(), t.fg(t.muted))];
    }
    let mut lines = Vec::new();
    for (i, c) in contacts.iter().enumerate() {
        let name = c.name.as_deref().map(|n| format!(" · {n}")).unwrap_or_default();
        lines.push((format!("{}. {}{name}", i + 1, c.role), t.strong(t.text)));
        if let Some(reach) = &c.reach {
            lines.push((format!("   {reach}"), t.fg(t.accent)));
        }
    }
    lines
}

fn rollback_lines(app: &App, reason: &str, typing: bool) -> Vec<Line<'static>> {
    use crate::journal::state::Preview;
    let t = &app.theme;
    let mut lines: Vec<Line<'static>> = app
        .state
        .rollback_preview()
        .into_iter()
        .map(|(tone, text)| match tone {
            Preview::Heading => Line::styled(text, t.strong(t.text)),
            Preview::Step => Line::raw(text),
            Preview::Warning => Line::styled(text, t.strong(t.fail)),
            Preview::Irreversible => Line::styled(text, t.fg(t.fail)),
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!("Reason: {reason}{}", if typing { "▏" } else { "" })));
    let keys =
        if typing { "⏎ done    Esc clear the reason" } else { "y ROLL BACK NOW    r reason    Esc cancel" };
    lines.push(Line::styled(keys, t.strong(t.fail)));
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

/// Every key, by where it applies; `true` marks a heading.
fn help_lines(app: &App) -> Vec<(String, bool)> {
    let mut lines: Vec<(String, bool)> = Vec::new();
    let mut section = |title: &str, keys: &[&str]| {
        lines.push((title.to_string(), true));
        lines.extend(keys.iter().map(|k| (format!("  {k}"), false)));
    };
    section(
        "Looking around",
        &[
            "↑/k ↓/j     select a step (Timeline) or scroll (Output, Log)",
            "PgUp PgDn   scroll a page          g / G   top / bottom",
            "Tab         next pane              f       follow the running step",
            "w           wrap long lines in the Output and Log panes, or cut them",
            "/           search the output      n / N   next / previous match",
            "            (a search looks in the newest 500 lines only)",
            "Esc         end the search",
            "c           who to call: the escalation list, in order",
            "?           this help              q       leave (the run goes on)",
        ],
    );
    if app.session == Session::Preview {
        section(
            "Before the run",
            &["S           start the run now", "q           leave; nothing has started"],
        );
        return lines;
    }
    if app.session != Session::Lead {
        section("Read-only", &["nothing here acts on the run: only the lead's screen does"]);
        return lines;
    }
    section(
        "Driving",
        &[
            "⏎           open the prompt the run waits on",
            "a           add a note to the journal",
            "d           end a running monitor now",
            "R           ROLLBACK: shows what it undoes, then y rolls back",
            "Ctrl-C      detach, abort the running step, or stop the run",
        ],
    );
    let answers = prompt_help();
    let mut prompt_lines: Vec<&str> = answers.iter().map(String::as_str).collect();
    prompt_lines.extend([
        "            (… asks for more: a reason, GO typed out, a name, the step's id)",
        "↑↓ PgUp PgDn scroll a gate's results or a failure's lines",
        "Esc         put the prompt aside to look around (⏎ brings it back)",
    ]);
    section("In a prompt", &prompt_lines);
    section(
        "Typing",
        &["⏎           send", "Ctrl-U      clear the line", "Esc         cancel: nothing is sent"],
    );
    section(
        "Leaving (q, Ctrl-C)",
        &[
            "d           detach: the run goes on",
            "a           abort the running step",
            "x           stop the run, with a reason",
            "Esc         stay",
        ],
    );
    lines
}
