use super::*;
use crate::journal::{Decision, Mode, Outcome, PlannedStep, Prompt, Role, RunInfo, RunOutcome, StepType};

fn event(seq: i64, step: Option<&str>, kind: EventKind) -> Event {
    let at = chrono::DateTime::parse_from_rfc3339("2025-11-27T07:02:00Z").unwrap().with_timezone(&Utc);
    Event { run_id: "r1".into(), seq, at, step: step.map(Into::into), kind, data: Vec::new() }
}

/// A run of "Batch 2 rollout" with T-0 at 09:00 +02:00: a deploy step and a gate.
fn run() -> RunState {
    let mut info = RunInfo::of_steps(vec![
        PlannedStep::plain("deploy", "Production deployment", StepType::Run, "deploy.sh"),
        PlannedStep::plain("go", "GO", StepType::Gate, "GO / NO-GO for Batch 2"),
    ]);
    info.runbook = "Batch 2 rollout".into();
    info.operator = "naledi".into();
    info.start = Some(chrono::DateTime::parse_from_rfc3339("2025-11-27T09:00:00+02:00").unwrap());
    let mut state = RunState::default();
    state.apply(&event(1, None, EventKind::RunStarted(Box::new(info))));
    state
}

fn told(state: &mut RunState, e: Event) -> Option<String> {
    let said = news(&e, state).map(|m| m.text(state));
    state.apply(&e);
    said
}

#[test]
fn a_handover_is_news_and_a_sign_off_names_who_may_sign() {
    let mut state = run();
    let roles = crate::runbook::Roles(vec![crate::runbook::Role {
        name: "QA Reviewer".into(),
        people: vec!["thandi".into(), "sipho".into()],
        may: Vec::new(),
    }]);
    state.info.as_mut().unwrap().roles = roles;
    let signoff = Prompt::Signoff { role: "QA Reviewer".into() };
    let asked =
        event(2, Some("go"), EventKind::ConfirmationRequested { prompt: signoff, text: "who?".into() });
    let said = told(&mut state, asked).unwrap();
    assert!(said.contains("waits for the QA Reviewer (thandi, sipho) to sign off"), "{said}");
    let handover = EventKind::Handover {
        from: "naledi".into(),
        from_login: "naledi".into(),
        to: "Sipho".into(),
        to_login: "sipho".into(),
    };
    let said = told(&mut state, event(3, None, handover)).unwrap();
    assert!(said.contains("Sipho (sipho) took over the lead from naledi"), "{said}");
}

#[test]
fn a_gate_waiting_for_a_role_reads_like_a_person_wrote_it() {
    let mut state = run();
    let signoff = Prompt::Signoff { role: "QA Reviewer".into() };
    let asked =
        event(2, Some("go"), EventKind::ConfirmationRequested { prompt: signoff, text: "who?".into() });
    assert_eq!(
        told(&mut state, asked).unwrap(),
        "Batch 2 rollout · GO / NO-GO for Batch 2 waits for the QA Reviewer to sign off · T+00:02 · tminus sign r1"
    );
    let no_go = EventKind::Decided {
        who: "naledi".into(),
        login: None,
        decision: Decision::NoGo,
        reason: Some("p95 too high".into()),
        auto: false,
    };
    assert_eq!(
        told(&mut state, event(3, Some("go"), no_go)).unwrap(),
        "Batch 2 rollout · GO / NO-GO for Batch 2: NO-GO from naledi: p95 too high · T+00:02 · tminus attach r1"
    );
}

