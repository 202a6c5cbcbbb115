//! Markdown deployment plans → draft runbooks that pass `tminus check` as they are.
//!
//! The document is walked with pulldown-cmark ([`walk`]); headings with time windows (or, in a
//! plan without any, the sections that hold checklists and commands) become phases
//! ([`assemble`]); fenced shell blocks become `run` steps with their expectations ([`shell`]);
//! contacts, success criteria and the clock of the day have files of their own; [`write`]
//! writes the TOML, which is read back before anyone sees it.

mod assemble;
mod clock;
mod criteria;
mod draft;
mod ids;
mod people;
mod shell;
mod walk;
mod write;

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, NaiveTime};

use crate::runbook::{self, StepKind};
use assemble::StartArg;
use draft::{Draft, DryRun, Entry, Kind};

/// Far past any real plan; it bounds what reading one (or a device named as one) can take.
const MAX_FILE: u64 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: cannot read it: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: more than {} MiB; no deployment plan is that long", MAX_FILE >> 20)]
    TooLarge { path: PathBuf },
    #[error("{path}:{line}: byte 0x{byte:02X} is not UTF-8; a Markdown plan is UTF-8 text")]
    NotUtf8 { path: PathBuf, line: usize, byte: u8 },
    #[error("{path}:{line}: not Markdown: {why}")]
    NotMarkdown { path: PathBuf, line: usize, why: String },
    #[error("{path}:1: {why}")]
    NoPhases { path: PathBuf, why: String },
    #[error("--start {0}: give a clock time like 09:00, or a date and time like 2025-11-27T09:00+02:00")]
    BadStart(String),
    #[error("{path}: already exists; give --force to overwrite it")]
    Exists { path: PathBuf },
    #[error(
        "the draft made from {path} does not read back as written ({why}); this is a bug in tminus import"
    )]
    Unreadable { path: PathBuf, why: String },
}

/// The draft, and what the importer has to say about it.
#[derive(Debug)]
pub struct Imported {
    pub toml: String,
    pub summary: String,
}

/// Reads the Markdown file at `path` into a draft runbook; `out_name` is what the draft will be
/// called (for the commands its head suggests), `start` the `--start` given, if any.
pub fn import_file(path: &Path, out_name: &str, start: Option<&str>) -> Result<Imported, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes)).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(ImportError::TooLarge { path: path.to_path_buf() });
    }
    let line_of = |at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let source = match std::str::from_utf8(&bytes) {
        Ok(s) => s,
        Err(e) => {
            let at = e.valid_up_to();
            return Err(ImportError::NotUtf8 {
                path: path.to_path_buf(),
                line: line_of(at),
                byte: bytes[at],
            });
        }
    };
    if let Some(at) = source.find('\0') {
        return Err(ImportError::NotMarkdown {
            path: path.to_path_buf(),
            line: line_of(at),
            why: "it holds NUL bytes, so it is binary data, not text".into(),
        });
    }
    let start = start.map(parse_start).transpose()?;
    let file =
        path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
    import_text(path, &file, source, out_name, start)
}

fn import_text(
    path: &Path,
    file: &str,
    source: &str,
    out_name: &str,
    start: Option<StartArg>,
) -> Result<Imported, ImportError> {
    let trimmed = source.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with("[runbook]") || trimmed.starts_with("<?xml") {
        let what = if trimmed.starts_with('{') {
            "it reads as JSON"
        } else if trimmed.starts_with('<') {
            "it reads as XML"
        } else {
            "it is already a tminus runbook (TOML); `tminus check` it instead"
        };
        let line = source[..source.len() - trimmed.len()].matches('\n').count() + 1;
        return Err(ImportError::NotMarkdown { path: path.to_path_buf(), line, why: what.into() });
    }
    let (mended, fences) = walk::mend_fences(source);
    let blocks = walk::blocks(&mended);
    let mut draft = assemble::assemble(file, &mended, &blocks, start)
        .map_err(|why| ImportError::NoPhases { path: path.to_path_buf(), why })?;
    for line in fences {
        draft.todo.push(format!(
            "{file}:{line}: a code fence there opens another while one is open, which would hide the rest of the document; it is read as the closing fence"
        ));
    }
    let toml = write::write(&draft, file, out_name);
    read_back(path, &draft, &toml)?;
    Ok(Imported { summary: summary(&draft, file), toml })
}

