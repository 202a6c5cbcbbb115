//! From the document's blocks to a draft: which headings are phases, what in them is a step,
//! where rollback, contacts and success criteria are, and the clock of the day.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use regex::Regex;

use super::clock::{self, Window};
use super::criteria::{self, Needs};
use super::draft::{Draft, DryRun, Entry, Kind, Note, Phase, Start, Step, Var};
use super::ids::{Ids, clean_title};
use super::people::{self, Contact};
use super::shell;
use super::walk::{Block, Located};

/// `--start`: a clock time, with a date and an offset if given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StartArg {
    pub date: Option<NaiveDate>,
    pub time: NaiveTime,
    pub offset: Option<i32>,
}

static GO_NO_GO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bgo\s*/\s*no[\s-]?go\b|\bgo\s+or\s+no[\s-]?go\b|\bno[\s-]go\s+decision").expect("go")
});
static ROLLBACK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)roll\s*-?\s*back|\brevert\b|back\s*-?out").expect("rollback"));
static DEPLOYISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(deploy\w*|switch-?over|switch\w*|rollout|roll-out|release|cut-?over|go-live|launch|execut\w*|migrat\w*|upgrade)\b")
        .expect("deploy")
});
static NOT_T0: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(pre|post)[\s-]?(deploy\w*|flight|release|launch)|verif|monitor|smoke|prepar|readiness|rehears")
        .expect("not t0")
});
static OPTIONAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\boptional\b|\brecommended\b|nice to have").expect("optional"));
static DRY_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\s)--dry-run(?:=\S+)?(?:\s|$)").expect("dry run"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<[a-zA-Z][\w-]*(?:\s[\w-]+)*>|\[[a-zA-Z][\w -]*\]|\bCHANGE[-_]?ME\b|\bTODO\b")
        .expect("placeholder")
});
static VERIFYING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)verif|validat|smoke|check|test").expect("verify"));
static OWNER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?im)^owner\s*:\s*(.+)$").expect("owner"));

/// What a heading's section is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Phase(usize),
    Rollback,
    Contacts,
    Criteria,
    Title,
    Other,
}

struct Heading {
    index: usize,
    level: u8,
    text: String,
    line: usize,
    /// Index past the last block of its section (subsections included).
    end: usize,
    window: Option<(Window, String)>,
}

/// Where a block goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Phase(usize),
    Rollback,
    Contacts,
    Criteria(Option<usize>),
    Outside,
}

