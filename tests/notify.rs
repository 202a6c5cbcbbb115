//! `[[notify]]`: the team's channel hears of gates, failures and rollbacks, from a webhook
//! receiver started here; a receiver that fails or hangs costs the run nothing.

mod support;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use support::Sandbox;
use support::hook::{Answer, Hook};

const TOKEN: &str = "tok-5ecret-value-77";
const KEY: &str = "hmac-key-9f1";

/// A sign-off gate, a deploy that fails (printing a secret) and a rollback.
fn runbook(json: &str, slack: &str) -> String {
    format!(
        r#"[runbook]
name = "Batch 2 rollout"

[vars]
TOKEN = {{ env = "DEPLOY_TOKEN", secret = true }}
KEY = {{ env = "HOOK_KEY", secret = true }}

[[notify]]
url = "{json}"
format = "json"
secret = "${{KEY}}"
timeout = "2s"

[[notify]]
url = "{slack}"
format = "slack"
on = ["gate", "failed", "rollback"]

[[phase]]
id = "p"
title = "Deploy"
  [[phase.step]]
  id = "go"
  gate = "GO / NO-GO for Batch 2"
  signoff = ["QA Reviewer"]

  [[phase.step]]
  id = "deploy"
  title = "Production deployment"
  run = "echo deploying with $TOKEN; exit 3"

[rollback]
  [[rollback.step]]
  run = "true"
"#
    )
}

fn run(s: &Sandbox, stdin: &str, extra: &[&str]) -> support::Ran {
    s.tminus()
        .env("DEPLOY_TOKEN", TOKEN)
        .env("HOOK_KEY", KEY)
        .args(["run", "rb.toml", "--headless", "--operator", "naledi"])
        .args(extra)
        .stdin(stdin)
        .output()
}