/// `--start 09:00`, `--start "2025-11-27 09:00"`, `--start 2025-11-27T09:00:00+02:00`.
fn parse_start(text: &str) -> Result<StartArg, ImportError> {
    let bad = || ImportError::BadStart(text.to_string());
    let t = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(StartArg {
            date: Some(dt.date_naive()),
            time: dt.time(),
            offset: Some(dt.offset().local_minus_utc() / 60),
        });
    }
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z", "%Y-%m-%d %H:%M %:z"] {
        if let Ok(dt) = chrono::DateTime::parse_from_str(t, format) {
            return Ok(StartArg {
                date: Some(dt.date_naive()),
                time: dt.time(),
                offset: Some(dt.offset().local_minus_utc() / 60),
            });
        }
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(StartArg { date: Some(dt.date()), time: dt.time(), offset: None });
        }
    }
    for format in ["%H:%M", "%H:%M:%S"] {
        if let Ok(time) = NaiveTime::parse_from_str(t, format) {
            return Ok(StartArg { date: None, time, offset: None });
        }
    }
    Err(bad())
}

/// Parses the written TOML as `tminus check` would (placeholders standing in for the
/// environment) and holds every command to be exactly what the document wrote.
fn read_back(path: &Path, draft: &Draft, toml: &str) -> Result<(), ImportError> {
    let unreadable = |why: String| ImportError::Unreadable { path: path.to_path_buf(), why };
    let rb =
        runbook::parse(Path::new("draft.toml"), toml, &|_| None).map_err(|e| unreadable(e.to_string()))?;
    let steps = draft.phases.iter().flat_map(|p| &p.entries).chain(&draft.rollback).filter_map(|e| match e {
        Entry::Step(s) => Some(s),
        Entry::Note(_) => None,
    });
    // By id, once: a document of thousands of steps is read back in one pass, not one per step.
    let back: std::collections::HashMap<&str, &runbook::Step> =
        rb.steps().map(|(_, s)| s).chain(&rb.rollback).map(|s| (s.id.as_str(), s)).collect();
    for step in steps {
        let read = back.get(step.id.as_str()).copied();
        let Some(read) = read else { return Err(unreadable(format!("step `{}` is missing", step.id))) };
        if let (Kind::Run(written), StepKind::Run(back)) = (&step.kind, &read.kind) {
            let dry = match &step.dry_run {
                DryRun::No => None,
                DryRun::Itself => Some(written),
                DryRun::Command(c) => Some(c),
            };
            if written != back || dry != read.dry_run.as_ref() {
                return Err(unreadable(format!("the command of step `{}` changed", step.id)));
            }
        }
    }
    Ok(())
}

fn summary(draft: &Draft, file: &str) -> String {
    let mut s = format!("{file}: \"{}\"\n", draft.name);
    match &draft.start {
        Some(start) => s.push_str(&format!("  start  {}\n", start.at.format("%Y-%m-%d %H:%M %:z"))),
        None => s.push_str("  start  none: the document gives no time window (`--start 09:00` sets T-0)\n"),
    }
    let steps: Vec<&draft::Step> = draft.phases.iter().flat_map(|p| p.steps()).collect();
    let count = |f: fn(&Kind) -> bool| steps.iter().filter(|st| f(&st.kind)).count();
    let runs = count(|k| matches!(k, Kind::Run(_)));
    let manual = count(|k| matches!(k, Kind::Manual(_)));
    let gates = count(|k| matches!(k, Kind::Gate(_)));
    let dry = steps.iter().filter(|st| matches!(st.dry_run, DryRun::Command(_))).count();
    let expects = steps.iter().filter(|st| st.expect.is_some()).count();
    let rollback = draft.rollback.iter().filter(|e| matches!(e, Entry::Step(_))).count();
    s.push_str(&format!(
        "  {} phases, {} steps: {runs} run ({expects} with expected output, {dry} with a dry-run form), {manual} manual, {gates} gate; {rollback} rollback steps; {} contacts\n",
        draft.phases.len(),
        steps.len(),
        draft.contacts.len()
    ));
    for phase in &draft.phases {
        let at = phase.at.as_deref().map_or(String::new(), |a| format!("  at {a}"));
        let budget = phase.budget.as_deref().map_or(String::new(), |b| format!(", budget {b}"));
        s.push_str(&format!(
            "    {} (line {}){at}{budget}: {} steps\n",
            phase.title,
            phase.line,
            phase.steps().count()
        ));
    }
    let suggestions: usize = draft.phases.iter().map(|p| p.suggestions.len()).sum();
    if suggestions > 0 {
        s.push_str(&format!(
            "  {suggestions} success criteria with numbers, as commented http/sql check suggestions\n"
        ));
    }
    for todo in &draft.todo {
        s.push_str(&format!("  to fill in: {todo}\n"));
    }
    let placeholders = steps.iter().filter(|st| st.confirm).count();
    if placeholders > 0 {
        s.push_str(&format!(
            "  to fill in: {placeholders} commands with placeholders (marked FILL IN, confirm = true)\n"
        ));
    }
    if !draft.kept.is_empty() {
        let headings: Vec<String> = draft
            .kept
            .iter()
            .filter(|n| n.text.starts_with('#'))
            .map(|n| format!("{} (line {})", n.text.trim_start_matches('#').trim(), n.line))
            .collect();
        s.push_str(&format!(
            "  not placed: {} blocks outside the phases, kept as comments at the end{}\n",
            draft.kept.len(),
            if headings.is_empty() { String::new() } else { format!(": {}", shorten_list(&headings, 8)) }
        ));
    }
    s
}

