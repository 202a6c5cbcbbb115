//! The plan as journaled at the start of a run, so every reader has it without the file.

use crate::journal::{Mode, PlannedContact, PlannedPhase, PlannedStep, RunInfo};
use crate::runbook::{Runbook, Step, StepKind};

pub fn run_info(runbook: &Runbook, mode: Mode, operator: &str, host: &str) -> RunInfo {
    RunInfo {
        runbook: runbook.name.clone(),
        // Absolute, so `run --resume` finds the file from any folder.
        path: std::fs::canonicalize(&runbook.path)
            .unwrap_or_else(|_| runbook.path.clone())
            .display()
            .to_string(),
        hash: runbook.hash.clone(),
        operator: operator.to_string(),
        login: None,
        host: host.to_string(),
        // Filled in by the journal's writer, which holds the key.
        key: None,
        mode,
        start: runbook.start,
        owner: runbook.owner.clone(),
        vars: runbook
            .vars
            .iter()
            .map(|v| (v.name.clone(), if v.secret { "****".to_string() } else { v.value.clone() }))
            .collect(),
        contacts: runbook
            .contacts
            .iter()
            .map(|c| PlannedContact { role: c.role.clone(), name: c.name.clone(), reach: c.reach.clone() })
            .collect(),
        roles: runbook.roles.clone(),
        phases: runbook
            .phases
            .iter()
            .map(|p| PlannedPhase {
                id: p.id.clone(),
                title: p.title.clone(),
                at_secs: p.at.map(|a| a.num_seconds()),
                budget_secs: p.budget.map(|b| b.as_secs()),
                steps: p.steps.iter().map(planned_step).collect(),
            })
            .collect(),
        rollback: runbook.rollback.iter().map(planned_step).collect(),
    }
}

fn planned_step(step: &Step) -> PlannedStep {
    PlannedStep {
        id: step.id.clone(),
        title: step.title.clone(),
        kind: step.kind.step_type(),
        doc: step.doc.clone(),
        detail: detail(&step.kind),
        critical: step.critical,
        confirm: step.confirm,
        undo: step.undo.clone(),
        irreversible: step.irreversible,
        signoff: match &step.kind {
            StepKind::Gate(g) => g.signoff.clone(),
            _ => Vec::new(),
        },
        dry_run: step.dry_run.is_some(),
    }
}

/// One line saying what a step does.
pub fn detail(kind: &StepKind) -> String {
    match kind {
        StepKind::Run(command) => command.clone(),
        StepKind::Http(h) => format!("{} {} → {}", h.method, h.url, h.status),
        StepKind::Sql(s) => s.query.clone(),
        StepKind::Manual(text) => text.clone(),
        StepKind::Gate(g) => g.question.clone(),
        StepKind::Monitor(m) => format!(
            "{} every {} for {}",
            m.steps.join(", "),
            crate::runbook::format_duration(m.every),
            crate::runbook::format_duration(m.duration)
        ),
    }
}