pub(crate) fn assemble(
    file: &str,
    source: &str,
    blocks: &[Located],
    start: Option<StartArg>,
) -> Result<Draft, String> {
    let headings = headings(blocks);
    let title = title_heading(&headings);
    let mut draft = Draft {
        name: title
            .map(|t| clean_title(&headings[t].text))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| file.trim_end_matches(".md").to_string()),
        owner: OWNER.captures(source).map(|c| clean_title(&c[1])),
        ..Draft::default()
    };
    let roles = heading_roles(&headings, blocks, title);
    let phase_heads: Vec<usize> =
        (0..headings.len()).filter(|&h| matches!(roles[h], Role::Phase(_))).collect();
    let owners = owners(blocks, &headings, &roles);

    // Phases, with the window each heading gives.
    let mut times: Vec<Option<(Window, String)>> = Vec::new();
    for &h in &phase_heads {
        let head = &headings[h];
        let title = clean_title(&strip_window(&head.text));
        draft.phases.push(Phase {
            title: if title.is_empty() { clean_title(&head.text) } else { title },
            line: head.line,
            source: head.text.clone(),
            ..Phase::default()
        });
        times.push(head.window.clone());
    }
    if draft.phases.is_empty() {
        if !blocks.iter().any(|b| holds_steps(&b.block)) {
            return Err(
                "no phases found: no heading with a time window, and no checklist or shell commands".into()
            );
        }
        // No headings to go by: the whole document is one phase.
        draft.phases.push(Phase {
            title: draft.name.clone(),
            line: 1,
            source: draft.name.clone(),
            ..Phase::default()
        });
        times.push(None);
    }
    let whole_document = phase_heads.is_empty();

    // Every block to its place.
    let mut criteria_lines: Vec<(Option<usize>, usize, String)> = Vec::new();
    let mut go_mentions: Vec<(usize, String)> = Vec::new();
    let mut phase_blocks: Vec<Vec<(&Located, bool)>> = vec![Vec::new(); draft.phases.len()];
    let mut rollback_blocks = Vec::new();
    for (k, b) in blocks.iter().enumerate() {
        if title.is_some_and(|t| headings[t].index == k) {
            continue;
        }
        let owner = if whole_document && owners[k] == Owner::Outside { Owner::Phase(0) } else { owners[k] };
        let optional = section_text(&headings, blocks, k).is_some_and(|t| OPTIONAL.is_match(&t));
        match owner {
            Owner::Phase(p) => {
                if phase_heads.get(p).is_some_and(|&h| headings[h].index == k) {
                    continue;
                }
                phase_blocks[p].push((b, optional));
            }
            Owner::Rollback => rollback_blocks.push((b, false)),
            Owner::Contacts => match &b.block {
                Block::Item { text, depth: 0, .. } => match people::from_item(text, b.line) {
                    Some(c) => draft.contacts.push(c),
                    None => draft.kept.push(note(b)),
                },
                Block::Table { rows } => draft.contacts.extend(people::from_table(rows, b.line)),
                Block::Heading { .. } => {}
                _ => draft.kept.push(note(b)),
            },
            Owner::Criteria(p) => {
                for (i, line) in block_text(&b.block).lines().enumerate() {
                    criteria_lines.push((p, b.line + i, line.to_string()));
                }
                match p {
                    Some(p) => phase_blocks[p].push((b, optional)),
                    None => draft.kept.push(note(b)),
                }
            }
            Owner::Outside => {
                let text = block_text(&b.block);
                if let Some(line) = text.lines().find(|l| GO_NO_GO.is_match(l)) {
                    go_mentions.push((b.line, clean_title(line)));
                }
                draft.kept.push(note(b));
            }
        }
    }

    for (p, blocks) in phase_blocks.iter().enumerate() {
        let (entries, criteria) = entries(blocks, file, Some(&draft.phases[p].title));
        draft.phases[p].entries = entries;
        criteria_lines.extend(criteria.into_iter().map(|(line, text)| (Some(p), line, text)));
    }
    let (rollback, _) = entries(&rollback_blocks, file, None);
    draft.rollback = rollback
        .into_iter()
        .map(|e| match e {
            // A rollback runs through: a decision in it is something a person checks.
            Entry::Step(mut s) if matches!(s.kind, Kind::Gate(_)) => {
                if let Kind::Gate(q) = &s.kind {
                    s.kind = Kind::Manual(q.clone());
                }
                Entry::Step(s)
            }
            e => e,
        })
        .collect();

    add_timeline_phases(&mut draft, &mut times, blocks, &owners);
    for (p, phase) in draft.phases.iter_mut().enumerate() {
        if phase.steps().next().is_none() {
            let mut step = Step::new(
                phase.title.clone(),
                phase.line,
                Kind::Manual(format!("{}: done as the plan says", phase.title)),
            );
            step.comments
                .push("the document gives no commands or checklist here: a person confirms it".into());
            phase.entries.push(Entry::Step(step));
        }
        let _ = p;
    }

    let t0 = clock_of_the_day(&mut draft, &times, source, file, start);
    place_gate(&mut draft, &go_mentions, t0, file);
    place_suggestions(&mut draft, &criteria_lines, t0);
    pair_dry_runs(&mut draft);
    sign_offs(&mut draft);
    command_vars(&mut draft, file);
    give_ids(&mut draft);
    Ok(draft)
}

fn headings(blocks: &[Located]) -> Vec<Heading> {
    let mut out: Vec<Heading> = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        if let Block::Heading { level, text } = &b.block {
            let end = blocks[i + 1..]
                .iter()
                .position(|n| matches!(n.block, Block::Heading { level: l, .. } if l <= *level))
                .map_or(blocks.len(), |p| i + 1 + p);
            // A window in the heading, or in the first line under it.
            let first_line = match blocks.get(i + 1).map(|n| &n.block) {
                Some(Block::Para { text } | Block::Item { text, .. }) => text.lines().next().unwrap_or(""),
                _ => "",
            };
            let window = clock::find_window(text).map(|(w, _)| (w, text.clone())).or_else(|| {
                clock::find_window(first_line).map(|(w, _)| (w, format!("{text}\n{first_line}")))
            });
            out.push(Heading { index: i, level: *level, text: text.clone(), line: b.line, end, window });
        }
    }
    out
}