#[test]
fn a_gate_a_failure_and_a_rollback_reach_the_channel_signed_and_masked() {
    let hook = Hook::start(Answer::Ok);
    let s = Sandbox::new();
    s.write("rb.toml", &runbook(&format!("{}/json", hook.url()), &format!("{}/slack", hook.url())));
    let ran = run(&s, "y thandi\ny\nrollback\n", &[]);
    assert_eq!(ran.code, 3, "rolled back; stdout:\n{}\nstderr:\n{}", ran.stdout, ran.stderr);

    let json = hook.on("/json");
    let kinds: Vec<String> = json.iter().map(|r| r.json()["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        kinds,
        ["started", "gate", "gate", "gate", "gate", "failed", "rollback", "rollback", "finished"],
        "{json:#?}"
    );
    for request in &json {
        // The signature is the HMAC of the very bytes sent.
        let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
        mac.update(&request.body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(request.header("X-Tminus-Signature"), Some(expected.as_str()));
        let body = request.json();
        for field in ["run_id", "runbook", "kind", "text", "time"] {
            assert!(body[field].is_string(), "{field} in {body}");
        }
        assert_eq!(body["runbook"], "Batch 2 rollout");
    }
    let texts: Vec<String> = json.iter().map(|r| r.json()["text"].as_str().unwrap().to_string()).collect();
    let run_id = json[0].json()["run_id"].as_str().unwrap().to_string();
    assert!(
        texts[1]
            .starts_with("Batch 2 rollout · GO / NO-GO for Batch 2 waits for the QA Reviewer to sign off · ")
    );
    assert!(texts[1].ends_with(&format!(" · tminus sign {run_id}")), "{}", texts[1]);
    assert!(texts[5].contains("“Production deployment” failed (exit 3)"), "{}", texts[5]);
    assert_eq!(json[5].json()["step"], "deploy");
    assert!(texts[6].contains("ROLLBACK started by naledi"), "{}", texts[6]);
    assert!(texts[8].contains(&format!("tminus report {run_id} · head ")), "{}", texts[8]);
    // Each notification after a signed head carries it: a witness of the journal as it was.
    let head = json[8].json()["head"].as_str().unwrap().to_string();
    assert!(texts[8].ends_with(&head), "{}", texts[8]);
    let verified = s.tminus().args(["verify", "--witness", &head]).output();
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);

    // Slack hears only what it asked for, as a channel message.
    let slack: Vec<serde_json::Value> = hook.on("/slack").iter().map(|r| r.json()).collect();
    assert_eq!(slack.len(), 7, "{slack:#?}");
    for body in &slack {
        assert_eq!(body.as_object().unwrap().len(), 1);
        assert!(body["text"].as_str().unwrap().starts_with("Batch 2 rollout · "));
    }
    assert!(slack.iter().any(|b| b["text"].as_str().unwrap().contains("failed (exit 3)")));
    assert!(hook.on("/slack").iter().all(|r| r.header("X-Tminus-Signature").is_none()));

    // No secret in any body.
    for request in hook.requests() {
        let body = String::from_utf8_lossy(&request.body);
        assert!(!body.contains(TOKEN) && !body.contains(KEY), "a secret in {body}");
    }

    // Every delivery is journaled, and the report and the log say so.
    let report = s.report_json();
    let notified = report["state"]["notified"].as_array().unwrap();
    assert_eq!(notified.len(), 16, "{notified:#?}");
    assert!(notified.iter().all(|n| n["delivered"] == true));
    let md = s.report_md();
    assert!(md.contains("told: gate"), "{md}");
}

#[test]
fn a_receiver_that_hangs_or_fails_costs_the_run_nothing() {
    let hang = Hook::start(Answer::Hang);
    let fail = Hook::start(Answer::Fail);
    let s = Sandbox::new();
    s.write(
        "rb.toml",
        &format!(
            r#"[runbook]
name = "quiet"

[[notify]]
name = "silent"
url = "{}/hook"
format = "json"
timeout = "1s"

[[notify]]
name = "broken"
url = "{}/hook"
on = ["finished"]

[[notify]]
name = "nobody"
url = "http://127.0.0.1:1/hook"
on = ["finished"]

[[phase]]
id = "p"
  [[phase.step]]
  id = "a"
  run = "echo hello"
"#,
            hang.url(),
            fail.url()
        ),
    );
    // The run ends and its process exits while the receiver still holds every request open.
    let ran = run(&s, "", &["--yes"]);
    assert_eq!(ran.code, 0, "stdout:\n{}\nstderr:\n{}", ran.stdout, ran.stderr);
    assert!(!hang.requests().is_empty(), "the hanging receiver was asked");

    let report = s.report_json();
    assert_eq!(report["state"]["outcome"], "succeeded");
    let notified = report["state"]["notified"].as_array().unwrap();
    let of = |who: &str| notified.iter().filter(|n| n["receiver"] == who).collect::<Vec<_>>();
    assert!(of("silent").iter().all(|n| n["delivered"] == false), "{notified:#?}");
    assert!(of("silent").iter().any(|n| n["notice"] == "finished"), "{notified:#?}");
    let broken = of("broken");
    assert_eq!(broken.len(), 1, "{notified:#?}");
    assert!(broken[0]["error"].as_str().unwrap().contains("HTTP 500"), "{broken:#?}");
    assert_eq!(fail.requests().len(), 3, "tried three times");
    let nobody = of("nobody");
    assert_eq!(nobody.len(), 1, "{notified:#?}");
    assert_eq!(nobody[0]["delivered"], false);
    // What was journaled after the run's end is the conductor's own: the chain holds.
    let verified = s.tminus().args(["verify"]).output();
    assert_eq!(verified.code, 0, "{}", verified.stdout);
    assert!(verified.stdout.contains("chain verified"), "{}", verified.stdout);
}

#[test]
fn a_dry_run_tells_nobody_unless_asked() {
    let hook = Hook::start(Answer::Ok);
    let s = Sandbox::new();
    let rb = format!(
        "[runbook]\nname = \"dry\"\n[[notify]]\nurl = \"{}/hook\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n",
        hook.url()
    );
    s.write("rb.toml", &rb);
    assert_eq!(run(&s, "", &["--yes", "--dry-run"]).code, 0);
    assert!(hook.requests().is_empty());
    assert_eq!(run(&s, "", &["--yes", "--dry-run", "--notify", "--new"]).code, 0);
    let texts: Vec<String> =
        hook.requests().iter().map(|r| r.json()["text"].as_str().unwrap().to_string()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].contains("started (dry run) by naledi"), "{texts:?}");
}

#[test]
fn check_names_each_bad_notify_entry_where_it_stands() {
    let cases: &[(&str, &str, usize)] = &[
        ("on = [\"started\", \"lunch\"]", "`on` names \"lunch\", which is nothing to notify of", 5),
        ("format = \"teams\"", "`format` = \"teams\" is not a notify format", 5),
        ("waiting_after = \"soon\"", "bad duration for `waiting_after`", 5),
        ("colour = \"red\"", "unknown key `colour`", 5),
    ];
    for (line, message, at) in cases {
        let s = Sandbox::new();
        let rb = format!(
            "[runbook]\nname = \"t\"\n[[notify]]\nurl = \"https://hooks.example.com/x\"\n{line}\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n"
        );
        s.write("bad.toml", &rb);
        let ran = s.tminus().args(["check", "bad.toml"]).output();
        assert_eq!(ran.code, 2, "{line}: {}", ran.stderr);
        assert!(ran.stderr.contains(message), "{line}: wanted {message:?} in\n{}", ran.stderr);
        assert!(ran.stderr.contains(&format!("bad.toml:{at}:")), "{line}: line {at} in\n{}", ran.stderr);
    }
    let s = Sandbox::new();
    s.write(
        "bad.toml",
        "[runbook]\nname = \"t\"\n[[notify]]\nurl = \"ftp://example.com\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n",
    );
    let ran = s.tminus().args(["check", "bad.toml"]).output();
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("is not an http or https URL") && ran.stderr.contains("bad.toml:4:"),
        "{}",
        ran.stderr
    );
}
