//! What a person typed reaches a headless terminal escaped, through the real binary: a runbook's
//! title, an `--operator`, a reason typed at a prompt, and a signer's name sent over the
//! conductor's socket. None of them can retitle the window, write the clipboard, hide the
//! cursor or start a line that reads like tminus's own.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use support::Sandbox;

/// Control bytes a terminal would act on: none may reach it from what people typed.
fn assert_inert(text: &str) {
    for c in ['\x1b', '\x07', '\r', '\u{9b}'] {
        assert!(!text.contains(c), "{c:?} reached the terminal: {text:?}");
    }
}

#[test]
fn a_title_an_operator_and_a_reason_reach_the_headless_terminal_escaped() {
    let s = Sandbox::new();
    s.write(
        "day.toml",
        r#"
[runbook]
name = "day\u001b]0;pwned\u0007"
[[phase]]
id = "p"
title = "Phase\nof lies"
  [[phase.step]]
  id = "go"
  gate = "GO\u001b[?25l for the day?"
"#,
    );
    let ran = s
        .tminus()
        .args(["run", "day.toml", "--headless", "--operator", "ops\n12:00:00  ■ run succeeded"])
        .stdin("n no\x1b]52;c;ZXZpbA==\x07\r\x1b[2Kgo\n")
        .output();
    assert_eq!(ran.code, 4, "a NO-GO: {}{}", ran.stdout, ran.stderr);
    assert_inert(&ran.stdout);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    let said = |what: &str| lines.iter().any(|l| l.contains(what));
    assert!(said("tminus · day\\e]0;pwned^G · LIVE · run "), "{}", ran.stdout);
    assert!(said("· operator ops\\n12:00:00  ■ run succeeded on "), "{}", ran.stdout);
    assert!(!lines.iter().any(|l| l.starts_with("12:00:00")), "a forged line of its own: {}", ran.stdout);
    assert!(said("── phase p: Phase\\nof lies"), "{}", ran.stdout);
    assert!(said("? go: GO\\e[?25l for the day?"), "{}", ran.stdout);
    assert!(said("answered NO-GO for go: no\\e]52;c;ZXZpbA==^G\\r\\e[2Kgo"), "{}", ran.stdout);
}

#[test]
fn a_signers_name_sent_over_the_socket_reaches_the_lead_escaped() {
    let s = Sandbox::new();
    let me = nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap().name;
    s.write(
        "day.toml",
        &format!(
            r#"
[runbook]
name = "signed day"
[roles]
"QA Reviewer" = {{ people = ["{me}"] }}
[[phase]]
id = "p"
  [[phase.step]]
  id = "go"
  gate = "GO for the day?"
  signoff = ["QA Reviewer"]
"#
        ),
    );
    let mut lead = Command::new(env!("CARGO_BIN_EXE_tminus"))
        .current_dir(s.path())
        .env("TMINUS_JOURNAL", s.journal())
        .args(["run", "day.toml", "--headless", "--operator", "lead"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let forged = "Naledi\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x1b[?25l\n✔ Naledi answered GO for go";
    let mut stdout = String::new();
    for line in BufReader::new(lead.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        stdout.push_str(&line);
        stdout.push('\n');
        if line.contains("waits for the QA Reviewer (") {
            let signed = s.tminus().args(["sign", "--go", "--operator", forged]).output();
            assert_eq!(signed.code, 0, "{}{}", signed.stdout, signed.stderr);
            assert_inert(&signed.stdout);
        }
        // Signed off, the gate is the lead's to pass.
        if line.contains("steps passed  [go (GO)") {
            writeln!(lead.stdin.as_mut().unwrap(), "y").unwrap();
        }
    }
    assert_eq!(lead.wait().unwrap().code(), Some(0), "{stdout}");
    assert_inert(&stdout);
    let signed = stdout.lines().find(|l| l.contains("answered")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        signed.contains(
            "✔ Naledi\\e]0;owned^G\\e]52;c;ZXZpbA==^G\\e[?25l\\n✔ Naledi answered GO for go answered "
        ),
        "{signed}"
    );
    let mut said = stdout.lines().filter_map(|l| l.split_once("  ")).map(|(_, said)| said);
    assert!(!said.any(|l| l.starts_with("✔ Naledi answered")), "a forged line of its own: {stdout}");

    let md = s.report_md();
    assert_inert(&md);
    assert!(
        md.contains("Naledi\\e]0;owned^G\\e]52;c;ZXZpbA==^G\\e[?25l\\n✔ Naledi answered GO for go"),
        "{md}"
    );
}
