//! `tminus check` and `tminus plan` on real runbook files.

mod support;

use support::Sandbox;

const HEAD: &str = "[runbook]\nname = \"t\"\n\n";

/// Each kind of bad runbook exits 2 and names the line where the problem stands.
#[test]
fn every_kind_of_bad_runbook_names_its_line() {
    let cases: &[(&str, &str, &str, usize)] = &[
        ("syntax", "[[phase]]\nid = \"p\"\n  [[phase.step]\n", "TOML syntax", 6),
        (
            "unknown key",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  colour = \"red\"\n",
            "unknown key `colour`",
            9,
        ),
        (
            "wrong type",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  critical = \"yes\"\n",
            "must be true or false",
            9,
        ),
        (
            "two kinds",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  manual = \"tick\"\n",
            "has two kinds",
            9,
        ),
        (
            "no kind",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  title = \"x\"\n  doc = \"nothing\"\n",
            "has no kind",
            7,
        ),
        (
            "duplicate id",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  [[phase.step]]\n  id = \"a\"\n",
            "duplicate step id `a`",
            10,
        ),
        (
            "undefined var",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  title = \"${NOPE}\"\n",
            "undefined variable `${NOPE}`",
            9,
        ),
        (
            "bad duration",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  timeout = \"5 parsecs\"\n",
            "bad duration",
            9,
        ),
        (
            "zero timeout",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  timeout = \"0s\"\n",
            "`timeout` in a step must be longer than zero",
            9,
        ),
        (
            "samples past any count",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  http = { url = \"http://x/\", samples = 9223372036854775807 }\n",
            "must be at most 4294967295, found 9223372036854775807",
            8,
        ),
        (
            "missing env",
            "[vars]\nX = { env = \"TMINUS_TEST_UNSET_VAR\" }\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n",
            "is not set and `X` has no default",
            5,
        ),
        (
            "gate in rollback",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n[rollback]\n  [[rollback.step]]\n  gate = \"GO?\"\n",
            "a gate step cannot be part of [rollback]",
            11,
        ),
        (
            "sign-off role not in [roles]",
            "[roles]\n\"QA Reviewer\" = { people = [\"thandi\"] }\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"go\"\n  gate = \"GO?\"\n  signoff = [\"QA Lead\"]\n",
            "sign-off role \"QA Lead\" is not in [roles]",
            11,
        ),
        (
            "unknown may",
            "[roles]\n\"Ops\" = { people = [\"kabelo\"], may = [\"deploy\"] }\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n",
            "unknown `may` value \"deploy\" for role \"Ops\"",
            5,
        ),
        (
            "role without people",
            "[roles]\n\"Ops\" = { people = [], may = [\"rollback\"] }\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n",
            "role \"Ops\" has no people",
            5,
        ),
        (
            "unknown monitor step",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  monitor = { every = \"1s\", for = \"1m\", steps = [\"ghost\"] }\n",
            "ghost",
            9,
        ),
        (
            "too many samples",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"h\"\n  http = { url = \"http://x\", samples = 4294967295 }\n",
            "`samples` = 4294967295 is more than 10000",
            8,
        ),
        (
            "too much concurrency",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"h\"\n  http = { url = \"http://x\", concurrency = 5000 }\n",
            "`concurrency` = 5000 is more than 100",
            8,
        ),
        (
            "too long a timeout",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n  timeout = \"30d\"\n",
            "`30d` is more than 7 days",
            9,
        ),
        (
            "infinite limit",
            "[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"h\"\n  http = { url = \"http://x\", p95_ms = inf }\n",
            "must be a finite number, found inf",
            8,
        ),
    ];
    for (what, body, message, line) in cases {
        let sandbox = Sandbox::new();
        let text = format!("{HEAD}{body}");
        sandbox.write("bad.toml", &text);
        let ran = sandbox.tminus().args(["check", "bad.toml"]).output();
        assert_eq!(ran.code, 2, "{what}: exit code; stderr: {}", ran.stderr);
        assert!(ran.stderr.contains(message), "{what}: wanted {message:?} in:\n{}", ran.stderr);
        let at = format!("bad.toml:{line}:");
        assert!(ran.stderr.contains(&at), "{what}: wanted {at} in:\n{}", ran.stderr);
    }
}

#[test]
fn every_problem_is_reported_at_once_and_nothing_runs() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "bad.toml",
        "[runbook]\nname = \"t\"\nfoo = 1\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"touch ran\"\n  timeout = \"soon\"\n",
    );
    let ran = sandbox.tminus().args(["check", "bad.toml"]).output();
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("bad.toml:3:1"), "{}", ran.stderr);
    assert!(ran.stderr.contains("bad.toml:9:13"), "{}", ran.stderr);
    assert!(ran.stderr.contains("2 problems found"), "{}", ran.stderr);

    let ran = sandbox.run("bad.toml", "", &["--yes"]);
    assert_eq!(ran.code, 2);
    assert!(!sandbox.path().join("ran").exists(), "a step of an invalid runbook ran");
    assert!(!sandbox.journal().exists(), "an invalid runbook opened a journal");
}

