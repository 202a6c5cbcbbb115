//! `tminus import` on the Markdown plans teams have: each draft passes `check` as it is, `plan`
//! shows the document's clock, and a dry run walks to its end.

mod support;

use support::{Ran, Sandbox};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Imports a fixture into the sandbox as `NAME.toml`, checks it and returns its plan.
fn import(s: &Sandbox, name: &str, extra: &[&str]) -> (Ran, String) {
    s.write(&format!("{name}.md"), &fixture(&format!("{name}.md")));
    let out = format!("{name}.toml");
    let ran = s.tminus().args(["import", &format!("{name}.md"), "-o", &out]).args(extra).output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let check = s.tminus().args(["check", &out]).output();
    assert_eq!(check.code, 0, "{}{}\n{}", check.stdout, check.stderr, s.read(&out));
    let plan = s.tminus().args(["plan", &out]).output();
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    (ran, plan.stdout)
}

/// The plan's lines for one kind of step.
fn kind(plan: &str, kind: &str) -> usize {
    plan.lines().filter(|l| l.trim_start().starts_with(&format!("{kind} "))).count()
}

fn contacts(toml: &str) -> usize {
    toml.lines().filter(|l| *l == "[[contacts]]").count()
}

#[test]
fn the_batch2_report_keeps_its_clock_commands_gate_and_contacts() {
    let s = Sandbox::new();
    let (ran, plan) = import(&s, "batch2-preflight", &[]);
    assert!(plan.contains("T-0 2025-11-27 09:00 +02:00"), "{plan}");
    for clock in [
        "08:45  Phase 1: Pre-Flight",
        "09:00  Phase 2: Deployment",
        "09:15  Phase 3: Verification",
        "09:30  Monitoring",
    ] {
        assert!(plan.contains(clock), "{clock} in\n{plan}");
    }
    assert!(plan.contains("T-15m, budget 15m"), "{plan}");
    assert!(plan.contains("budget 24h"), "{plan}");
    assert_eq!(kind(&plan, "run"), 7, "{plan}");
    assert_eq!(kind(&plan, "gate"), 1, "{plan}");
    assert!(plan.contains("production-deployment") && plan.contains("[dry-run form]"), "{plan}");
    let toml = s.read("batch2-preflight.toml");
    assert_eq!(contacts(&toml), 3);
    assert!(toml.contains("run = \"node scripts/deploy-batch2.js --environment=production\""), "{toml}");
    assert!(toml.contains("dry_run = \"node scripts/deploy-batch2.js --dry-run\""), "{toml}");
    assert!(toml.contains("expect = { stdout = '20/20 tests passed \\(100%\\)' }"), "{toml}");
    assert!(toml.contains("# from batch2-preflight.md:154"), "{toml}");
    assert!(toml.contains("p95_ms = 200") && toml.contains("max_error_rate = 0.001"), "{toml}");
    // Nothing the author wrote is lost: text outside the phases is kept as comments.
    assert!(toml.contains("#   - [ ] Get good sleep"), "{toml}");
    assert!(ran.stderr.contains("4 phases") && ran.stderr.contains("3 contacts"), "{}", ran.stderr);
}

#[test]
fn the_staging_plan_spans_two_days_with_a_gate() {
    let s = Sandbox::new();
    let (ran, plan) = import(&s, "staging-preparation", &[]);
    // Phase 1, the staging deployment, is T-0; Phase 3 and 4 are on the next day.
    assert!(plan.contains("T-0 2026-01-08 11:00 +00:00"), "{plan}");
    for clock in ["09:00  Phase 0", "11:00  Phase 1", "13:00  Phase 2", "09:00  Phase 3", "10:00  Phase 4"] {
        assert!(plan.contains(clock), "{clock} in\n{plan}");
    }
    assert!(plan.contains("T+22h"), "{plan}");
    assert_eq!(kind(&plan, "gate"), 1, "{plan}");
    assert!(ran.stderr.contains("no time zone"), "{}", ran.stderr);
    assert!(ran.stderr.contains("read as the closing fence"), "{}", ran.stderr);
}

