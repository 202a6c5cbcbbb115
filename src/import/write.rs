//! The draft as a TOML file a lead keeps editing: comments that point back to the document,
//! strings quoted so that every byte of a command survives.

use std::fmt::Write as _;

use super::draft::{Draft, DryRun, Entry, Kind, Note, Phase, Step};

pub(crate) fn write(draft: &Draft, file: &str, out_name: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Draft runbook imported from {} by `tminus import`.", comment_text(file));
    let _ = writeln!(
        o,
        "# Check and rehearse it: tminus check {0} && tminus plan {0} && tminus run {0} --dry-run",
        comment_text(out_name)
    );
    let _ = writeln!(
        o,
        "# \"from {}:N\" points back to the document; text that became no step is kept as comments.",
        comment_text(file)
    );
    if !draft.todo.is_empty() {
        o.push_str("# To fill in:\n");
        for t in &draft.todo {
            let _ = writeln!(o, "#   - {}", comment_text(t));
        }
    }
    o.push_str("\n[runbook]\n");
    let _ = writeln!(o, "name = {}", interpolated(&draft.name));
    if let Some(start) = &draft.start {
        for why in &start.why {
            let _ = writeln!(o, "# {}", comment_text(why));
        }
        let _ = writeln!(o, "start = \"{}\"", start.at.to_rfc3339());
    }
    if let Some(owner) = &draft.owner {
        let _ = writeln!(o, "owner = {}", interpolated(owner));
    }

    if !draft.vars.is_empty() {
        o.push_str("\n[vars]\n");
        for v in &draft.vars {
            let _ = writeln!(o, "# {}", comment_text(&v.comment));
            let secret = if v.secret { ", secret = true" } else { "" };
            let _ = writeln!(
                o,
                "{} = {{ env = {}, default = {}{secret} }}",
                v.name,
                string(&v.env),
                string(&v.default)
            );
        }
    }

    if !draft.contacts.is_empty() {
        o.push_str("\n# Escalation order is the order of [[contacts]].\n");
    }
    for c in &draft.contacts {
        let _ = writeln!(o, "[[contacts]]\n# from {file}:{}\nrole = {}", c.line, interpolated(&c.role));
        if let Some(name) = &c.name {
            let _ = writeln!(o, "name = {}", interpolated(name));
        }
        if let Some(reach) = &c.reach {
            let _ = writeln!(o, "reach = {}", interpolated(reach));
        }
        o.push('\n');
    }

    for phase in &draft.phases {
        write_phase(&mut o, phase, file);
    }

    if !draft.rollback.is_empty() {
        o.push_str("\n# ---------------------------------------------------------------------------------------------\n");
        if draft.rollback.iter().any(|e| matches!(e, Entry::Step(_))) {
            o.push_str("# Runs after the undo of every finished step, when the rollback key is pressed.\n[rollback]\n");
        }
        for entry in &draft.rollback {
            write_entry(&mut o, entry, file, "rollback.step");
        }
    }

    if !draft.kept.is_empty() {
        o.push_str("\n# ---------------------------------------------------------------------------------------------\n");
        let _ = writeln!(o, "# Kept from {}: the text outside the phases, as written.", comment_text(file));
        for note in &draft.kept {
            write_note(&mut o, note, file, "");
        }
    }
    o
}

fn write_phase(o: &mut String, phase: &Phase, file: &str) {
    o.push_str(
        "\n# ---------------------------------------------------------------------------------------------\n",
    );
    let _ = writeln!(
        o,
        "[[phase]]\n# from {file}:{}: {}",
        phase.line,
        comment_text(phase.source.lines().next().unwrap_or(""))
    );
    let _ = writeln!(o, "id = {}\ntitle = {}", string(&phase.id), interpolated(&phase.title));
    if let Some(at) = &phase.at {
        let _ = writeln!(o, "at = {}", string(at));
    }
    if let Some(budget) = &phase.budget {
        let _ = writeln!(o, "budget = {}", string(budget));
    }
    for entry in &phase.entries {
        write_entry(o, entry, file, "phase.step");
    }
    for s in &phase.suggestions {
        let _ = writeln!(
            o,
            "\n  # Suggested check from {file}:{}: \"{}\". Uncomment it, and point it at the real service or table.",
            s.line,
            comment_text(&s.title)
        );
        let _ = writeln!(o, "  # [[phase.step]]");
        let _ = writeln!(o, "  # id = {}", string(&format!("check-{}", super::ids::slug(&s.title))));
        let _ = writeln!(o, "  # title = {}", comment_text(&interpolated(&s.title)));
        let _ = writeln!(o, "  # {}", comment_text(&s.check));
    }
}

