//! The command line as a new lead meets it: pipes that close early, the list of runs, run ids
//! given in part, bad themes, an empty folder, and the rehearsal stand-ins.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Lead, Sandbox, demo};

/// A manual check, a gate with two sign-offs, a confirmed deploy with an undo, an irreversible
/// step, then a recommended step that fails with an error line.
const DAY: &str = r#"
[runbook]
name = "Rehearsal"

[[phase]]
id = "pre"
  [[phase.step]]
  id = "backup"
  manual = "Backup file exists"

  [[phase.step]]
  id = "go"
  gate = "GO / NO-GO"
  signoff = ["Technical Lead", "QA Reviewer"]

[[phase]]
id = "deploy"
  [[phase.step]]
  id = "deploy"
  confirm = true
  run = "echo deployed"
  undo = "echo undone"

  [[phase.step]]
  id = "flags"
  run = "echo flags on"
  irreversible = true

  [[phase.step]]
  id = "notes"
  run = "echo writing notes; echo 'notes: mirror unreachable' >&2; exit 3"
  critical = false
"#;

/// Answers for DAY: backup, two sign-offs, GO, the deploy's confirmation.
const GO: &str = "y\ny Dana\ny Sam\ny\ny\n";

/// Runs tminus with a stdout whose reader has already gone, as `| head` leaves it.
fn into_closed_pipe(s: &Sandbox, args: &[&str]) -> (i32, String) {
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    let out = Command::new(env!("CARGO_BIN_EXE_tminus"))
        .current_dir(s.path())
        .env("TMINUS_JOURNAL", s.journal())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    for _ in 0..3 {
        assert_eq!(s.run("day.toml", GO, &[]).code, 0);
    }
    let commands: [&[&str]; 7] = [
        &["runs"],
        &["report"],
        &["report", "--format", "json"],
        &["verify"],
        &["plan", "day.toml"],
        &["check", "day.toml"],
        &["watch"],
    ];
    for args in commands {
        let (code, stderr) = into_closed_pipe(&s, args);
        assert!(!stderr.contains("panicked"), "tminus {args:?} panicked: {stderr}");
        assert_eq!(code, 0, "tminus {args:?}: {stderr}");
        assert_eq!(stderr, "", "tminus {args:?} says nothing of a closed pipe");
    }
    // A headless run whose reader went away runs on to its end, and journals it.
    let (code, stderr) = into_closed_pipe(&s, &["run", "day.toml", "--yes", "--operator", "ci"]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s.tminus().args(["runs"]).output().stdout.lines().count(), 5, "four runs under the header");
}

#[test]
fn a_theme_without_end_and_a_journal_that_is_a_folder_are_refused_in_one_line() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let endless = s.tminus().args(["run", "day.toml", "--headless", "--theme", "/dev/zero"]).output();
    assert_eq!(endless.code, 2, "{}", endless.stderr);
    assert!(
        endless.stderr.contains("theme /dev/zero: cannot read it: more than 256 KiB"),
        "{}",
        endless.stderr
    );
    let folder = s.path().to_str().unwrap().to_string();
    let runs = s.tminus().env("TMINUS_JOURNAL", &folder).args(["runs"]).output();
    assert_eq!(runs.code, 2, "{}", runs.stderr);
    assert_eq!(
        runs.stderr.trim(),
        format!("journal {folder}: is a folder; name the journal's file in it, e.g. {folder}/journal.db")
    );
}

#[test]
fn runs_are_listed_under_a_header_in_words() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    assert_eq!(s.run("day.toml", GO, &[]).code, 0);
    assert_eq!(s.run("day.toml", "y\ny\ny\nn staging regression\n", &[]).code, 4);
    assert_eq!(s.run("day.toml", "y\ny\ny\ny\nrollback smoke failed\n", &[]).code, 3);
    let runs = s.tminus().args(["runs"]).output();
    assert_eq!(runs.code, 0, "{}", runs.stderr);
    let header: Vec<&str> = runs.stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["Run", "Runbook", "Lead", "Started", "State"]);
    for words in ["succeeded", "NO-GO", "rolled back"] {
        assert!(runs.stdout.contains(words), "{words} in {}", runs.stdout);
    }
    assert!(!runs.stdout.contains('_'), "no snake_case: {}", runs.stdout);
}

