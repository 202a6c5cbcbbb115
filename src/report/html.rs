//! The report as one self-contained HTML file: no network, no script. A timeline drawn as
//! inline SVG (each phase's planned window against its actual time, overruns, gates and the
//! rollback marked), then steps, gates, rollback, notes, contacts and the event log. Every
//! text from the journal is escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use quick_xml::escape::escape;

use super::Report;
use crate::journal::StepType;
use crate::journal::state::StepState;
use crate::runbook::format_duration;
use crate::sanitize::{clean_line, one_line};

/// The timeline's colours; the screenshot test looks for them.
pub const PLANNED: &str = "#c5cbd6";
pub const ACTUAL: &str = "#2e9e5b";
pub const OVERRUN: &str = "#e07b24";
pub const FAILED: &str = "#d43f3f";
pub const GATE: &str = "#3566d6";

const STYLE: &str = r#"
:root { --fg:#1d2330; --muted:#5d6678; --line:#dde1e8; --ok:#2e9e5b; --fail:#d43f3f; --warn:#e07b24; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto;
  max-width: 1100px; padding: 16px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); } .outcome { font-weight: 700; padding: 2px 8px; border-radius: 4px; color: #fff; }
.ok { background: var(--ok); } .fail { background: var(--fail); } .warn { background: var(--warn); }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px;
  border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; white-space: nowrap; } .wrap { overflow-x: auto; }
svg { width: 100%; height: auto; display: block; } .muted { color: var(--muted); }
code, pre { font-family: ui-monospace, Menlo, monospace; font-size: 0.9em; } pre { white-space: pre-wrap; margin: 4px 0; }
.s-passed { color: var(--ok); } .s-failed, .s-timed-out, .s-aborted { color: var(--fail); font-weight: 600; }
.s-skipped, .s-pending { color: var(--muted); }
@media (max-width: 640px) { body { font-size: 14px; padding: 8px; } th, td { padding: 3px 4px; }
  .log td:nth-child(3) { display: none; } }