#[test]
fn plan_prints_clock_times_from_start_and_at() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "day.toml",
        r#"[runbook]
name = "Batch 2 rollout"
start = "2025-11-27T09:00:00+02:00"

[[phase]]
id = "pre"
title = "Pre-deployment"
at = "-15m"
budget = "15m"
  [[phase.step]]
  id = "preflight"
  run = "true"
  [[phase.step]]
  id = "go"
  gate = "GO / NO-GO"

[[phase]]
id = "deploy"
title = "Deployment"
at = "0m"
  [[phase.step]]
  id = "deploy"
  run = "true"
  confirm = true
  undo = "true"
"#,
    );
    let ran = sandbox.tminus().args(["plan", "day.toml"]).output();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains("08:45  Pre-deployment (pre)  T-15m, budget 15m"), "{}", ran.stdout);
    assert!(ran.stdout.contains("09:00  Deployment (deploy)"), "{}", ran.stdout);
    assert!(ran.stdout.contains("gate"), "{}", ran.stdout);
    assert!(ran.stdout.contains("[confirm, undo]"), "{}", ran.stdout);
}

#[test]
fn plan_dates_the_phases_of_a_runbook_over_more_than_one_day() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "day.toml",
        "[runbook]\nname = \"two days\"\nstart = \"2025-11-27T09:00:00+02:00\"\n[[phase]]\nid = \"deploy\"\n\
         at = \"0m\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n[[phase]]\nid = \"after\"\nat = \"24h30m\"\n\
           [[phase.step]]\n  id = \"b\"\n  run = \"true\"\n",
    );
    let ran = sandbox.tminus().args(["plan", "day.toml"]).output();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains("T-0 2025-11-27 09:00 +02:00"), "{}", ran.stdout);
    assert!(ran.stdout.contains("Thu 27 Nov 09:00  deploy (deploy)"), "{}", ran.stdout);
    assert!(ran.stdout.contains("Fri 28 Nov 09:30  after (after)"), "{}", ran.stdout);
}

#[test]
fn the_shipped_runbooks_are_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/runbooks"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "demo plus one runbook per seed document");
    let sandbox = Sandbox::new();
    let ran = sandbox.tminus().arg_paths(&files).output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
}

/// Each variable twice the one before: the string grows past 1 MiB at the twentieth and is
/// refused there, before it takes memory; forty levels would be a terabyte.
#[test]
fn a_variable_that_doubles_forty_times_is_refused_where_it_outgrows_the_limit() {
    let mut text = String::from("[runbook]\nname = \"t\"\n[vars]\nv0 = \"xx\"\n");
    for i in 1..=40 {
        text.push_str(&format!("v{i} = \"${{v{}}}${{v{}}}\"\n", i - 1, i - 1));
    }
    text.push_str("[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n");
    let sandbox = Sandbox::new();
    sandbox.write("double.toml", &text);
    let ran = sandbox.tminus().args(["check", "double.toml"]).output();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let refused = "double.toml:24:7: \"${v19}${v19}\" is more than 1 MiB once its variables are filled in";
    assert!(ran.stderr.contains(refused), "{}", ran.stderr);
    assert!(ran.stderr.contains("1 problem found"), "{}", ran.stderr);
}

/// A file of problems is answered with the first two hundred, short lines and no raw control
/// characters, however long its lines and however many its problems.
#[test]
fn a_hostile_file_gets_a_bounded_answer() {
    let sandbox = Sandbox::new();
    let many: String = (0..80_000).map(|i| format!("k{i} = 1\n")).collect();
    sandbox.write("many.toml", &many);
    sandbox.write("wide.toml", &format!("x = \"{}\"\n", "\u{1}\u{1b}[2J\u{202e}".repeat(20_000)));
    std::fs::write(sandbox.path().join("binary.toml"), b"name = 1\n\xff\xfe\x00garbage").unwrap();
    for (file, at) in
        [("many.toml", "many.toml:1:1"), ("wide.toml", "wide.toml:1:6"), ("binary.toml", "binary.toml:2:1")]
    {
        let ran = sandbox.tminus().args(["check", file]).output();
        assert_eq!(ran.code, 2, "{file}: {}", ran.stderr);
        assert!(ran.stderr.contains(at), "{file}: {}", ran.stderr);
        assert!(ran.stderr.ends_with(" found; nothing was run\n"), "{file}: {}", ran.stderr);
        assert!(ran.stderr.lines().count() <= 200 * 8 + 2, "{file}: {} lines", ran.stderr.lines().count());
        assert!(ran.stderr.lines().all(|l| l.chars().count() < 300), "{file}: a line is too long");
        assert!(!ran.stderr.contains(['\u{1}', '\u{1b}', '\u{202e}']), "{file}: raw control characters");
    }
    let ran = sandbox.tminus().args(["check", "many.toml"]).output();
    assert!(ran.stderr.contains("… and 79801 more problems\n"), "{}", ran.stderr);
    assert!(ran.stderr.ends_with("80001 problems found; nothing was run\n"), "{}", ran.stderr);
}