/// The document's title: its one heading at the top level, if it comes first.
fn title_heading(headings: &[Heading]) -> Option<usize> {
    let top = headings.iter().map(|h| h.level).min()?;
    let at_top = headings.iter().filter(|h| h.level == top).count();
    (at_top == 1 && headings[0].level == top && (headings.len() > 1 || top == 1)).then_some(0)
}

fn holds_steps(block: &Block) -> bool {
    match block {
        Block::Item { task: Some(_), .. } => true,
        Block::Code { lang, text } => {
            shell::is_shell(lang) && shell::read(text, 1).units.iter().any(|u| u.command.is_some())
        }
        _ => false,
    }
}

/// Phases are the innermost headings with a time window; a document with none has its phases
/// at the shallowest level where two or more sections hold checklists or commands.
fn heading_roles(headings: &[Heading], blocks: &[Located], title: Option<usize>) -> Vec<Role> {
    let mut roles: Vec<Role> = headings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if Some(i) == title {
                Role::Title
            } else if ROLLBACK.is_match(&h.text) {
                Role::Rollback
            } else if people::is_contacts_heading(&h.text) {
                Role::Contacts
            } else if criteria::is_criteria_heading(&h.text) {
                Role::Criteria
            } else {
                Role::Other
            }
        })
        .collect();
    let inside = |outer: &Heading, inner: &Heading| inner.index > outer.index && inner.index < outer.end;
    let windowed: Vec<usize> =
        (0..headings.len()).filter(|&i| roles[i] == Role::Other && headings[i].window.is_some()).collect();
    let chosen: Vec<usize> = if !windowed.is_empty() {
        // In document order, a windowed heading holds another only if it holds the next one.
        let next = windowed.iter().skip(1).map(Some).chain([None]);
        windowed
            .iter()
            .zip(next)
            .filter(|(i, j)| !j.is_some_and(|j| inside(&headings[**i], &headings[*j])))
            .map(|(i, _)| *i)
            .collect()
    } else {
        let holds = |h: &Heading| blocks[h.index + 1..h.end].iter().any(|b| holds_steps(&b.block));
        let candidates: Vec<usize> =
            (0..headings.len()).filter(|&i| roles[i] == Role::Other && holds(&headings[i])).collect();
        let at_level = |level: u8| {
            candidates.iter().copied().filter(|&i| headings[i].level == level).collect::<Vec<_>>()
        };
        let levels: Vec<u8> = (1..=6).collect();
        let level = levels
            .iter()
            .copied()
            .find(|&l| at_level(l).len() >= 2)
            .or_else(|| levels.iter().copied().find(|&l| !at_level(l).is_empty()));
        level.map(at_level).unwrap_or_default()
    };
    for (p, &i) in chosen.iter().enumerate() {
        roles[i] = Role::Phase(p);
    }
    roles
}

/// Each block's place: the innermost phase, rollback, contacts or criteria section it is in.
fn owners(blocks: &[Located], headings: &[Heading], roles: &[Role]) -> Vec<Owner> {
    let mut stack: Vec<usize> = Vec::new();
    let mut out = Vec::with_capacity(blocks.len());
    let mut next = 0;
    for (k, _) in blocks.iter().enumerate() {
        if next < headings.len() && headings[next].index == k {
            while stack.last().is_some_and(|&s| headings[s].level >= headings[next].level) {
                stack.pop();
            }
            stack.push(next);
            next += 1;
        }
        let phase = stack.iter().rev().find_map(|&s| match roles[s] {
            Role::Phase(p) => Some(p),
            _ => None,
        });
        let owner = stack
            .iter()
            .rev()
            .find_map(|&s| match roles[s] {
                Role::Phase(p) => Some(Owner::Phase(p)),
                Role::Rollback => Some(Owner::Rollback),
                Role::Contacts => Some(Owner::Contacts),
                Role::Criteria => Some(Owner::Criteria(phase)),
                Role::Title | Role::Other => None,
            })
            .unwrap_or(Owner::Outside);
        out.push(owner);
    }
    out
}

/// The text of the innermost heading over block `k` and of the block itself, to tell
/// optional checklists apart.
fn section_text(headings: &[Heading], blocks: &[Located], k: usize) -> Option<String> {
    // Headings come in document order: start from the last one at or before block k, and walk
    // back only past sections that ended before it.
    let before = headings.partition_point(|h| h.index <= k);
    let h = headings[..before].iter().rev().find(|h| k < h.end)?;
    let own = match &blocks[k].block {
        Block::Item { text, .. } => text.as_str(),
        _ => "",
    };
    Some(format!("{}\n{own}", h.text))
}