fn write_entry(o: &mut String, entry: &Entry, file: &str, table: &str) {
    match entry {
        Entry::Note(note) => write_note(o, note, file, "  "),
        Entry::Step(step) => write_step(o, step, file, table),
    }
}

fn write_note(o: &mut String, note: &Note, file: &str, indent: &str) {
    let _ = writeln!(o, "\n{indent}# {file}:{}", note.line);
    for line in note.text.lines() {
        let _ = writeln!(o, "{indent}#   {}", comment_text(line));
    }
}

fn write_step(o: &mut String, step: &Step, file: &str, table: &str) {
    let _ = writeln!(o, "\n  [[{table}]]\n  # from {file}:{}", step.line);
    for c in &step.comments {
        let _ = writeln!(o, "  # {}", comment_text(c));
    }
    let _ = writeln!(o, "  id = {}", string(&step.id));
    let default_title = match &step.kind {
        Kind::Manual(t) | Kind::Gate(t) => Some(t),
        Kind::Run(_) => None,
    };
    if default_title != Some(&step.title) {
        let _ = writeln!(o, "  title = {}", interpolated(&step.title));
    }
    if !step.doc.is_empty() {
        let _ = writeln!(o, "  doc = {}", interpolated(&step.doc.join("\n")));
    }
    match &step.kind {
        Kind::Run(command) => {
            let _ = writeln!(o, "  run = {}", string(command));
            match &step.dry_run {
                DryRun::No => {}
                DryRun::Itself => o.push_str("  dry_run = true    # the command is itself a dry run\n"),
                DryRun::Command(c) => {
                    let _ = writeln!(o, "  dry_run = {}", string(c));
                }
            }
            if let Some(re) = &step.expect {
                let _ = writeln!(o, "  expect = {{ stdout = {} }}", interpolated(re));
            }
        }
        Kind::Manual(text) => {
            let _ = writeln!(o, "  manual = {}", interpolated(text));
        }
        Kind::Gate(question) => {
            let _ = writeln!(o, "  gate = {}", interpolated(question));
            if !step.signoff.is_empty() {
                let roles: Vec<String> = step.signoff.iter().map(|r| interpolated(r)).collect();
                let _ = writeln!(o, "  signoff = [{}]", roles.join(", "));
            }
        }
    }
    if step.confirm {
        o.push_str("  confirm = true\n");
    }
    if !step.critical {
        o.push_str("  critical = false\n");
    }
}

/// Comment text: one line, no control characters.
fn comment_text(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect()
}

/// A string tminus reads with `${NAME}` interpolation: a literal `${` is written `$${`.
fn interpolated(text: &str) -> String {
    string(&text.replace("${", "$${"))
}

/// A TOML string holding exactly `s`: plain quotes where they read best, a literal string where
/// that saves escaping, a multi-line literal for a block, and escapes only when nothing else can.
pub(crate) fn string(s: &str) -> String {
    let control = s.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}');
    if !s.contains('\n') {
        if !control && !s.contains(['"', '\\']) {
            return format!("\"{s}\"");
        }
        if !control && !s.contains('\'') {
            return format!("'{s}'");
        }
        return basic(s);
    }
    if !control && !s.contains("'''") && !s.ends_with('\'') {
        return format!("'''\n{s}'''");
    }
    basic(s)
}

fn basic(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_reads_back_as_written() {
        let cases = [
            "node scripts/deploy.js --environment=production",
            r#"psql "$DATABASE_URL" -c "SELECT 1""#,
            r#"echo 'it''s' "and" \ back"#,
            "git commit -m \"first\n\nsecond\"",
            "cat <<'EOF'\nit's '''quoted'''\nEOF",
            "ends with a quote'\nreally'",
            "tab\there\r\nand \u{1b}[31m red \u{7f}",
            "\nstarts with a newline",
            "",
        ];
        for s in cases {
            let doc = format!("v = {}\n", string(s));
            let table: toml::Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(table["v"].as_str(), Some(s), "{doc}");
        }
        assert_eq!(interpolated("cost ${X}"), "\"cost $${X}\"");
    }
}