#[test]
fn runs_tell_a_live_run_from_one_whose_conductor_is_gone() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    let journal = s.journal().display().to_string();
    let mut lead = Lead::start(&s, &journal, "", "backup: Backup file exists");
    let runs = s.tminus().args(["runs"]).output();
    assert!(runs.stdout.contains("live · conductor pid"), "{}", runs.stdout);
    assert!(runs.stdout.contains("waits on backup"), "{}", runs.stdout);
    lead.child.kill().unwrap();
    lead.child.wait().unwrap();
    let runs = s.tminus().args(["runs"]).output();
    assert!(runs.stdout.contains("conductor gone"), "{}", runs.stdout);
    assert!(runs.stdout.contains(&format!("`tminus attach {}` resumes it", lead.run_id)), "{}", runs.stdout);

    // Picked up again by a part of its id, headless, it runs to its end.
    let prefix = &lead.run_id[..lead.run_id.len() - 1];
    let resumed =
        s.tminus().args(["run", "--resume", prefix, "--headless", "--operator", "naledi"]).stdin(GO).output();
    assert_eq!(resumed.code, 0, "{}{}", resumed.stdout, resumed.stderr);
    let runs = s.tminus().args(["runs"]).output();
    assert!(runs.stdout.contains("succeeded"), "{}", runs.stdout);
}

/// The shortest start of `id` that `other` does not share.
fn unique_prefix<'a>(id: &'a str, other: &str) -> &'a str {
    let common = id.chars().zip(other.chars()).take_while(|(a, b)| a == b).count();
    &id[..common + 1]
}

#[test]
fn a_run_id_may_be_given_by_any_unique_prefix() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    assert_eq!(s.run("day.toml", GO, &[]).code, 0);
    assert_eq!(s.run("day.toml", "y\ny\ny\nn staging regression\n", &[]).code, 4);
    let runs = s.tminus().args(["runs"]).output();
    let ids: Vec<String> =
        runs.stdout.lines().skip(1).map(|l| l.split_whitespace().next().unwrap().to_string()).collect();
    let (newest, oldest) = (&ids[0], &ids[1]);
    let prefix = unique_prefix(oldest, newest);

    let report = s.tminus().args(["report", prefix, "--format", "json"]).output();
    assert_eq!(report.code, 0, "{}", report.stderr);
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(json["state"]["run_id"], oldest.as_str());
    let verify = s.tminus().args(["verify", prefix]).output();
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(verify.stdout.starts_with(&format!("run {oldest}: chain verified")), "{}", verify.stdout);
    let watch = s.tminus().args(["watch", prefix]).output();
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    assert!(watch.stdout.contains(&format!("run {oldest}")), "{}", watch.stdout);
    let replay = s.tminus().args(["replay", prefix, "--speed", "1000"]).output();
    assert_eq!(replay.code, 0, "{}", replay.stderr);
    assert!(replay.stdout.contains("succeeded"), "{}", replay.stdout);
    let resume = s.tminus().args(["run", "--resume", prefix, "--headless"]).output();
    assert_eq!(resume.code, 2);
    assert!(resume.stderr.contains(&format!("run {oldest} has already ended")), "{}", resume.stderr);

    // A prefix both runs share names neither: one line, the candidates, exit 2.
    let shared = &oldest[..unique_prefix(oldest, newest).len() - 1];
    for args in [
        vec!["report", shared],
        vec!["verify", shared],
        vec!["watch", shared],
        vec!["replay", shared],
        vec!["run", "--resume", shared, "--headless"],
    ] {
        let ran = s.tminus().args(&args).output();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert_eq!(ran.stderr.trim().lines().count(), 1, "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(&format!("run id `{shared}` is ambiguous")), "{}", ran.stderr);
        assert!(
            ran.stderr.contains(newest.as_str()) && ran.stderr.contains(oldest.as_str()),
            "{}",
            ran.stderr
        );
    }
    let none = s.tminus().args(["report", "1999"]).output();
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("no run `1999`"), "{}", none.stderr);
}