@media print { body { max-width: none; font-size: 11pt; } h2 { break-after: avoid; } tr, svg { break-inside: avoid; }
  .outcome { border: 1px solid #000; color: #000; background: none; } a { color: inherit; } }
"#;

/// Text from the journal as the page shows it: one line, its controls shown (see
/// `sanitize::one_line`), and nothing HTML would read as markup.
fn esc(text: &str) -> String {
    escape(one_line(text).as_ref()).into_owned()
}

pub fn render(report: &Report) -> String {
    let state = &report.state;
    let offset = report.offset();
    let time = |t: DateTime<Utc>| t.with_timezone(&offset).format("%H:%M:%S").to_string();
    let info = state.info.as_ref();
    let name = info.map_or("tminus run", |i| i.runbook.as_str());
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><style>{STYLE}</style></head><body>\n",
        esc(name),
        esc(&state.run_id)
    );
    let (label, class) = match state.outcome {
        Some(o) if o == crate::journal::RunOutcome::Succeeded => (o.label().to_string(), "ok"),
        Some(o) => (o.label().to_string(), "fail"),
        None => ("not finished".to_string(), "warn"),
    };
    let _ =
        write!(h, "<header><h1>{} <span class=\"outcome {class}\">{}</span></h1>", esc(name), esc(&label));
    if let Some(info) = info {
        let started = state.started_at.map(|t| t.with_timezone(&offset).format("%Y-%m-%d %H:%M").to_string());
        let took = match (state.started_at, state.ended_at) {
            (Some(s), Some(e)) => {
                format!(" · took {}", format_duration((e - s).to_std().unwrap_or_default()))
            }
            _ => String::new(),
        };
        let _ = write!(
            h,
            "<p class=\"meta\">run <code>{}</code> · {} · operator {} on {} · started {}{}<br>runbook {} · sha256 <code>{}</code><br>{}</p>",
            esc(&state.run_id),
            info.mode.label(),
            esc(&info.operator),
            esc(&info.host),
            esc(&started.unwrap_or_default()),
            esc(&took),
            esc(&info.path),
            esc(&info.hash[..12.min(info.hash.len())]),
            esc(&report.chain)
        );
    }
    h.push_str("</header>\n<h2>Timeline</h2>\n");
    h.push_str(&timeline(report));

    h.push_str("<h2>Steps</h2><div class=\"wrap\"><table><tr><th>Step</th><th>Outcome</th><th>Duration</th><th>Measured</th></tr>\n");
    for step in state.steps.iter().filter(|s| s.phase.is_some()) {
        step_row(&mut h, step);
    }
    h.push_str("</table></div>\n");

    h.push_str("<h2>Gates and sign-offs</h2>");
    let gates: Vec<&StepState> = state.steps.iter().filter(|s| s.plan.kind == StepType::Gate).collect();
    if gates.is_empty() {
        h.push_str("<p class=\"muted\">No gates.</p>");
    }
    for gate in gates {
        let _ = write!(
            h,
            "<p><strong>{}</strong> <span class=\"muted\">{}</span></p><ul>",
            esc(&gate.plan.detail),
            esc(gate.status.label())
        );
        if !gate.plan.signoff.is_empty() {
            let _ = write!(h, "<li class=\"muted\">sign-off: {}</li>", esc(&gate.plan.signoff.join(", ")));
        }
        for d in &gate.decisions {
            let why = d.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let _ = write!(
                h,
                "<li>{} · {} by {}{}</li>",
                time(d.at),
                esc(&d.decision.label()),
                esc(&d.who),
                esc(&why)
            );
        }
        h.push_str("</ul>");
    }

    h.push_str("<h2>Rollback</h2>");
    match &state.rollback {
        None => h.push_str("<p class=\"muted\">No rollback.</p>"),
        Some(r) => {
            let why = r.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let _ = write!(
                h,
                "<p>Requested at {} by {}{}</p><ul>",
                time(r.requested_at),
                esc(&r.requested_by),
                esc(&why)
            );
            let _ = write!(h, "<li>undone, newest first: {}</li>", esc(&list(&r.undo)));
            if !r.irreversible.is_empty() {
                let _ = write!(h, "<li>irreversible, not undone: {}</li>", esc(&list(&r.irreversible)));
            }
            if !r.failed.is_empty() {
                let _ = write!(h, "<li class=\"s-failed\">failed: {}</li>", esc(&list(&r.failed)));
            }
            h.push_str("</ul><div class=\"wrap\"><table><tr><th>Step</th><th>Outcome</th><th>Duration</th><th>Measured</th></tr>");
            for step in state.rollback_steps() {
                step_row(&mut h, step);
            }
            h.push_str("</table></div>");
        }
    }

    h.push_str("<h2>Notes</h2>");
    if state.notes.is_empty() {
        h.push_str("<p class=\"muted\">No notes.</p>");
    } else {
        h.push_str("<ul>");
        for n in &state.notes {
            let _ = write!(h, "<li>{} · {}: {}</li>", time(n.at), esc(&n.who), esc(&n.text));
        }
        h.push_str("</ul>");
    }

    h.push_str("<h2>Contacts</h2>");
    let contacts = info.map(|i| i.contacts.as_slice()).unwrap_or_default();
    if contacts.is_empty() {
        h.push_str("<p class=\"muted\">No contacts in the runbook.</p>");
    } else {
        h.push_str("<ol>");
        for c in contacts {
            let _ = write!(
                h,
                "<li><strong>{}</strong> {} <span class=\"muted\">{}</span></li>",
                esc(&c.role),
                esc(c.name.as_deref().unwrap_or_default()),
                esc(c.reach.as_deref().unwrap_or_default())
            );
        }
        h.push_str("</ol>");
    }

    h.push_str("<h2>Event log</h2><div class=\"wrap\"><table class=\"log\"><tr><th>#</th><th>Time</th><th>Step</th><th>Event</th></tr>\n");
    for line in report.log.iter().filter(|l| l.printed.is_none()) {
        let _ = writeln!(
            h,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            line.seq,
            time(line.at),
            esc(line.step.as_deref().unwrap_or_default()),
            esc(&line.text)
        );
    }
    h.push_str("</table></div>\n<p class=\"muted\">Output is in the journal: <code>tminus log RUN_ID STEP</code>.</p></body></html>\n");
    h
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

fn step_row(h: &mut String, step: &StepState) {
    let status = step.status.label();
    let duration =
        step.duration_ms.map(|ms| format_duration(std::time::Duration::from_millis(ms))).unwrap_or_default();
    let measured: Vec<String> = step
        .metrics
        .iter()
        .map(|m| match (&m.target, m.pass) {
            (Some(t), Some(pass)) => {
                format!("{} {} (target {t}) {}", m.name, m.value, if pass { "✔" } else { "✖" })
            }
            _ => format!("{} {}", m.name, m.value),
        })
        .collect();
    let why = step.message.as_deref().map(|m| format!(" — {m}")).unwrap_or_default();
    let _ = write!(
        h,
        "<tr><td>{} <code class=\"muted\">{}</code></td><td class=\"s-{}\">{}{}</td><td class=\"num\">{}</td><td>{}",
        esc(&step.plan.title),
        esc(&step.plan.id),
        status.replace(' ', "-"),
        esc(status),
        esc(&why),
        esc(&duration),
        esc(&measured.join("; "))
    );
    if step.status.is_failure() {
        let tail = step.output.last(5);
        if !tail.is_empty() {
            let lines: Vec<String> =
                tail.iter().map(|l| escape(clean_line(l.as_bytes(), false)).into_owned()).collect();
            let _ = write!(h, "<pre>{}</pre>", lines.join("\n"));
        }
    }
    h.push_str("</td></tr>\n");
}

/// Each phase's planned window (grey) against its actual time (green, orange past its budget,
/// red when a step in it failed); gates as blue diamonds, the rollback as a red line.
fn timeline(report: &Report) -> String {
    let state = &report.state;
    let t0 = report.t_zero().map(|t| t.with_timezone(&Utc)).or(state.started_at);
    let Some(origin) = t0 else { return "<p class=\"muted\">Nothing ran.</p>".into() };
    let secs = |t: DateTime<Utc>| (t - origin).num_milliseconds() as f64 / 1000.0;
    let end =
        state.ended_at.or_else(|| state.phases.iter().filter_map(|p| p.finished_at.or(p.started_at)).max());
    let has_t0 = report.t_zero().is_some();
    let planned = |p: &crate::journal::state::PhaseState| {
        let at = p.at_secs.filter(|_| has_t0)? as f64;
        Some((at, at + p.budget_secs.unwrap_or(0) as f64))
    };
    let actual = |p: &crate::journal::state::PhaseState| {
        let start = secs(p.started_at?);
        Some((start, secs(p.finished_at.or(end)?).max(start)))
    };
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    for p in &state.phases {
        for (a, b) in [planned(p), actual(p)].into_iter().flatten() {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    if let Some(r) = &state.rollback {
        hi = hi.max(secs(r.finished_at.unwrap_or(r.requested_at)));
    }
    if lo > hi {
        return "<p class=\"muted\">Nothing ran.</p>".into();
    }
    let span = (hi - lo).max(1.0);
    let (left, width, row) = (170.0, 620.0, 34.0);
    let x = |s: f64| left + (s - lo) / span * width;
    let height = row * state.phases.len() as f64 + 40.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg viewBox=\"0 0 820 {height}\" role=\"img\" aria-label=\"timeline: planned against actual\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
    );
    for (i, p) in state.phases.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let _ = write!(svg, "<text x=\"4\" y=\"{:.1}\">{}</text>", y + 16.0, esc(&truncate(&p.title, 24)));
        if let Some((a, b)) = planned(p) {
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"8\" fill=\"{PLANNED}\"><title>planned</title></rect>",
                x(a),
                (x(b) - x(a)).max(2.0)
            );
        }
        if let Some((a, b)) = actual(p) {
            let failed = state.phase_steps(&p.id).any(|s| s.status.is_failure());
            let colour = if failed { FAILED } else { ACTUAL };
            let budget_end = p.budget_secs.map(|budget| a + budget as f64).filter(|e| *e < b);
            let until = budget_end.unwrap_or(b);
            let mut bar = |from: f64, to: f64, fill: &str, what: &str| {
                let _ = write!(
                    svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" fill=\"{fill}\"><title>{what}</title></rect>",
                    x(from),
                    y + 10.0,
                    (x(to) - x(from)).max(3.0)
                );
            };
            bar(a, until, colour, "actual");
            if let Some(over) = budget_end {
                bar(over, b, OVERRUN, "overrun");
            }
        }
        for gate in state.phase_steps(&p.id).filter(|s| s.plan.kind == StepType::Gate) {
            if let Some(at) = gate.decisions.last().map(|d| d.at).or(gate.finished_at) {
                let (cx, cy) = (x(secs(at)), y + 17.0);
                let _ = write!(
                    svg,
                    "<path d=\"M{cx:.1} {:.1} L{:.1} {cy:.1} L{cx:.1} {:.1} L{:.1} {cy:.1} Z\" fill=\"{GATE}\"><title>{}</title></path>",
                    cy - 8.0,
                    cx + 8.0,
                    cy + 8.0,
                    cx - 8.0,
                    esc(&gate.plan.detail)
                );
            }
        }
    }
    if let Some(r) = &state.rollback {
        let rx = x(secs(r.requested_at));
        let _ = write!(
            svg,
            "<line x1=\"{rx:.1}\" y1=\"4\" x2=\"{rx:.1}\" y2=\"{:.1}\" stroke=\"{FAILED}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{FAILED}\">rollback</text>",
            height - 24.0,
            rx - 4.0,
            height - 26.0
        );
    }
    let axis = height - 12.0;
    let label = |s: f64| {
        // Minutes and seconds for a short day, hours and minutes otherwise.
        let (a, b) = if span < 3600.0 {
            let t = s.abs().round() as i64;
            (t / 60, t % 60)
        } else {
            let m = (s.abs() / 60.0).round() as i64;
            (m / 60, m % 60)
        };
        let sign = if s < 0.0 { '-' } else { '+' };
        if has_t0 { format!("T{sign}{a:02}:{b:02}") } else { format!("{sign}{a:02}:{b:02}") }
    };
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#888\"/><text x=\"{left}\" y=\"{axis:.1}\" fill=\"#555\">{}</text><text x=\"{:.1}\" y=\"{axis:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text></svg>",
        axis - 12.0,
        left + width,
        axis - 12.0,
        label(lo),
        left + width,
        label(hi)
    );
    let legend = format!(
        "<p class=\"muted\"><span style=\"color:{PLANNED}\">■</span> planned · <span style=\"color:{ACTUAL}\">■</span> actual · <span style=\"color:{OVERRUN}\">■</span> overrun · <span style=\"color:{FAILED}\">■</span> failed · <span style=\"color:{GATE}\">◆</span> gate</p>"
    );
    format!("<div class=\"wrap\">{svg}</div>{legend}")
}

fn truncate(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(n - 1).collect::<String>())
    }
}
