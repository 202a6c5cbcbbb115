//! The report as JUnit XML, for CI tools: a testsuite per phase (and one for the rollback), a
//! testcase per step with its duration, its figures as properties, `failure` for a failed step
//! and `skipped` for one that did not run.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::Report;
use crate::journal::Outcome;
use crate::journal::state::{StepState, StepStatus, UndoRecord};

/// Lines of a failed step's output quoted in its `failure`.
const FAILURE_LINES: usize = 20;

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(report, &mut Writer::new_with_indent(&mut out, b' ', 2));
    out.push(b'\n');
    String::from_utf8_lossy(&out).into_owned()
}

/// One testcase, whatever it came from.
struct Case<'a> {
    name: String,
    classname: String,
    seconds: f64,
    outcome: Verdict,
    message: Option<&'a str>,
    lines: Vec<&'a str>,
    step: Option<&'a StepState>,
}

enum Verdict {
    Passed,
    Failed(&'static str),
    Skipped,
}

fn write(report: &Report, w: &mut Writer<&mut Vec<u8>>) -> io::Result<()> {
    let state = &report.state;
    let runbook = state.info.as_ref().map_or("tminus run", |i| i.runbook.as_str());
    let mut suites: Vec<(String, String, Vec<Case<'_>>)> = state
        .phases
        .iter()
        .map(|p| {
            let cases = state.phase_steps(&p.id).map(|s| step_case(&p.id, s)).collect();
            (p.id.clone(), p.title.clone(), cases)
        })
        .collect();
    let mut rollback: Vec<Case<'_>> = state
        .steps
        .iter()
        .filter_map(|s| Some(undo_case(s, s.undo.as_ref()?)))
        .chain(state.rollback_steps().map(|s| step_case("rollback", s)))
        .collect();
    if state.rollback.is_some() || !rollback.is_empty() {
        rollback.retain(|c| c.step.is_none_or(|s| s.ran() || state.rollback.is_some()));
        suites.push(("rollback".into(), "Rollback".into(), rollback));
    }
    let count = |cases: &[Case<'_>], f: fn(&Verdict) -> bool| cases.iter().filter(|c| f(&c.outcome)).count();
    let failed = |v: &Verdict| matches!(v, Verdict::Failed(_));
    let skipped = |v: &Verdict| matches!(v, Verdict::Skipped);
    let all: Vec<&Case<'_>> = suites.iter().flat_map(|(_, _, c)| c).collect();
    let total_seconds: f64 = all.iter().map(|c| c.seconds).sum();
    let total_failed = all.iter().filter(|c| failed(&c.outcome)).count();
    let total_skipped = all.iter().filter(|c| skipped(&c.outcome)).count();

    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("testsuites")
        .with_attribute(("name", runbook))
        .with_attribute(("tests", all.len().to_string().as_str()))
        .with_attribute(("failures", total_failed.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", total_skipped.to_string().as_str()))
        .with_attribute(("time", seconds(total_seconds).as_str()))
        .write_inner_content(|w| {
            for (id, title, cases) in &suites {
                let time: f64 = cases.iter().map(|c| c.seconds).sum();
                let mut suite = w
                    .create_element("testsuite")
                    .with_attribute(("name", title.as_str()))
                    .with_attribute(("id", id.as_str()))
                    .with_attribute(("package", runbook))
                    .with_attribute(("tests", cases.len().to_string().as_str()))
                    .with_attribute(("failures", count(cases, failed).to_string().as_str()))
                    .with_attribute(("errors", "0"))
                    .with_attribute(("skipped", count(cases, skipped).to_string().as_str()))
                    .with_attribute(("time", seconds(time).as_str()));
                if let Some(at) = state.phases.iter().find(|p| &p.id == id).and_then(|p| p.started_at) {
                    let at = at.format("%Y-%m-%dT%H:%M:%S").to_string();
                    suite = suite.with_attribute(("timestamp", at.as_str()));
                }
                suite.write_inner_content(|w| {
                    for case in cases {
                        write_case(w, case)?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(w: &mut Writer<&mut Vec<u8>>, case: &Case<'_>) -> io::Result<()> {
    w.create_element("testcase")
        .with_attribute(("name", case.name.as_str()))
        .with_attribute(("classname", case.classname.as_str()))
        .with_attribute(("time", seconds(case.seconds).as_str()))
        .write_inner_content(|w| {
            let metrics = case.step.map(|s| s.metrics.as_slice()).unwrap_or_default();
            if !metrics.is_empty() {
                w.create_element("properties").write_inner_content(|w| {
                    for m in metrics {
                        let value = match (&m.target, m.pass) {
                            (Some(target), Some(pass)) => {
                                format!(
                                    "{} (target {target}: {})",
                                    m.value,
                                    if pass { "met" } else { "missed" }
                                )
                            }
                            _ => m.value.clone(),
                        };
                        w.create_element("property")
                            .with_attribute(("name", m.name.as_str()))
                            .with_attribute(("value", value.as_str()))
                            .write_empty()?;
                    }
                    Ok(())
                })?;
            }
            let message = case.message.unwrap_or_default();
            match case.outcome {
                Verdict::Passed => {}
                Verdict::Skipped => {
                    w.create_element("skipped").with_attribute(("message", message)).write_empty()?;
                }
                Verdict::Failed(kind) => {
                    let text = case.lines.join("\n");
                    w.create_element("failure")
                        .with_attribute(("message", message))
                        .with_attribute(("type", kind))
                        .write_text_content(BytesText::new(&text))?;
                }
            }
            Ok(())
        })?;
    Ok(())
}

fn step_case<'a>(phase: &str, step: &'a StepState) -> Case<'a> {
    let outcome = match step.status {
        StepStatus::Passed | StepStatus::EndedEarly => Verdict::Passed,
        StepStatus::Failed => Verdict::Failed("failed"),
        StepStatus::TimedOut => Verdict::Failed("timed out"),
        StepStatus::Aborted => Verdict::Failed("aborted"),
        StepStatus::Skipped | StepStatus::Pending | StepStatus::Waiting | StepStatus::Running => {
            Verdict::Skipped
        }
    };
    let message = match step.status {
        StepStatus::Pending | StepStatus::Waiting => Some("not reached"),
        StepStatus::Running => Some("still running when the report was made"),
        _ => step.message.as_deref(),
    };
    let lines =
        if matches!(outcome, Verdict::Failed(_)) { step.output.last(FAILURE_LINES) } else { Vec::new() };
    Case {
        name: format!("{} ({})", step.plan.title, step.plan.id),
        classname: format!("{phase}.{}", step.plan.id),
        seconds: step.duration_ms.unwrap_or_default() as f64 / 1000.0,
        outcome,
        message,
        lines,
        step: Some(step),
    }
}

fn undo_case<'a>(step: &'a StepState, undo: &'a UndoRecord) -> Case<'a> {
    let outcome = match undo.outcome {
        Some(o) if o.is_failure() => Verdict::Failed(o.label()),
        Some(Outcome::Skipped) | None => Verdict::Skipped,
        Some(_) => Verdict::Passed,
    };
    let lines =
        if matches!(outcome, Verdict::Failed(_)) { undo.output.last(FAILURE_LINES) } else { Vec::new() };
    Case {
        name: format!("undo of {} ({})", step.plan.title, step.plan.id),
        classname: format!("rollback.undo.{}", step.plan.id),
        seconds: undo.duration_ms.unwrap_or_default() as f64 / 1000.0,
        outcome,
        message: undo.message.as_deref(),
        lines,
        step: None,
    }
}

fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_step_is_a_failure_with_its_last_lines_and_the_xml_parses() {
        let xml = render(&Report::of(&super::super::markdown::tests::flood()));
        let parsed = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).expect("JUnit XML");
        assert_eq!(parsed.suites.len(), 1);
        let case = &parsed.suites[0].cases[0];
        assert_eq!(case.original_name, "Deploy (deploy)");
        let junit_parser::TestStatus::Failure(failure) = &case.status else { panic!("{xml}") };
        assert_eq!(failure.message, "exit 1, expected 0");
        assert!(failure.text.ends_with("row 3899 a\nrow 3899 b"), "{}", failure.text);
    }
}