#[test]
fn an_unknown_theme_is_an_error_in_every_mode() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    for args in [
        vec!["run", "day.toml", "--theme", "neon"],
        vec!["run", "day.toml", "--headless", "--theme", "neon"],
        vec!["run", "day.toml", "--yes", "--theme", "neon"],
        vec!["run", "day.toml", "--dry-run", "--theme", "neon"],
        vec!["attach", "--theme", "neon"],
        vec!["watch", "--theme", "neon"],
        vec!["replay", "some-run", "--theme", "neon"],
    ] {
        let ran = s.tminus().args(&args).stdin(GO).output();
        assert_eq!(ran.code, 2, "{args:?}: {}{}", ran.stdout, ran.stderr);
        assert_eq!(ran.stderr.trim().lines().count(), 1, "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains("neon"), "{args:?}: {}", ran.stderr);
    }
    assert!(!s.journal().exists(), "nothing ran, so no journal was made");
}

#[test]
fn reading_an_empty_folder_says_there_is_no_journal_and_makes_none() {
    let s = Sandbox::new();
    for args in [
        vec!["runs"],
        vec!["report"],
        vec!["report", "--format", "json"],
        vec!["verify"],
        vec!["watch"],
        vec!["replay", "some-run"],
    ] {
        let ran = s.tminus().args(&args).output();
        assert_eq!(ran.code, 2, "{args:?}: {}{}", ran.stdout, ran.stderr);
        assert!(ran.stderr.starts_with("no journal at "), "{args:?}: {}", ran.stderr);
        assert_eq!(ran.stderr.trim().lines().count(), 1, "{args:?}: {}", ran.stderr);
    }
    let names: Vec<_> = std::fs::read_dir(s.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(names.is_empty(), "reading made {names:?}");
}

#[test]
fn the_report_names_each_decision_and_tells_a_rollback_from_a_failure() {
    let s = Sandbox::new();
    s.write("day.toml", DAY);
    assert_eq!(s.run("day.toml", GO, &[]).code, 0, "a recommended step's failure only warns");
    let md = s.report_md();
    let row =
        |id: &str| md.lines().find(|l| l.contains(&format!("`{id}` |"))).unwrap_or_default().to_string();
    assert!(row("backup").contains("ticked by ops-lead"), "{md}");
    assert!(row("go").contains("signed as Technical Lead by Dana (recorded by ops-lead)"), "{md}");
    assert!(row("go").contains("signed as QA Reviewer by Sam"), "{md}");
    assert!(row("go").contains("GO by ops-lead"), "{md}");
    assert!(row("deploy").contains("confirmed by ops-lead"), "{md}");
    // The failed step's last lines end with why it failed.
    let failed = md.split("## Failed steps").nth(1).expect("a failed-steps section");
    assert!(failed.contains("notes: mirror unreachable"), "{failed}");
    assert!(failed.contains("→ failed: exit code 3 (expected 0)"), "{failed}");

    // A rollback from a monitor's prompt: the monitor was ended by it, not failed.
    let s = Sandbox::new();
    s.write("seed.sql", "CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);");
    s.write(
        "watch.toml",
        &format!(
            "{DAY}\n  [[phase.step]]\n  id = \"seed\"\n  run = '\"$TMINUS\" example-api load-db --sql seed.sql --db seed.db'\n\n\
             [[phase]]\nid = \"verify\"\n  [[phase.step]]\n  id = \"rows\"\n  sql = {{ url = \"sqlite://seed.db\", query = \"SELECT COUNT(*) FROM t\", expect = \"= 1\" }}\n\n\
             \x20 [[phase.step]]\n  id = \"watch\"\n  monitor = {{ every = \"100ms\", for = \"30s\", steps = [\"rows\"] }}\n"
        ),
    );
    let ran = s.run("watch.toml", &format!("{GO}rollback error rate climbing\n"), &[]);
    assert_eq!(ran.code, 3, "{}{}", ran.stdout, ran.stderr);
    let md = s.report_md();
    let row =
        |id: &str| md.lines().find(|l| l.contains(&format!("`{id}` |"))).unwrap_or_default().to_string();
    assert!(row("watch").contains("| ended by the rollback |"), "{md}");
    assert!(row("watch").contains("rollback by ops-lead"), "{md}");
    let failed = md.split("## Failed steps").nth(1).unwrap_or_default();
    assert!(!failed.contains("`watch`"), "a step the rollback ended is no failure: {md}");
    assert!(!md.contains("(no output)"), "{md}");
    let rollback = md.split("## Rollback").nth(1).unwrap();
    let undone = rollback.split("Undone, newest first:").nth(1).expect("what was undone");
    assert!(undone.contains("`deploy`: undo passed"), "{rollback}");
    let kept = rollback.split("Could not be undone:").nth(1).expect("what could not be undone");
    assert!(kept.contains("`flags`: **NOT UNDONE** — irreversible"), "{rollback}");
    assert!(rollback.contains("other finished steps had nothing to undo."), "{rollback}");
    assert!(!rollback.contains(": nothing to undo"), "{rollback}");
    // One row per figure of each step.
    let criteria = md.split("## Success criteria").nth(1).unwrap().split("\n\n## ").next().unwrap();
    let rows: Vec<&str> = criteria.lines().filter(|l| l.starts_with("| ") && l.contains('`')).collect();
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        let cells: Vec<&str> = r.split(" | ").take(2).collect();
        assert!(seen.insert(cells.clone()), "{cells:?} twice: {criteria}");
    }
}

