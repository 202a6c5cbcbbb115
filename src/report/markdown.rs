//! The report as Markdown: what the lead used to type up after the day.

use std::fmt::Write;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};

use super::Report;
use crate::journal::state::{Refusal, StepState, StepStatus};
use crate::journal::{Decision, Metric, Mode, StepType};
use crate::runbook::format_duration;
use crate::sanitize::one_line;

/// Lines of output quoted for each failed step.
const FAILED_TAIL: usize = 20;

pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let s = &report.state;
    let Some(info) = &s.info else {
        return format!("# Deployment report\n\nRun `{}` has no events.\n", s.run_id);
    };
    let offset = report.offset();
    let at = |t: Option<DateTime<Utc>>| {
        t.map_or("—".to_string(), |t| t.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S %:z").to_string())
    };
    let dry = info.mode == Mode::DryRun;

    put(&mut md, &format!("# Deployment report: {}{}\n", info.runbook, if dry { " (DRY RUN)" } else { "" }));
    if dry {
        let _ = writeln!(
            md,
            "> **DRY RUN** — only `dry_run` commands and checks ran; nothing was changed by this run.\n"
        );
    }
    let outcome = s.outcome.map_or("**UNFINISHED** (no end was journaled)".to_string(), |o| {
        format!("**{}** (exit {})", o.label().to_uppercase(), o.exit_code())
    });
    let duration = match (s.started_at, s.ended_at) {
        (Some(a), Some(b)) => format_duration((b - a).to_std().unwrap_or_default()),
        _ => "—".into(),
    };
    let rows = [
        ("Outcome", outcome),
        ("Mode", info.mode.label().to_string()),
        ("Run", format!("`{}`", s.run_id)),
        (
            "Runbook",
            format!("{} (`{}`, sha256 {})", info.runbook, info.path, &info.hash[..info.hash.len().min(12)]),
        ),
        ("Owner", info.owner.clone().unwrap_or_else(|| "—".into())),
        ("Operator", info.operator.clone()),
        ("Host", info.host.clone()),
        ("Planned T-0", report.t_zero().map_or("—".into(), |t| t.format("%Y-%m-%d %H:%M %:z").to_string())),
        ("Started", at(s.started_at)),
        ("Ended", at(s.ended_at)),
        ("Duration", duration),
        ("Journal", report.chain.clone()),
    ];
    let _ = writeln!(md, "| | |\n|---|---|");
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {} |", cell(&v));
    }

    let _ = writeln!(
        md,
        "\n## Phases\n\n| Phase | Planned start | Actual start | Budget | Took | Overrun |\n|---|---|---|---|---|---|"
    );
    for p in &s.phases {
        let planned = report.t_zero().zip(p.at_secs).map(|(t, a)| t + TimeDelta::seconds(a));
        let planned_text = planned.map_or("—".into(), |t| t.format("%H:%M").to_string());
        let actual = p
            .started_at
            .map_or("not reached".into(), |t| t.with_timezone(&offset).format("%H:%M:%S").to_string());
        let took = p.started_at.zip(p.finished_at).map(|(a, b)| (b - a).to_std().unwrap_or_default());
        let budget = p.budget_secs.map(Duration::from_secs);
        let overrun = match (took, budget) {
            (Some(t), Some(b)) if t > b => format!("**+{}**", format_duration(t - b)),
            (Some(_), Some(_)) => "none".into(),
            _ => "—".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {planned_text} | {actual} | {} | {} | {overrun} |",
            cell(&format!("{} ({})", p.title, p.id)),
            budget.map_or("—".into(), format_duration),
            took.map_or("—".into(), format_duration),
        );
    }

    let _ = writeln!(
        md,
        "\n## Steps\n\n| Step | Kind | Outcome | Duration | Attempts | Decided by |\n|---|---|---|---|---|---|"
    );
    for step in s.steps.iter().filter(|st| st.phase.is_some()) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&format!("{} `{}`", step.plan.title, step.plan.id)),
            step.plan.kind,
            cell(&outcome_text(step)),
            step.duration_ms.map_or("—".into(), |ms| format_duration(Duration::from_millis(ms))),
            step.attempts,
            cell(&decisions_text(step, offset)),
        );
    }

    // One row per figure of each step: a figure measured twice counts as its last measure.
    let mut measured: Vec<(&StepState, &Metric)> = Vec::new();
    for (st, m) in
        s.steps.iter().flat_map(|st| st.metrics.iter().filter(|m| m.target.is_some()).map(move |m| (st, m)))
    {
        match measured.iter_mut().find(|(seen, n)| seen.plan.id == st.plan.id && n.name == m.name) {
            Some(row) => row.1 = m,
            None => measured.push((st, m)),
        }
    }
    if !measured.is_empty() {
        let _ = writeln!(
            md,
            "\n## Success criteria\n\n| Step | Figure | Measured | Target | Result |\n|---|---|---|---|---|"
        );
        for (step, m) in measured {
            let verdict = match m.pass {
                // A monitor ended before its time held its target only as long as it ran.
                Some(true) if step.status == StepStatus::EndedEarly => "ended early",
                Some(true) => "PASS",
                Some(false) => "**FAIL**",
                None => "—",
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {verdict} |",
                cell(&format!("{} `{}`", step.plan.title, step.plan.id)),
                cell(&m.name),
                cell(&m.value),
                cell(m.target.as_deref().unwrap_or("")),
            );
        }
    }

    let gates: Vec<&StepState> = s.steps.iter().filter(|st| st.plan.kind == StepType::Gate).collect();
    let gates_ids: Vec<&str> = gates.iter().map(|g| g.plan.id.as_str()).collect();
    if !gates.is_empty() {
        let _ = writeln!(md, "\n## Gates and sign-offs\n");
        for gate in gates {
            put(&mut md, &format!("**{}** — {}\n", gate.plan.title, outcome_text(gate)));
            for d in &gate.decisions {
                let login = d.login.as_deref().unwrap_or("no login recorded");
                let line = match &d.decision {
                    // With [roles] the signer signed from their own login; without, the lead
                    // typed the name and only vouches for it.
                    Decision::Signed { role, name } if !info.roles.is_empty() => {
                        format!("{role}: **{name}** ({login}, signed in person){}", reason_text(&d.reason))
                    }
                    Decision::Signed { role, name } => {
                        format!("{role}: **{name}** (named by {}, {login}; not signed in person)", d.who)
                    }
                    other => format!(
                        "{}: **{}**{}",
                        d.who,
                        other.label(),
                        d.reason.as_deref().map(|r| format!(" — {r}")).unwrap_or_default()
                    ),
                };
                let at = d.at.with_timezone(&offset).format("%H:%M:%S");
                put(&mut md, &format!("- {at} {line}{}", if d.auto { " (--yes)" } else { "" }));
            }
            for r in s.refused.iter().filter(|r| r.step.as_deref() == Some(gate.plan.id.as_str())) {
                put(&mut md, &refusal_line(r, offset));
            }
            if gate.decisions.is_empty() {
                let _ = writeln!(md, "- not reached");
            }
            let _ = writeln!(md);
        }
    }

    if let Some(r) = &s.rollback {
        let _ = writeln!(md, "\n## Rollback\n");
        let why = r.reason.as_deref().map(|x| format!(": {x}")).unwrap_or_default();
        put(&mut md, &format!("Requested by **{}** at {}{why}.\n", r.requested_by, at(Some(r.requested_at))));
        if !r.undo.is_empty() {
            let _ = writeln!(md, "Undone, newest first:\n");
            for id in &r.undo {
                let text = s.step(id).and_then(|st| st.undo.as_ref()).map_or("not run".to_string(), |u| {
                    let outcome = match u.outcome {
                        Some(o) if o.is_failure() => format!("**undo {}**", o.label().to_uppercase()),
                        Some(o) => format!("undo {}", o.label()),
                        None => "undo did not finish".to_string(),
                    };
                    format!(
                        "{outcome}{}",
                        u.message.as_deref().map(|m| format!(" — {m}")).unwrap_or_default()
                    )
                });
                put(&mut md, &format!("- {}: {text}", step_name(s, id)));
            }
            let _ = writeln!(md);
        }
        if !r.irreversible.is_empty() {
            let _ = writeln!(md, "Could not be undone:\n");
            for id in &r.irreversible {
                put(&mut md, &format!("- {}: **NOT UNDONE** — irreversible", step_name(s, id)));
            }
            let _ = writeln!(md);
        }
        let steps: Vec<&StepState> = s.rollback_steps().collect();
        if !steps.is_empty() {
            let _ = writeln!(md, "Then the `[rollback]` section:\n");
            for step in steps {
                put(&mut md, &format!("- {} `{}`: {}", step.plan.title, step.plan.id, outcome_text(step)));
            }
            let _ = writeln!(md);
        }
        match r.no_undo.len() {
            0 => {}
            1 => {
                let _ = writeln!(md, "1 other finished step had nothing to undo.\n");
            }
            n => {
                let _ = writeln!(md, "{n} other finished steps had nothing to undo.\n");
            }
        }
        match (&r.finished_at, r.failed.is_empty()) {
            (None, _) => {
                let _ = writeln!(md, "The rollback did not finish.");
            }
            (Some(_), true) => {
                let _ = writeln!(md, "The rollback finished; every undo it ran passed.");
            }
            (Some(_), false) => {
                let _ = writeln!(md, "**The rollback finished with failures: {}.**", r.failed.join(", "));
            }
        }
    }

    if !s.notes.is_empty() {
        let _ = writeln!(md, "\n## Notes\n");
        for n in &s.notes {
            put(
                &mut md,
                &format!("- {} **{}**: {}", n.at.with_timezone(&offset).format("%H:%M:%S"), n.who, n.text),
            );
        }
    }

    // Refusals at a gate are listed with its sign-offs.
    let is_gate = |step: &Option<String>| gates_ids.contains(&step.as_deref().unwrap_or_default());
    let refused: Vec<_> = s.refused.iter().filter(|r| !is_gate(&r.step)).collect();
    if !s.handovers.is_empty() || !refused.is_empty() {
        let _ = writeln!(md, "\n## Handovers and refusals\n");
        for h in &s.handovers {
            let at = h.at.with_timezone(&offset).format("%H:%M:%S");
            put(&mut md, &format!("- {at} {} took over the lead from {}", h.who, h.text));
        }
        for r in refused {
            put(&mut md, &refusal_line(r, offset));
        }
    }

    let failed: Vec<&StepState> =
        s.steps.iter().filter(|st| st.status.is_failure() && !ended_by_rollback(st)).collect();
    if !failed.is_empty() {
        let _ = writeln!(md, "\n## Failed steps: last lines of output\n");
        for step in failed {
            put(&mut md, &format!("### {} `{}` — {}\n", step.plan.title, step.plan.id, outcome_text(step)));
            // What the step printed last, then why it failed, as tminus judged it.
            let mut lines: Vec<String> = step
                .output
                .last(FAILED_TAIL)
                .iter()
                .map(|line| crate::sanitize::clean_line(line.as_bytes(), false))
                .collect();
            if lines.is_empty() {
                lines.push("(no output)".into());
            }
            if let Some(message) = &step.message {
                lines.push(format!("→ {}: {}", step.status.label(), one_line(message)));
            }
            let _ = writeln!(md, "```text");
            for line in lines {
                let _ = writeln!(md, "{}", line.replace("```", "'''"));
            }
            let _ = writeln!(md, "```\n");
        }
    }

    if !info.contacts.is_empty() {
        let _ = writeln!(md, "\n## Contacts (escalation order)\n");
        for (i, c) in info.contacts.iter().enumerate() {
            let who = [Some(c.role.as_str()), c.name.as_deref(), c.reach.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            put(&mut md, &format!("{}. {who}", i + 1));
        }
    }

    let _ = writeln!(md, "\n## Appendix: event log\n\n| # | Time | Step | Event |\n|---|---|---|---|");
    let rows = appendix(report);
    for (i, row) in rows.iter().enumerate() {
        let line = row.line;
        let seq = match row.until {
            Some(last) if last != line.seq => format!("{}–{last}", line.seq),
            _ => line.seq.to_string(),
        };
        let text = match row.fold {
            Some((batches, printed)) => fold_text(report, &rows, i, batches, printed),
            None => line.text.clone(),
        };
        let _ = writeln!(
            md,
            "| {seq} | {} | {} | {} |",
            line.at.with_timezone(&offset).format("%H:%M:%S%.3f"),
            line.step.as_deref().unwrap_or(""),
            cell(&text)
        );
    }
    md
}