fn strip_window(text: &str) -> String {
    match clock::find_window(text) {
        Some((_, at)) => {
            let mut s = format!("{}{}", &text[..at.start], &text[at.end..]);
            s = s.replace("()", "").replace("( )", "").replace("[]", "");
            let s = s.trim().trim_matches(|c| c == '·' || c == '-' || c == '–' || c == '|').trim();
            s.to_string()
        }
        None => text.to_string(),
    }
}

fn block_text(block: &Block) -> String {
    match block {
        Block::Heading { level, text } => format!("{} {text}", "#".repeat(*level as usize)),
        Block::Para { text } => text.clone(),
        Block::Item { text, task, ordered, depth } => {
            let mark = match (task, ordered) {
                (Some(true), _) => "- [x]",
                (Some(false), _) => "- [ ]",
                (None, true) => "1.",
                (None, false) => "-",
            };
            format!("{}{mark} {text}", "  ".repeat(*depth))
        }
        Block::Code { lang, text } => format!("```{lang}\n{}\n```", text.trim_end_matches('\n')),
        Block::Table { rows } => {
            rows.iter().map(|r| format!("| {} |", r.join(" | "))).collect::<Vec<_>>().join("\n")
        }
    }
}

fn note(b: &Located) -> Note {
    Note { line: b.line, text: block_text(&b.block) }
}

/// A phase's (or the rollback's) blocks as steps and kept text; also the lines that state
/// success criteria ("Success Criteria: … < 500ms p95").
fn entries(
    blocks: &[(&Located, bool)],
    file: &str,
    title: Option<&str>,
) -> (Vec<Entry>, Vec<(usize, String)>) {
    let mut out: Vec<Entry> = Vec::new();
    let mut criteria = Vec::new();
    let mut heading: Option<String> = title.map(str::to_string);
    // Whether the last step came from a list item, so nested items are its detail.
    let mut item_step = false;
    for &(b, optional) in blocks {
        match &b.block {
            Block::Heading { text, .. } => {
                item_step = false;
                heading = Some(clean_title(text));
                if GO_NO_GO.is_match(text) {
                    out.push(Entry::Step(gate(text, b.line)));
                } else {
                    out.push(Entry::Note(note(b)));
                }
            }
            Block::Para { text } => {
                item_step = false;
                for (i, line) in text.lines().enumerate() {
                    if line.to_ascii_lowercase().contains("criteri")
                        || line.to_ascii_lowercase().contains("success")
                    {
                        criteria.push((b.line + i, line.to_string()));
                    }
                }
                out.push(Entry::Note(note(b)));
                if let Some((i, line)) = text.lines().enumerate().find(|(_, l)| GO_NO_GO.is_match(l)) {
                    let mut g = gate(line, b.line + i);
                    g.doc.push(text.clone());
                    out.push(Entry::Step(g));
                }
            }
            Block::Item { text, task, ordered, depth } => {
                let is_step = task.is_some() || (*ordered && *depth == 0);
                if is_step {
                    let mut lines = text.lines();
                    let first = lines.next().unwrap_or("");
                    let mut step = if GO_NO_GO.is_match(text) {
                        gate(first, b.line)
                    } else {
                        let title = clean_title(first);
                        let mut s = Step::new(title.clone(), b.line, Kind::Manual(title));
                        s.critical = !optional;
                        if *task == Some(true) {
                            s.comments.push("ticked in the document".into());
                        }
                        s
                    };
                    step.doc.extend(lines.map(str::to_string));
                    out.push(Entry::Step(step));
                    item_step = true;
                } else if *depth > 0 && item_step {
                    if let Some(Entry::Step(s)) = out.last_mut() {
                        s.doc.push(format!("{}- {text}", "  ".repeat(depth - 1)));
                    }
                } else {
                    item_step = false;
                    out.push(Entry::Note(note(b)));
                }
            }
            Block::Code { lang, text } if shell::is_shell(lang) => {
                item_step = false;
                let script = shell::read(text, b.line);
                if script.settings_only || script.units.is_empty() {
                    out.push(Entry::Note(note(b)));
                    continue;
                }
                if !script.notes.is_empty() {
                    out.push(Entry::Note(Note { line: b.line, text: script.notes.join("\n") }));
                }
                if script.one_procedure {
                    out.push(Entry::Step(procedure(&script, heading.as_deref(), b.line, file)));
                } else {
                    for unit in &script.units {
                        out.push(Entry::Step(unit_step(unit, file)));
                    }
                }
            }
            _ => {
                item_step = false;
                out.push(Entry::Note(note(b)));
            }
        }
    }
    (out, criteria)
}