#[test]
fn the_report_is_written_as_the_run_ends_without_any_screen() {
    let s = Sandbox::new();
    s.write("quick.toml", "[runbook]\nname = \"quick\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"echo done\"\n");
    // The conductor on its own, as `tminus run` starts it in a terminal: nobody attaches.
    let ran = s.tminus().args(["conduct", "quick.toml", "--operator", "ops-lead"]).output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let written: Vec<_> = std::fs::read_dir(s.path().join("reports")).unwrap().flatten().collect();
    assert_eq!(written.len(), 1);
    let md = std::fs::read_to_string(written[0].path()).unwrap();
    assert!(md.contains("**SUCCEEDED** (exit 0)"), "{md}");
}

#[test]
fn the_demo_stand_in_stops_with_a_run_that_ends_in_no_go() {
    let s = Sandbox::new();
    // Backup, two sign-offs, then NO-GO at the gate: the stand-in API was started before it.
    let ran = demo(&s, "y\ny\ny\nn batch 1 regression\n", &[]);
    assert_eq!(ran.code, 4, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("stops when run"), "{}", ran.stdout);
    let pidfile = s.path().join("demo-stand-ins/api.pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    while pidfile.exists() {
        assert!(
            Instant::now() < deadline,
            "the stand-in outlived its run: {}",
            s.read("demo-stand-ins/api.log")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        s.read("demo-stand-ins/api.log").contains("stopping: run "),
        "{}",
        s.read("demo-stand-ins/api.log")
    );
}

#[test]
fn rehearsal_stand_ins_default_to_ports_of_their_own() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks");
    let mut ports = std::collections::HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let vars =
            text.lines().filter(|l| l.split('=').next().is_some_and(|name| name.trim().ends_with("PORT")));
        for line in vars {
            let port = line.split("default = \"").nth(1).unwrap().split('"').next().unwrap().to_string();
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(other) = ports.insert(port.clone(), name.clone()) {
                panic!("{name} and {other} both default to port {port}");
            }
        }
    }
    assert!(ports.len() >= 5, "{ports:?}");
}

#[test]
fn the_readme_opens_with_the_demo_and_the_tests_and_links_only_what_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let first_block: Vec<&str> =
        readme.split("```sh\n").nth(1).unwrap().split("```").next().unwrap().lines().collect();
    assert_eq!(first_block[0], "cargo run --release -- run runbooks/demo.toml");
    assert!(first_block[1].ends_with("cargo test"), "{first_block:?}");
    assert!(first_block[1].contains("TMINUS_TEST_POSTGRES_URL="), "{first_block:?}");
    for link in readme.split("](").skip(1).map(|rest| rest.split(')').next().unwrap()) {
        if !link.contains("://") && !link.starts_with('#') {
            assert!(root.join(link).exists(), "README links {link}, which does not exist");
        }
    }
    // The capture is of the demo at its gate.
    let screen = std::fs::read_to_string(root.join("assets/screen.txt")).unwrap();
    assert!(screen.contains("Demo: orders-api release") && screen.contains("┌ GO / NO-GO"), "{screen}");
}