/// A row of the appendix: an event, or every output batch of one step attempt as one.
struct Row<'a> {
    line: &'a super::LogLine,
    /// The last event folded into it.
    until: Option<i64>,
    /// Output batches folded into it, and what they printed.
    fold: Option<(u64, super::Printed)>,
}

/// The event log with each step attempt's output folded into one row where it began.
fn appendix(report: &Report) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    // Each step's fold still open: the row it is in.
    let mut open: std::collections::HashMap<&str, usize> = Default::default();
    for line in &report.log {
        let step = line.step.as_deref().unwrap_or_default();
        let Some(printed) = line.printed else {
            // A new attempt (or the undo) of a step prints into a row of its own.
            if line.kind == "step_started" {
                open.remove(step);
            }
            rows.push(Row { line, until: None, fold: None });
            continue;
        };
        let at = *open.entry(step).or_insert_with(|| {
            rows.push(Row { line, until: None, fold: Some((0, super::Printed::default())) });
            rows.len() - 1
        });
        let row = &mut rows[at];
        row.until = Some(line.seq);
        if let Some((batches, sum)) = &mut row.fold {
            *batches += 1;
            sum.lines += printed.lines;
            sum.bytes += printed.bytes;
        }
    }
    rows
}

/// A fold's row: lines and bytes, and under a failed step's last attempt its last lines.
fn fold_text(report: &Report, rows: &[Row<'_>], at: usize, batches: u64, printed: super::Printed) -> String {
    let step = rows[at].line.step.as_deref().unwrap_or_default();
    let mut text = format!(
        "{step} printed {} line{} ({} bytes) in {batches} batch{}",
        printed.lines,
        if printed.lines == 1 { "" } else { "s" },
        printed.bytes,
        if batches == 1 { "" } else { "es" }
    );
    let last = !rows[at + 1..].iter().any(|r| r.fold.is_some() && r.line.step.as_deref() == Some(step));
    if let Some(failed) = report.state.step(step).filter(|s| last && s.status.is_failure()) {
        let tail: Vec<String> =
            failed.output.last(3).iter().map(|l| format!("`{}`", l.replace('`', "'"))).collect();
        if !tail.is_empty() {
            text.push_str(&format!("; last lines: {}", tail.join(" / ")));
        }
    }
    text
}

/// A step a rollback cut short: it did not fail, the run turned back.
fn ended_by_rollback(step: &StepState) -> bool {
    step.status == StepStatus::Aborted
        && (step.decisions.last().is_some_and(|d| d.decision == Decision::Rollback)
            || step.message.as_deref().is_some_and(|m| m.ends_with("for a rollback")))
}

/// A step by its title and id, or its id alone when the run has no such step.
fn step_name(s: &crate::journal::RunState, id: &str) -> String {
    match s.step(id) {
        Some(st) if st.plan.title != id => format!("{} `{id}`", st.plan.title),
        _ => format!("`{id}`"),
    }
}

fn refusal_line(r: &Refusal, offset: FixedOffset) -> String {
    let at = r.at.with_timezone(&offset).format("%H:%M:%S");
    format!("- {at} refused: {} ({}) may not {}: {}", r.who, r.login, r.what, r.why)
}

fn reason_text(reason: &Option<String>) -> String {
    reason.as_deref().map(|r| format!(" — {r}")).unwrap_or_default()
}

fn outcome_text(step: &StepState) -> String {
    if ended_by_rollback(step) {
        return "ended by the rollback".to_string();
    }
    let mut text = match step.status {
        StepStatus::Passed => "passed".to_string(),
        StepStatus::Skipped => "skipped".to_string(),
        StepStatus::EndedEarly => "ended early".to_string(),
        StepStatus::Pending | StepStatus::Waiting => "not run".to_string(),
        StepStatus::Running => "did not finish".to_string(),
        failed if !step.plan.critical => format!("{} (recommended: warning)", failed.label()),
        failed => format!("**{}**", failed.label().to_uppercase()),
    };
    if let Some(message) = &step.message {
        let _ = write!(text, " — {message}");
    }
    if step.status.is_failure()
        && let Some(skip) = step.decisions.iter().rev().find(|d| d.decision == Decision::Skip)
    {
        let _ = write!(text, "; skipped by {}: {}", skip.who, skip.reason.as_deref().unwrap_or("no reason"));
    }
    text
}

/// Who decided what about a step, each decision named for what it was: a checklist item
/// ticked, a command confirmed, a gate's GO, a sign-off for a role.
fn decisions_text(step: &StepState, offset: FixedOffset) -> String {
    step.decisions
        .iter()
        .map(|d| {
            let what = match &d.decision {
                Decision::Signed { role, name } if *name == d.who => format!("signed as {role} by {name}"),
                Decision::Signed { role, name } => {
                    format!("signed as {role} by {name} (recorded by {})", d.who)
                }
                other => format!("{} by {}", decision_words(step.plan.kind, other), d.who),
            };
            format!(
                "{what} {}{}{}",
                d.at.with_timezone(&offset).format("%H:%M"),
                d.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
                if d.auto { " --yes" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What an answer meant for a step of this kind.
fn decision_words(kind: StepType, decision: &Decision) -> String {
    match (decision, kind) {
        (Decision::Go, StepType::Manual) => "ticked".into(),
        (Decision::Go, StepType::Gate) => "GO".into(),
        (Decision::Go, StepType::Monitor) => "kept watching".into(),
        (Decision::Go, _) => "confirmed".into(),
        (Decision::NoGo, StepType::Manual) => "marked not done".into(),
        (Decision::Done, StepType::Monitor) => "ended early".into(),
        (Decision::Done, _) => "marked done".into(),
        (Decision::Skip, _) => "skipped".into(),
        (Decision::Retry, _) => "retried".into(),
        (Decision::End, _) => "ended the copy left running".into(),
        (other, _) => other.label(),
    }
}

/// A line of the document that quotes what people typed (names, reasons, notes, titles): it
/// stays one line, with every control shown rather than sent to whoever prints the report.
/// Its own trailing newlines, for a blank line after it, are the document's.
fn put(md: &mut String, line: &str) {
    let text = line.trim_end_matches('\n');
    md.push_str(&one_line(text));
    md.push_str(&line[text.len()..]);
    md.push('\n');
}

/// Text safe inside a Markdown table cell: one line, and no `|` that would end the cell.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::Utc;

    use super::*;
    use crate::journal::state::RunState;
    use crate::journal::{Event, EventKind, Outcome, PlannedStep, Role, RunInfo};

    fn event(seq: i64, step: Option<&str>, kind: EventKind) -> Event {
        Event { run_id: "r1".into(), seq, at: Utc::now(), step: step.map(Into::into), kind, data: Vec::new() }
    }

    /// A run whose monitor someone ended before its time, with every round healthy so far.
    fn ended_early() -> Report {
        let watch = PlannedStep::plain("watch", "Watch the API", StepType::Monitor, "api every 30s for 1h");
        let info = RunInfo::of_steps(vec![watch]);
        let mut state = RunState::default();
        state.apply(&event(1, None, EventKind::RunStarted(Box::new(info))));
        state.apply(&event(
            2,
            Some("watch"),
            EventKind::StepFinished {
                attempt: 1,
                role: Role::Main,
                outcome: Outcome::EndedEarly,
                exit_code: None,
                duration_ms: 90_000,
                message: Some("ended early by ops after 3 of 120 rounds: all green".into()),
                metrics: vec![Metric {
                    name: "failed rounds".into(),
                    value: "0".into(),
                    target: Some("< 2 in a row".into()),
                    pass: Some(true),
                }],
            },
        ));
        Report { state, log: Vec::new(), chain: "chain verified, 2 events".into() }
    }

    #[test]
    fn a_monitor_ended_early_is_not_reported_as_passed() {
        let md = render(&ended_early());
        let row = md.lines().find(|l| l.starts_with("| Watch the API `watch` | monitor")).unwrap();
        assert!(row.contains("| ended early — ended early by ops after 3 of 120 rounds"), "{md}");
        let criteria = md.lines().find(|l| l.contains("| failed rounds |")).unwrap();
        assert!(criteria.ends_with("| ended early |"), "{criteria}");
        assert!(!md.contains("PASS"), "{md}");
    }

    #[test]
    fn what_people_typed_stays_on_its_line_with_its_controls_shown() {
        let gate = PlannedStep::plain("go", "GO\x1b]0;t\x07 | now", StepType::Gate, "GO?");
        let info = RunInfo { operator: "ops\n# Forged".into(), ..RunInfo::of_steps(vec![gate]) };
        let name = "Naledi\x1b]52;c;ZXZpbA==\x07";
        let events = [
            event(1, None, EventKind::RunStarted(Box::new(info))),
            event(
                2,
                Some("go"),
                EventKind::Note { who: name.into(), login: None, text: "a\n## Forged".into() },
            ),
            event(
                3,
                Some("go"),
                EventKind::Decided {
                    who: name.into(),
                    login: None,
                    decision: Decision::NoGo,
                    reason: Some("no\n- 09:00 GO".into()),
                    auto: false,
                },
            ),
        ];
        let report = Report::of(&events);
        let md = render(&report);
        assert!(!md.contains(['\x1b', '\x07']), "{md}");
        for forged in ["# Forged", "## Forged", "- 09:00 GO"] {
            assert!(!md.lines().any(|l| l.starts_with(forged)), "{forged} began a line: {md}");
        }
        assert!(md.contains("| Operator | ops\\n# Forged |"), "{md}");
        assert!(md.contains("**GO\\e]0;t^G | now** — "), "{md}");
        assert!(md.contains(" **Naledi\\e]52;c;ZXZpbA==^G**: a\\n## Forged\n"), "{md}");
        assert!(md.contains("Naledi\\e]52;c;ZXZpbA==^G: **NO-GO** — no\\n- 09:00 GO\n"), "{md}");
        assert!(md.contains("| GO\\e]0;t^G \\| now `go` |"), "{md}");

        let html = crate::report::html(&report);
        assert!(!html.contains(['\x1b', '\x07']), "{html}");
        assert!(html.contains("Naledi\\e]52;c;ZXZpbA==^G"), "{html}");
        assert!(html.contains("a\\n## Forged"), "{html}");
    }

    /// A step that printed thousands of batches over two attempts and failed.
    pub(crate) fn flood() -> Vec<Event> {
        let deploy = PlannedStep::plain("deploy", "Deploy", StepType::Run, "deploy.sh");
        let mut events =
            vec![event(1, None, EventKind::RunStarted(Box::new(RunInfo::of_steps(vec![deploy]))))];
        let mut seq = 1;
        let mut next = |kind, data: &[u8]| {
            seq += 1;
            Event { data: data.to_vec(), ..event(seq, Some("deploy"), kind) }
        };
        for attempt in 1..=2 {
            events.push(next(EventKind::StepStarted { attempt, role: Role::Main, command: None }, b""));
            for n in 0..3900 {
                let out = EventKind::Output { stream: crate::journal::Stream::Stdout, lines: 2 };
                events.push(next(out, format!("row {n} a\nrow {n} b\n").as_bytes()));
            }
            let failed = EventKind::StepFinished {
                attempt,
                role: Role::Main,
                outcome: Outcome::Failed,
                exit_code: Some(1),
                duration_ms: 1000,
                message: Some("exit 1, expected 0".into()),
                metrics: Vec::new(),
            };
            events.push(next(failed, b""));
        }
        events
    }

    #[test]
    fn the_appendix_folds_output_into_one_row_per_step_attempt() {
        let md = render(&Report::of(&flood()));
        let rows: Vec<&str> = md.lines().filter(|l| l.contains("printed")).collect();
        assert_eq!(rows.len(), 2, "{rows:#?}");
        assert!(rows[0].starts_with("| 3–3902 |"), "{}", rows[0]);
        assert!(
            rows[0].contains("deploy printed 7800 lines (") && rows[0].contains("in 3900 batches"),
            "{}",
            rows[0]
        );
        assert!(!rows[0].contains("last lines"), "{}", rows[0]);
        assert!(rows[1].contains("last lines: `row 3898 b` / `row 3899 a` / `row 3899 b`"), "{}", rows[1]);
        assert!(md.lines().count() < 100, "{} lines", md.lines().count());
    }
}