#[test]
fn failures_rollbacks_and_the_end_are_news_and_the_rest_is_not() {
    let mut state = run();
    let started = EventKind::StepStarted { attempt: 1, role: Role::Main, command: None };
    assert_eq!(told(&mut state, event(2, Some("deploy"), started)), None);
    let failed = EventKind::StepFinished {
        attempt: 1,
        role: Role::Main,
        outcome: Outcome::Failed,
        exit_code: Some(3),
        duration_ms: 10,
        message: Some("exit 3, expected 0".into()),
        metrics: Vec::new(),
    };
    assert!(
        told(&mut state, event(3, Some("deploy"), failed))
            .unwrap()
            .contains("· “Production deployment” failed (exit 3): exit 3, expected 0 · T+00:02 ·")
    );
    let asked = EventKind::RollbackRequested {
        who: "naledi".into(),
        login: None,
        reason: Some("smoke failed".into()),
    };
    assert_eq!(told(&mut state, event(4, None, asked)), None);
    let rollback =
        EventKind::RollbackStarted { undo: vec!["deploy".into()], irreversible: vec![], no_undo: vec![] };
    assert!(
        told(&mut state, event(5, None, rollback))
            .unwrap()
            .contains("ROLLBACK started by naledi: smoke failed; undoing deploy")
    );
    let notified = EventKind::Notified {
        receiver: "slack".into(),
        notice: "rollback".into(),
        delivered: true,
        error: None,
    };
    assert_eq!(told(&mut state, event(6, None, notified)), None);
    let end = EventKind::RunFinished { outcome: RunOutcome::RolledBack };
    assert!(told(&mut state, event(7, None, end)).unwrap().ends_with("· tminus report r1"));
}

#[test]
fn bodies_mask_secrets_and_the_signature_is_the_hmac_of_the_body() {
    let mut state = run();
    state.info.as_mut().unwrap().mode = Mode::Live;
    let receiver = Notify {
        name: "hook".into(),
        url: "http://127.0.0.1:1/hook".into(),
        format: NotifyFormat::Json,
        secret: Some("k3y".into()),
        on: Notice::ALL.to_vec(),
        waiting_after: Duration::from_secs(60),
        timeout: Duration::from_secs(1),
    };
    let message = Message {
        notice: Notice::Failed,
        step: Some("deploy".into()),
        what: "token hunter2 leaked".into(),
        at: Utc::now(),
        signing: false,
    };
    let redactor = Redactor::new(["hunter2".to_string()]);
    let json: serde_json::Value =
        serde_json::from_slice(&body(&receiver, &state, &message, &redactor)).unwrap();
    assert_eq!(json["kind"], "failed");
    assert_eq!(json["step"], "deploy");
    assert_eq!(json["run_id"], "r1");
    assert!(json["text"].as_str().unwrap().contains("token **** leaked"));
    let slack = Notify { format: NotifyFormat::Slack, ..receiver };
    let json: serde_json::Value = serde_json::from_slice(&body(&slack, &state, &message, &redactor)).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 1);
    // RFC 4231 test case 2.
    assert_eq!(
        signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn what_people_typed_reaches_the_channel_on_one_line_and_a_secret_in_it_is_still_masked() {
    let mut state = run();
    state.info.as_mut().unwrap().runbook = "day\x1b]0;x\x07".into();
    let receiver = Notify {
        name: "chat".into(),
        url: "http://127.0.0.1:1/hook".into(),
        format: NotifyFormat::Slack,
        secret: None,
        on: Notice::ALL.to_vec(),
        waiting_after: Duration::from_secs(60),
        timeout: Duration::from_secs(1),
    };
    let message = Message {
        notice: Notice::Gate,
        step: Some("go".into()),
        what: "NO-GO from Naledi\x1b[8m: two\nlines\nof\nsecret <!channel>\n✔ Naledi answered GO".into(),
        at: Utc::now(),
        signing: false,
    };
    let redactor = Redactor::new(["lines\nof\nsecret".to_string()]);
    let json: serde_json::Value =
        serde_json::from_slice(&body(&receiver, &state, &message, &redactor)).unwrap();
    let text = json["text"].as_str().unwrap();
    assert!(
        text.starts_with(
            "day\\e]0;x^G · NO-GO from Naledi\\e[8m: two\\n**** &lt;!channel&gt;\\n✔ Naledi answered GO · "
        ),
        "{text}"
    );
}