#[test]
fn the_three_week_plan_becomes_its_deployment_checklists() {
    let s = Sandbox::new();
    let (_, plan) = import(&s, "blue-green-plan", &["--start", "2024-11-20T02:00+00:00"]);
    assert!(
        plan.contains("Pre-Deployment (Day 14)") && plan.contains("Post-Deployment (Days 15-21)"),
        "{plan}"
    );
    assert!(plan.contains("T-0 2024-11-20 02:00 +00:00"), "{plan}");
    assert!(plan.contains("02:00  Deployment (Day 15)"), "{plan}");
    assert_eq!(kind(&plan, "manual"), 21, "{plan}");
    let toml = s.read("blue-green-plan.toml");
    assert_eq!(contacts(&toml), 5);
    assert!(toml.contains("role = \"DBA Team\""), "{toml}");
}

#[test]
fn the_week4_plan_keeps_its_commands_checklists_and_rollback() {
    let s = Sandbox::new();
    let (ran, plan) = import(&s, "week4-preproduction", &[]);
    assert!(plan.contains("Day 1: Local Code Verification"), "{plan}");
    assert!(kind(&plan, "run") >= 30, "{plan}");
    assert!(kind(&plan, "manual") >= 100, "{plan}");
    assert!(plan.contains("\nrollback\n"), "{plan}");
    let toml = s.read("week4-preproduction.toml");
    // A block that changes directory first runs as one step, byte for byte.
    assert!(toml.contains("run = '''\ncd /home/rays/Documents/kitchen-kontrol\n\n# Run component"), "{toml}");
    assert!(toml.contains("expect = { stdout = \"working tree clean\" }"), "{toml}");
    // `$DATABASE_URL` in a command is a variable with a visible placeholder.
    assert!(
        toml.contains("DATABASE_URL = { env = \"DATABASE_URL\", default = \"CHANGE-ME\", secret = true }"),
        "{toml}"
    );
    assert!(ran.stderr.contains("to fill in: DATABASE_URL"), "{}", ran.stderr);
}

#[test]
fn a_plan_with_en_dashes_emoji_tables_and_sh_blocks() {
    let s = Sandbox::new();
    let (_, plan) = import(&s, "payments-cutover", &[]);
    assert!(plan.contains("T-0 2026-03-03 13:50 +01:00"), "{plan}");
    for clock in ["13:30  Readiness", "13:50  Cutover", "14:10  Verification"] {
        assert!(plan.contains(clock), "{clock} in\n{plan}");
    }
    let toml = s.read("payments-cutover.toml");
    assert!(toml.contains("signoff = [\"Release Manager\", \"QA Lead\"]"), "{toml}");
    assert!(toml.contains("dry_run = \"./scripts/migrate.sh --dry-run\""), "{toml}");
    assert!(toml.contains("expect = { stdout = \"4 migrations applied\" }"), "{toml}");
    // Single and double quotes together: a basic string, escaped, that reads back byte for byte.
    assert!(
        toml.contains(
            r#"run = "./scripts/smoke.sh --target=staging 'it''s quoted' \"and \\\"escaped\\\"\"""#
        ),
        "{toml}"
    );
    assert!(toml.contains("name = \"Lerato M.\"") && contacts(&toml) == 3, "{toml}");
    assert!(toml.contains("p95_ms = 300") && toml.contains("max_error_rate = 0.005"), "{toml}");
    assert_eq!(kind(&plan, "manual"), 4, "{plan}");
    assert!(plan.contains("[recommended]"), "{plan}");
    let rollback = plan.split("\nrollback\n").nth(1).unwrap_or_default();
    assert_eq!(kind(rollback, "run"), 2, "{plan}");
}