fn gate(text: &str, line: usize) -> Step {
    let question = clean_title(text.lines().next().unwrap_or(text));
    let mut step = Step::new(question.clone(), line, Kind::Gate(question));
    step.doc.push(text.to_string());
    step
}

fn short(command: &str) -> String {
    let first = command.lines().next().unwrap_or("").trim().trim_end_matches('\\').trim_end();
    if first.chars().count() > 60 {
        format!("{}…", first.chars().take(59).collect::<String>())
    } else {
        first.to_string()
    }
}

fn unit_step(unit: &shell::Unit, file: &str) -> Step {
    let Some(command) = &unit.command else {
        let title = unit.title.clone().unwrap_or_else(|| "Step".into());
        let mut step = Step::new(title.clone(), unit.line, Kind::Manual(title));
        step.doc = unit.doc.clone();
        return step;
    };
    let title = unit.title.clone().unwrap_or_else(|| short(command));
    let mut step = Step::new(title, unit.line, Kind::Run(command.clone()));
    step.doc = unit.doc.clone();
    for e in &unit.expect {
        step.doc.extend(e.lines.iter().cloned());
        if step.expect.is_none() {
            step.expect = e.literal.as_deref().map(regex::escape);
        }
    }
    finish_run_step(&mut step, command, file);
    step
}

/// A block whose lines depend on each other (`cd`, `export`) runs as one step.
fn procedure(script: &shell::Script, heading: Option<&str>, line: usize, file: &str) -> Step {
    let first = script.units.iter().find(|u| u.command.is_some());
    let title = first
        .and_then(|u| u.title.clone())
        .or_else(|| heading.map(str::to_string))
        .unwrap_or_else(|| format!("Commands at {file}:{line}"));
    let mut step = Step::new(title, first.map_or(line, |u| u.line), Kind::Run(script.procedure.clone()));
    step.comments.push(
        "one procedure: its lines depend on each other (cd, export, ...), so they run as one step".into(),
    );
    let literals: Vec<&str> =
        script.units.iter().flat_map(|u| &u.expect).filter_map(|e| e.literal.as_deref()).collect();
    if let [only] = literals.as_slice() {
        step.expect = Some(regex::escape(only));
    }
    for unit in &script.units {
        step.doc.extend(unit.expect.iter().flat_map(|e| e.lines.iter().cloned()));
    }
    finish_run_step(&mut step, &script.procedure, file);
    step
}

fn finish_run_step(step: &mut Step, command: &str, file: &str) {
    if DRY_RUN.is_match(command) {
        step.dry_run = DryRun::Itself;
    }
    let holes: Vec<&str> = PLACEHOLDER
        .find_iter(command)
        .map(|m| m.as_str())
        .filter(|m| !m.starts_with("[[") && !m.starts_with("[ "))
        .collect();
    if !holes.is_empty() {
        step.confirm = true;
        step.comments.push(format!(
            "FILL IN: the command has placeholders ({}); confirm = true stops before it runs",
            holes.join(", ")
        ));
        let _ = file;
    }
}

/// "- 09:30+: Monitoring (24 hours)": a timeline line whose start is no phase's is a phase too.
fn add_timeline_phases(
    draft: &mut Draft,
    times: &mut Vec<Option<(Window, String)>>,
    blocks: &[Located],
    owners: &[Owner],
) {
    if times.iter().all(Option::is_none) {
        return;
    }
    static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(?:\d{1,2}:\d{2})[^A-Za-z]*?(?:\+|\d{1,2}:\d{2})\s*(?:h\b)?\s*[:\-–—·|]?\s*(.+)$")
            .expect("entry")
    });
    for (k, b) in blocks.iter().enumerate() {
        let Block::Item { text, task: None, .. } = &b.block else { continue };
        if owners[k] != Owner::Outside {
            continue;
        }
        let Some((window, at)) = clock::find_window(text) else { continue };
        if at.start != 0 || times.iter().flatten().any(|(w, _)| w.start == window.start) {
            continue;
        }
        let Some(c) = ENTRY.captures(text) else { continue };
        let title = clean_title(&c[1]);
        if title.is_empty() {
            continue;
        }
        let mut step = Step::new(title.clone(), b.line, Kind::Manual(title.clone()));
        step.comments.push("the document gives this phase only as a line of its timeline".into());
        let phase = Phase {
            title: title.clone(),
            line: b.line,
            source: text.clone(),
            entries: vec![Entry::Step(step)],
            ..Phase::default()
        };
        // In time order among the phases that have a window.
        let after = times.iter().rposition(|t| t.as_ref().is_some_and(|(w, _)| w.start <= window.start));
        let at = after.map_or(0, |i| i + 1);
        draft.phases.insert(at, phase);
        times.insert(at, Some((window, text.clone())));
    }
}