fn shorten_list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{}, and {} more", items[..max].join(", "), items.len() - max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(md: &str) -> Imported {
        import_text(Path::new("plan.md"), "plan.md", md, "plan.toml", None).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_small_plan_becomes_a_runbook_that_reads_back() {
        let md = "# Rollout\n\nOn 2026-03-03 at 14:00 CET.\n\n## Prepare (13:45-14:00)\n\n- [ ] Backup taken\n- [ ] GO / NO-GO: QA Lead signs\n\n## Deploy (14:00–14:30)\n\n```sh\n# Migrate\n./migrate --dry-run\n# Expected: 3 pending\n\n./migrate --apply\n# Expected: done\n```\n\n## Rollback\n\n```sh\n./migrate --down\n```\n\n## Contacts\n\n| Role | Name | Phone |\n|---|---|---|\n| QA Lead | Ana | 555 |\n";
        let out = import(md);
        let rb = runbook::parse(Path::new("x.toml"), &out.toml, &|_| None).unwrap();
        assert_eq!(rb.name, "Rollout");
        assert_eq!(rb.start.unwrap().to_rfc3339(), "2026-03-03T14:00:00+01:00");
        assert_eq!(rb.phases.len(), 2);
        assert_eq!(rb.phases[0].at, Some(chrono::TimeDelta::minutes(-15)));
        assert_eq!(rb.phases[1].budget, Some(std::time::Duration::from_secs(1800)));
        let gate = rb.step("go-no-go").unwrap();
        match &gate.kind {
            StepKind::Gate(g) => assert_eq!(g.signoff, ["QA Lead"]),
            other => panic!("{other:?}"),
        }
        let apply = rb
            .steps()
            .map(|(_, s)| s)
            .find(|s| matches!(&s.kind, StepKind::Run(c) if c == "./migrate --apply"))
            .unwrap();
        assert_eq!(apply.dry_run.as_deref(), Some("./migrate --dry-run"));
        assert_eq!(apply.expect.stdout.as_ref().unwrap().as_str(), "done");
        assert_eq!(rb.rollback.len(), 1);
        assert_eq!(rb.contacts[0].name.as_deref(), Some("Ana"));
        assert!(out.toml.contains("# from plan.md:14"), "{}", out.toml);
    }

    #[test]
    fn bad_input_is_one_line_with_the_file_and_line() {
        let e = import_text(Path::new("p.md"), "p.md", "just words\n", "p.toml", None).unwrap_err();
        assert!(e.to_string().starts_with("p.md:1: no phases found"), "{e}");
        let e = import_text(Path::new("r.toml"), "r.toml", "\n[runbook]\nname = \"x\"\n", "p.toml", None)
            .unwrap_err();
        assert!(e.to_string().starts_with("r.toml:2: not Markdown"), "{e}");
        assert!(parse_start("9am").is_err());
        assert_eq!(parse_start("09:30").unwrap().time, NaiveTime::from_hms_opt(9, 30, 0).unwrap());
    }
}
