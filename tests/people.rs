//! People acting from their own terminals over the conductor's socket: the OS account the
//! socket proves is who they are, and the runbook's `[roles]` say what that account may do.

mod support;

use support::{Lead, Sandbox, step};

fn day(me: &str) -> String {
    format!(
        r#"
[runbook]
name = "signed day"
[roles]
"QA Reviewer" = {{ people = ["{me}"] }}
"Technical Lead" = {{ people = ["someone-else"], may = ["drive"] }}
[[phase]]
id = "p"
  [[phase.step]]
  id = "deploy"
  run = "echo deployed"
  undo = "echo undone > undone"
  [[phase.step]]
  id = "go"
  gate = "GO for the day?"
  signoff = ["QA Reviewer", "Technical Lead"]
"#
    )
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap().name
}

#[test]
fn a_signer_signs_from_their_own_terminal_and_a_role_they_lack_is_refused() {
    let s = Sandbox::new();
    s.write("day.toml", &day(&me()));
    let mut lead = Lead::start(&s, s.journal().to_str().unwrap(), "", "who approves as QA Reviewer");

    let signed = s.tminus().args(["sign", "--go", "--operator", "Thandi"]).output();
    assert_eq!(signed.code, 0, "{}{}", signed.stdout, signed.stderr);
    assert!(signed.stdout.contains("GO for the day?"), "the gate is shown first: {}", signed.stdout);
    assert!(signed.stdout.contains("deploy"), "with the results it has seen: {}", signed.stdout);
    assert!(signed.stdout.contains("signed as QA Reviewer: Thandi for go"), "{}", signed.stdout);

    // The next role is someone else's: refused, journaled, and nothing signed.
    let refused = s.tminus().args(["sign", "--go", "--operator", "Thandi"]).output();
    assert_eq!(refused.code, 5, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("is not among the people of Technical Lead (someone-else)"),
        "{}",
        refused.stderr
    );

    // The lead may always roll back.
    let pulled =
        s.tminus().args(["rollback", "--reason", "the QA window closed", "--operator", "Kabelo"]).output();
    assert_eq!(pulled.code, 0, "{}{}", pulled.stdout, pulled.stderr);
    drop(lead.child.stdin.take());
    assert_eq!(lead.child.wait().unwrap().code(), Some(3), "the lead's run rolled back");
    assert_eq!(s.read("undone"), "undone\n");

    let report = s.report_json();
    let decision = &step(&report, "go")["decisions"][0];
    assert_eq!(decision["who"], "Thandi");
    assert_eq!(decision["login"], me().as_str());
    assert_eq!(report["state"]["refused"][0]["what"], "sign as Technical Lead");
    assert_eq!(report["state"]["rollback"]["requested_by"], "Kabelo");
    let md = s.report_md();
    assert!(md.contains(&format!("QA Reviewer: **Thandi** ({}, signed in person)", me())), "{md}");
    assert!(md.contains("may not sign as Technical Lead: "), "{md}");
}

#[test]
fn sign_says_when_no_sign_off_waits() {
    let s = Sandbox::new();
    s.write("day.toml", &day(&me()).replace("  signoff = [\"QA Reviewer\", \"Technical Lead\"]\n", ""));
    let mut lead = Lead::start(&s, s.journal().to_str().unwrap(), "", "? go:");
    let ran = s.tminus().args(["sign", "--go"]).output();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("waits on no sign-off now (it waits on GO / NO-GO)"), "{}", ran.stderr);
    drop(lead.child.stdin.take());
    let _ = lead.child.wait();
}