/// `start`, and each phase's `at` and `budget`, from the windows; returns the T-0 phase.
fn clock_of_the_day(
    draft: &mut Draft,
    times: &[Option<(Window, String)>],
    source: &str,
    file: &str,
    start: Option<StartArg>,
) -> Option<usize> {
    let starts: Vec<NaiveTime> = times.iter().flatten().map(|(w, _)| w.start).collect();
    // "scheduled for 2025-11-27 09:00 SAST": a date beside a phase's start time.
    let mention = source.lines().enumerate().find_map(|(i, line)| {
        let date = clock::dates(line).first()?.0;
        let time = clock::times(line).into_iter().map(|(t, _)| t).find(|t| starts.contains(t))?;
        Some((i + 1, date, time, line))
    });
    let own_dates: Vec<Option<NaiveDate>> = times
        .iter()
        .map(|t| t.as_ref().and_then(|(_, text)| clock::dates(text).first().map(|d| d.0)))
        .collect();
    let phase_line = |p: usize| draft.phases[p].line;
    let windowed: Vec<usize> = (0..times.len()).filter(|&p| times[p].is_some()).collect();
    let reads_as_t0 =
        |p: &usize| DEPLOYISH.is_match(&draft.phases[*p].title) && !NOT_T0.is_match(&draft.phases[*p].title);
    let mut why = Vec::new();
    let t0 = match start {
        Some(arg) => {
            let p = windowed
                .iter()
                .copied()
                .find(|&p| times[p].as_ref().is_some_and(|(w, _)| w.start == arg.time));
            why.push(format!("T-0 given on the command line (--start {})", arg.time.format("%H:%M")));
            p.or_else(|| (0..draft.phases.len()).find(|p| reads_as_t0(p))).or(Some(0))
        }
        None => {
            let p = windowed
                .iter()
                .copied()
                .find(|p| reads_as_t0(p))
                .or_else(|| {
                    mention.and_then(|(_, _, t, _)| {
                        windowed
                            .iter()
                            .copied()
                            .find(|&p| times[p].as_ref().is_some_and(|(w, _)| w.start == t))
                    })
                })
                .or_else(|| windowed.first().copied());
            if let Some(p) = p {
                why.push(format!(
                    "T-0: \"{}\" ({file}:{}) reads as the deployment",
                    draft.phases[p].title,
                    phase_line(p)
                ));
            }
            p
        }
    };
    let t0_time = match (start, t0) {
        (Some(arg), _) => arg.time,
        (None, Some(p)) => times[p].as_ref()?.0.start,
        (None, None) => return None,
    };
    // The day: given, a phase's own, beside a phase's start time, or a placeholder.
    let doc_date = own_dates.iter().flatten().next().copied();
    let date = start
        .and_then(|a| a.date)
        .or_else(|| t0.and_then(|p| own_dates[p]))
        .or_else(|| mention.map(|(_, d, _, _)| d))
        .or(doc_date);
    let date = match date {
        Some(d) => {
            if let Some((line, _, _, text)) = mention.filter(|m| m.1 == d) {
                why.push(format!("date from {file}:{line}: \"{}\"", clean_title(text)));
            }
            d
        }
        None => {
            why.push("PLACEHOLDER DATE: the document gives no date; today stands in. Put the day of the deployment here".into());
            draft.todo.push("start: the document gives no date; today's date stands in".into());
            chrono::Local::now().date_naive()
        }
    };
    // The zone: named beside a phase's window, beside the date, or anywhere after a time.
    let zone = times
        .iter()
        .flatten()
        .find_map(|(_, text)| clock::zone(text))
        .or_else(|| mention.and_then(|(_, _, _, line)| clock::zone(line)))
        .or_else(|| clock::zone(source));
    let offset_minutes = match (start.and_then(|a| a.offset), &zone) {
        (Some(o), _) => o,
        (None, Some((name, o))) => {
            why.push(format!("{name} is {}", offset_text(*o)));
            *o
        }
        (None, None) => {
            why.push("the document names no time zone: +00:00 stands in; put your offset here".into());
            draft.todo.push("start: the document names no time zone; +00:00 stands in".into());
            0
        }
    };
    let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("utc"));
    let at_t0: DateTime<FixedOffset> = offset.from_local_datetime(&date.and_time(t0_time)).single()?;
    draft.start = Some(Start { at: at_t0, why });

    // Each phase's day: its own, else the one before it (the next day when its clock goes back).
    let mut day: Option<(NaiveDate, NaiveTime)> = None;
    let t0_index = t0.unwrap_or(0);
    for p in 0..draft.phases.len() {
        let Some((window, text)) = &times[p] else {
            if start.is_some() && times.iter().all(Option::is_none) && p == t0_index {
                draft.phases[p].at = Some("0m".into());
            }
            continue;
        };
        let d = match (own_dates[p], day) {
            (Some(d), _) => d,
            (None, Some((prev, prev_time))) => {
                if window.start < prev_time {
                    prev + chrono::Days::new(1)
                } else {
                    prev
                }
            }
            (None, None) => {
                // Before T-0 on the day of T-0, or the day before when its clock is later.
                if p < t0_index && window.start > t0_time { date - chrono::Days::new(1) } else { date }
            }
        };
        day = Some((d, window.start));
        let when = offset.from_local_datetime(&d.and_time(window.start)).single()?;
        let minutes = (when - at_t0).num_minutes();
        if minutes.abs() <= 7 * 24 * 60 {
            draft.phases[p].at = Some(clock::signed(minutes));
        }
        let length = window.length().or_else(|| clock::stated_length(text));
        draft.phases[p].budget = length.map(|l| clock::signed((l.as_secs() / 60) as i64));
    }
    t0
}