#[test]
fn a_plan_with_windows_on_first_lines_and_numbered_lists() {
    let s = Sandbox::new();
    let (ran, plan) = import(&s, "search-release-night", &[]);
    for clock in ["22:00  Pre-checks", "22:30  Switch over", "23:15  Watch"] {
        assert!(plan.contains(clock), "{clock} in\n{plan}");
    }
    assert!(plan.contains("budget 2h"), "{plan}");
    assert!(plan.contains("owner Search team"), "{plan}");
    let toml = s.read("search-release-night.toml");
    assert!(toml.contains("PLACEHOLDER DATE"), "{toml}");
    assert!(
        toml.contains("SEARCH_TOKEN = { env = \"SEARCH_TOKEN\", default = \"CHANGE-ME\", secret = true }"),
        "{toml}"
    );
    // The heredoc stays whole, and `${INDEX_VERSION}` in it is the shell's, not tminus's.
    assert!(toml.contains("cat <<'EOF2' > /tmp/notice.txt\nReindex ${INDEX_VERSION} done\nEOF2"), "{toml}");
    assert!(toml.contains("role = \"Search on-call\"\nreach = 'pager \"search-primary\"'"), "{toml}");
    assert_eq!(contacts(&toml), 3);
    let rollback = plan.split("\nrollback\n").nth(1).unwrap_or_default();
    assert_eq!(kind(rollback, "manual"), 2, "{plan}");
    assert!(ran.stderr.contains("today's date stands in"), "{}", ran.stderr);
}

#[test]
fn without_o_the_draft_goes_to_stdout_and_an_existing_file_is_kept() {
    let s = Sandbox::new();
    s.write("p.md", &fixture("payments-cutover.md"));
    let ran = s.tminus().args(["import", "p.md"]).output();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.starts_with("# Draft runbook imported from p.md"), "{}", ran.stdout);
    assert!(ran.stderr.contains("3 phases"), "{}", ran.stderr);
    s.write("p.toml", "mine");
    let refused = s.tminus().args(["import", "p.md", "-o", "p.toml"]).output();
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("p.toml: already exists; give --force"), "{}", refused.stderr);
    assert_eq!(s.read("p.toml"), "mine");
    let forced = s.tminus().args(["import", "p.md", "-o", "p.toml", "--force"]).output();
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(s.read("p.toml").contains("[[phase]]"));
}

#[test]
fn bad_input_is_one_line_naming_the_file_and_line() {
    let s = Sandbox::new();
    std::fs::write(s.path().join("latin1.md"), b"# Plan\n\ncaf\xe9\n").unwrap();
    s.write("words.md", "# Notes\n\nNothing to run here.\n");
    std::fs::write(s.path().join("binary.md"), b"# x\n\0\0\0").unwrap();
    s.write("runbook.md", "[runbook]\nname = \"x\"\n");
    for (file, says) in [
        ("latin1.md", "latin1.md:3: byte 0xE9 is not UTF-8"),
        ("words.md", "words.md:1: no phases found"),
        ("binary.md", "binary.md:2: not Markdown"),
        ("runbook.md", "runbook.md:1: not Markdown"),
        ("missing.md", "missing.md: cannot read it"),
    ] {
        let ran = s.tminus().args(["import", file]).output();
        assert_eq!(ran.code, 2, "{file}: {}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1, "{file}: {}", ran.stderr);
        assert!(ran.stderr.starts_with(says), "{file}: {}", ran.stderr);
        assert!(ran.stdout.is_empty());
    }
}

#[test]
fn a_dry_run_of_an_imported_seed_walks_to_its_end() {
    let s = Sandbox::new();
    import(&s, "batch2-preflight", &[]);
    // A stand-in `node` that prints what each step expects, so the rehearsal needs no scripts.
    s.write(
        "bin/node",
        "#!/bin/sh\necho \"node $*\"\necho 'GO DECISION: Ready for production, 90 records inserted'\n",
    );
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(s.path().join("bin/node"), mode).unwrap();
    let path = format!("{}:{}", s.path().join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let ran = s
        .tminus()
        .env("PATH", &path)
        .args(["run", "batch2-preflight.toml", "--headless", "--dry-run", "--yes", "--operator", "ops-lead"])
        .output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("node scripts/deploy-batch2.js --dry-run"), "{}", ran.stdout);
    let report = s.report_json();
    assert_eq!(support::step(&report, "go-no-go")["status"], "passed", "{}", ran.stdout);
    assert_eq!(report["state"]["outcome"], "succeeded", "{}", ran.stdout);

    // A plan of checklists only, answered on stdin: every tick, then the end.
    let s = Sandbox::new();
    import(&s, "blue-green-plan", &[]);
    let ran = s.run("blue-green-plan.toml", &"y\n".repeat(21), &["--dry-run"]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
}