fn offset_text(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

/// A GO / NO-GO the document names outside its phases: a gate before T-0.
fn place_gate(draft: &mut Draft, mentions: &[(usize, String)], t0: Option<usize>, file: &str) {
    let has_gate = draft.phases.iter().flat_map(|p| p.steps()).any(|s| matches!(s.kind, Kind::Gate(_)));
    if has_gate || mentions.is_empty() {
        return;
    }
    let t0 = t0.unwrap_or(0);
    let question = match draft.phases.get(t0) {
        Some(p) => format!("GO / NO-GO: {}", p.title),
        None => "GO / NO-GO".into(),
    };
    let mut step = Step::new(question.clone(), mentions[0].0, Kind::Gate(question));
    step.comments.push(format!(
        "the document names a GO / NO-GO decision ({}); it is asked before T-0",
        mentions.iter().map(|(l, _)| format!("{file}:{l}")).collect::<Vec<_>>().join(", ")
    ));
    step.doc.extend(mentions.iter().map(|(_, t)| t.clone()));
    if t0 > 0 {
        draft.phases[t0 - 1].entries.push(Entry::Step(step));
    } else {
        let at = draft.phases[0].entries.iter().position(|e| matches!(e, Entry::Step(_))).unwrap_or(0);
        draft.phases[0].entries.insert(at, Entry::Step(step));
    }
}

/// Criteria with numbers, as commented checks in their phase, or in the one that verifies.
fn place_suggestions(draft: &mut Draft, lines: &[(Option<usize>, usize, String)], t0: Option<usize>) {
    let verifying = draft
        .phases
        .iter()
        .enumerate()
        .skip(t0.unwrap_or(0))
        .find(|(_, p)| VERIFYING.is_match(&p.title))
        .map(|(i, _)| i)
        .or(t0)
        .unwrap_or(draft.phases.len() - 1);
    let mut seen = std::collections::HashSet::new();
    let all = lines
        .iter()
        .filter(|(_, line, _)| seen.insert(*line))
        .flat_map(|(p, line, text)| criteria::suggest_all(text, *line).into_iter().map(move |s| (p, s)));
    for (p, s) in all.collect::<Vec<_>>() {
        let name = match s.needs {
            Needs::Api => "API",
            Needs::Database => "DATABASE_URL",
        };
        if !draft.vars.iter().any(|v| v.name == name) {
            draft.vars.push(match s.needs {
                Needs::Api => Var {
                    name: name.into(),
                    env: name.into(),
                    default: "http://127.0.0.1:8080".into(),
                    secret: false,
                    comment: "the service the suggested http checks call: set API or change this default"
                        .into(),
                },
                Needs::Database => Var {
                    name: name.into(),
                    env: name.into(),
                    default: "sqlite://CHANGE-ME.db".into(),
                    secret: true,
                    comment:
                        "the database the suggested sql checks read: set DATABASE_URL or change this default"
                            .into(),
                },
            });
        }
        draft.phases[p.unwrap_or(verifying)].suggestions.push(s);
    }
}

/// `deploy.js --dry-run` is the dry form of `deploy.js --environment=production`.
fn pair_dry_runs(draft: &mut Draft) {
    let norm = |c: &str| c.split_whitespace().collect::<Vec<_>>().join(" ");
    let dry: Vec<(String, String)> = draft
        .phases
        .iter()
        .flat_map(|p| p.steps())
        .filter_map(|s| match (&s.kind, &s.dry_run) {
            (Kind::Run(c), DryRun::Itself) => Some((norm(&DRY_RUN.replace_all(c, " ")), c.clone())),
            _ => None,
        })
        // One word is only a base when it names a script: `kubectl` alone pairs with nothing.
        .filter(|(base, _)| base.split_whitespace().count() >= 2 || base.contains(['/', '.']))
        .collect();
    for step in draft.phases.iter_mut().flat_map(|p| p.steps_mut()) {
        let (Kind::Run(command), DryRun::No) = (&step.kind, &step.dry_run) else { continue };
        let command = norm(command);
        if let Some((_, dry)) =
            dry.iter().find(|(base, _)| command == *base || command.starts_with(&format!("{base} ")))
        {
            step.dry_run = DryRun::Command(dry.clone());
        }
    }
}

fn sign_offs(draft: &mut Draft) {
    let contacts: Vec<Contact> = draft.contacts.clone();
    for step in draft.phases.iter_mut().flat_map(|p| p.steps_mut()) {
        if let Kind::Gate(q) = &step.kind {
            let text = format!("{q}\n{}", step.doc.join("\n"));
            step.signoff = people::roles_named(&text, &contacts);
        }
    }
}

/// `$DATABASE_URL` in a command: a variable with a visible placeholder, so the command gets
/// the real value from the environment or from the file.
fn command_vars(draft: &mut Draft, file: &str) {
    static REF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{?([A-Z][A-Z0-9_]*)\}?").expect("ref"));
    const STANDARD: &[&str] = &[
        "HOME", "PATH", "USER", "PWD", "OLDPWD", "SHELL", "HOSTNAME", "RANDOM", "UID", "LANG", "TERM",
        "TMPDIR", "CI", "TMINUS", "IFS",
    ];
    let steps =
        draft.phases.iter().flat_map(|p| p.steps()).chain(draft.rollback.iter().filter_map(|e| match e {
            Entry::Step(s) => Some(s),
            Entry::Note(_) => None,
        }));
    let mut found: Vec<(String, usize)> = Vec::new();
    for step in steps {
        let Kind::Run(command) = &step.kind else { continue };
        for c in REF.captures_iter(command) {
            let name = c[1].to_string();
            if STANDARD.contains(&name.as_str()) || command.contains(&format!("{name}=")) {
                continue;
            }
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, step.line));
            }
        }
    }
    for (name, line) in found {
        if draft.vars.iter().any(|v| v.name == name) {
            continue;
        }
        let secret = ["SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "DSN", "DATABASE_URL"]
            .iter()
            .any(|s| name.contains(s));
        draft
            .todo
            .push(format!("{name}: a command uses it ({file}:{line}); set it or change its placeholder"));
        draft.vars.push(Var {
            comment: format!("used by the command at {file}:{line}: export {name}, or put its value here"),
            env: name.clone(),
            name,
            default: "CHANGE-ME".into(),
            secret,
        });
    }
}

fn give_ids(draft: &mut Draft) {
    let mut phase_ids = Ids::default();
    for phase in &mut draft.phases {
        phase.id = phase_ids.make(&phase.title, "phase");
    }
    let mut ids = Ids::default();
    for phase in &mut draft.phases {
        for step in phase.steps_mut() {
            let fallback = match step.kind {
                Kind::Gate(_) => "go",
                _ => "step",
            };
            let text = match &step.kind {
                Kind::Gate(_) => "go no go".to_string(),
                _ => step.title.clone(),
            };
            step.id = ids.make(&text, fallback);
        }
    }
    for entry in &mut draft.rollback {
        if let Entry::Step(step) = entry {
            step.id = ids.make(&format!("rollback {}", step.title), "rollback");
        }
    }
}
