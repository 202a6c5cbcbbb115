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
"DevOps Lead" = {{ people = ["devops-{me}"], may = ["rollback"] }}
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
    let mut lead = Lead::start(&s, s.journal().to_str().unwrap(), "", "waits for the QA Reviewer (");

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

    // A rollback shows what it will undo first; with no terminal to type yes on, it needs --yes.
    let unasked = s.tminus().args(["rollback", "--reason", "the QA window closed"]).output();
    assert_eq!(unasked.code, 2, "{}{}", unasked.stdout, unasked.stderr);
    assert!(unasked.stdout.contains("↶ undo deploy: echo undone > undone"), "{}", unasked.stdout);
    assert!(unasked.stderr.contains("say --yes to roll back"), "{}", unasked.stderr);
    // The lead may always roll back.
    let pulled = s
        .tminus()
        .args(["rollback", "--reason", "the QA window closed", "--operator", "Kabelo", "--yes"])
        .output();
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

#[test]
fn across_machines_a_signer_signs_through_the_shared_journal_and_a_watcher_cannot_write() {
    let Some(base) = support::database_url("TMINUS_TEST_POSTGRES_URL") else { return };
    let id = std::process::id();
    let (qa, watcher, nobody) = (format!("tm_qa_{id}"), format!("tm_watch_{id}"), format!("tm_nobody_{id}"));
    let devops = format!("devops-{qa}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let owner = runtime.block_on(support::postgres_schema(&base, "people"));
    runtime.block_on(support::logins(&base, &[&qa, &watcher, &nobody, &format!("\"{devops}\"")]));
    let as_login = |login: &str| owner.replacen("postgres@", &format!("{login}@"), 1);

    let s = Sandbox::new();
    s.write("day.toml", &day(&qa));
    let mut lead = Lead::start(&s, &owner, "", "waits for the QA Reviewer (");
    for (login, level) in [(&qa, "sign"), (&watcher, "watch"), (&devops, "sign"), (&nobody, "sign")] {
        let granted = s.tminus().env("TMINUS_JOURNAL", &owner).args(["grant", login, level]).output();
        assert_eq!(granted.code, 0, "{}", granted.stderr);
    }

    // Written into the inbox by a signer and by a login in no role: a signal, a stop and an
    // abort. None is theirs to send: each is refused and journaled with the login, and the run
    // waits on at its sign-off.
    runtime.block_on(async {
        use sqlx::Connection;
        for login in [&qa, &nobody] {
            let mut conn = sqlx::PgConnection::connect(&as_login(login)).await.unwrap();
            for act in [
                r#"{"act":"interrupt","signal":"SIGKILL"}"#,
                r#"{"act":"stop","reason":"mine"}"#,
                r#"{"act":"abort"}"#,
                r#"{"act":"bogus"}"#,
                "not a command",
            ] {
                sqlx::query("INSERT INTO inbox (run_id, name, act) VALUES ($1, 'Naledi', $2)")
                    .bind(&lead.run_id)
                    .bind(act)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    });

    // In the lead's own folder, beside the conductor's socket, the signer is still the
    // database login: one identity rule, wherever the command is typed.
    let elsewhere = Sandbox::new();
    let signed = s
        .tminus()
        .env("TMINUS_JOURNAL", &as_login(&qa))
        .args(["sign", "--go", "--operator", "Thandi"])
        .output();
    assert_eq!(signed.code, 0, "{}{}", signed.stdout, signed.stderr);
    assert!(
        signed.stdout.contains(&format!("{qa}: signed as QA Reviewer: Thandi for go")),
        "{}",
        signed.stdout
    );

    // A watcher may not sign, and the database itself keeps it from writing events.
    let refused =
        elsewhere.tminus().env("TMINUS_JOURNAL", &as_login(&watcher)).args(["sign", "--go"]).output();
    assert_eq!(refused.code, 5, "{}{}", refused.stdout, refused.stderr);
    let forged = runtime.block_on(async {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&as_login(&watcher)).await.unwrap();
        conn.execute(
            "INSERT INTO events (run_id, seq, at, kind, payload) VALUES ('x', 999, 'now', 'note', '{}')",
        )
        .await
    });
    let denied = forged.expect_err("a watcher wrote an event").to_string();
    assert!(denied.contains("permission denied"), "{denied}");

    // The QA Reviewer may not pull the rollback; the DevOps Lead may, from a third process.
    let qa_pull = elsewhere
        .tminus()
        .env("TMINUS_JOURNAL", &as_login(&qa))
        .args(["rollback", "--reason", "x", "--yes"])
        .output();
    assert_eq!(qa_pull.code, 5, "{}{}", qa_pull.stdout, qa_pull.stderr);
    let devops_url = as_login(&devops);
    let pulled = elsewhere
        .tminus()
        .env("TMINUS_JOURNAL", &devops_url)
        .args(["rollback", "--reason", "error rate over target", "--operator", "Kabelo", "--yes"])
        .output();
    assert_eq!(pulled.code, 0, "{}{}", pulled.stdout, pulled.stderr);
    drop(lead.child.stdin.take());
    assert_eq!(lead.child.wait().unwrap().code(), Some(3), "the lead's run rolled back");
    assert_eq!(s.read("undone"), "undone\n");
    let report = s.tminus().env("TMINUS_JOURNAL", &owner).args(["report", "--format", "json"]).output();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let decision = &step(&json, "go")["decisions"][0];
    assert_eq!((decision["who"].as_str(), decision["login"].as_str()), (Some("Thandi"), Some(qa.as_str())));
    let refused: Vec<(&str, &str)> = json["state"]["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["login"].as_str().unwrap(), r["what"].as_str().unwrap()))
        .collect();
    for login in [qa.as_str(), nobody.as_str()] {
        let known = ["interrupt the conductor (SIGKILL)", "stop the run", "abort the running step"];
        for what in known.into_iter().chain([r#"send `{"act":"bogus"}`"#, "send `not a command`"]) {
            assert!(refused.contains(&(login, what)), "{login} {what}: {refused:?}");
        }
    }
    assert!(json["state"]["stopped"].is_null(), "nothing stopped the run: {}", json["state"]["stopped"]);
}

const DEPLOY: &str = r#"
[runbook]
name = "driven elsewhere"
[[phase]]
id = "p"
  [[phase.step]]
  id = "deploy"
  run = "echo deployed"
"#;

/// Runs `sql` as the journal's owner.
async fn as_owner(url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))).await.unwrap();
}

/// Makes the journal one that an older tminus left: from before the inbox.
const BEFORE_THE_INBOX: &str =
    "DROP TABLE inbox; DROP FUNCTION tminus_inbox_stamp(); DELETE FROM _sqlx_migrations WHERE version = 4";

#[test]
fn a_login_granted_drive_runs_on_the_owners_journal_and_an_older_journal_is_left_to_its_owner() {
    let Some(base) = support::database_url("TMINUS_TEST_POSTGRES_URL") else { return };
    let driver = format!("tm_drive_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let owner = runtime.block_on(support::postgres_schema(&base, "drive"));
    runtime.block_on(support::logins(&base, &[&driver]));
    let as_driver = owner.replacen("postgres@", &format!("{driver}@"), 1);
    let s = Sandbox::new();
    s.write("deploy.toml", DEPLOY);
    let granted = s.tminus().env("TMINUS_JOURNAL", &owner).args(["grant", &driver, "drive"]).output();
    assert_eq!(granted.code, 0, "{}", granted.stderr);
    let may_create = runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&as_driver).await.unwrap();
        sqlx::query_scalar::<_, bool>("SELECT has_schema_privilege(current_schema(), 'CREATE')")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    });
    assert!(!may_create, "the driver may create in the schema, as PostgreSQL 15 no longer lets anyone");

    let drive = || {
        s.tminus()
            .env("TMINUS_JOURNAL", &as_driver)
            .args(["run", "deploy.toml", "--headless", "--yes"])
            .output()
    };
    let ran = drive();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let runs = s.tminus().env("TMINUS_JOURNAL", &as_driver).args(["runs"]).output();
    assert!(runs.stdout.contains("succeeded"), "{}", runs.stdout);

    runtime.block_on(as_owner(&owner, BEFORE_THE_INBOX));
    let refused = drive();
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert_eq!(refused.stderr.trim().lines().count(), 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "needs migrating by its owner (postgres): run `tminus grant {driver} drive` as them"
        )),
        "{}",
        refused.stderr
    );
    // As the message says: the owner migrates, and the driver drives again.
    let regranted = s.tminus().env("TMINUS_JOURNAL", &owner).args(["grant", &driver, "drive"]).output();
    assert_eq!(regranted.code, 0, "{}", regranted.stderr);
    let ran = drive();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
}

/// `tminus run` in the background, ended if it is not done within `limit`: exit code, stderr
/// and how long it took.
fn run_within(
    dir: &std::path::Path,
    journal: &str,
    limit: std::time::Duration,
) -> (i32, String, std::time::Duration) {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tminus"))
        .current_dir(dir)
        .env("TMINUS_JOURNAL", journal)
        .args(["run", "deploy.toml", "--headless", "--yes"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tminus run still waited after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (status.code().unwrap_or(-1), stderr, started.elapsed())
}

#[test]
fn a_watcher_holding_the_migration_lock_cannot_stall_a_run() {
    use sqlx::{Connection, Executor};
    let Some(base) = support::database_url("TMINUS_TEST_POSTGRES_URL") else { return };
    let id = std::process::id();
    let (database, watcher) = (format!("tminus_lock_{id}"), format!("tm_lockw_{id}"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A database of the test's own: the migrator's lock is one per database, and holding it in
    // the shared one would hold up every other test that migrates there.
    let drop_database = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    runtime.block_on(as_owner(&base, &drop_database));
    runtime.block_on(as_owner(&base, &format!("CREATE DATABASE {database}")));
    runtime.block_on(support::logins(&base, &[&watcher]));
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&database);
    let owner = url.to_string();
    let s = Sandbox::new();
    s.write("deploy.toml", DEPLOY);
    let granted = s.tminus().env("TMINUS_JOURNAL", &owner).args(["grant", &watcher, "watch"]).output();
    assert_eq!(granted.code, 0, "{}", granted.stderr);

    // The key sqlx's migrator locks for a database, taken by someone who may only watch.
    let key = 0x3d32ad9e * i64::from(crc32fast::hash(database.as_bytes()));
    let (mut held, pid) = runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&owner.replacen("postgres@", &format!("{watcher}@"), 1))
            .await
            .unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut conn).await.unwrap();
        conn.execute(sqlx::query("SELECT pg_advisory_lock($1)").bind(key)).await.unwrap();
        (conn, pid)
    });
    let never_hangs = std::time::Duration::from_secs(30);

    // A journal that is up to date is not the lock's business.
    let (code, stderr, took) = run_within(s.path(), &owner, never_hangs);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("waiting"), "{stderr}");
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");

    // One that needs migrating waits for it a while, says for whom, and gives up.
    runtime.block_on(as_owner(&owner, BEFORE_THE_INBOX));
    let (code, stderr, took) = run_within(s.path(), &owner, never_hangs);
    assert_eq!(code, 6, "{stderr}");
    let held_by = format!("held by pid {pid} (login {watcher})");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains(&format!("waiting for the journal's migration lock {held_by}")), "{stderr}");
    assert!(lines[1].contains(&format!("its migration lock is still {held_by} after 5s")), "{stderr}");
    assert!(took < std::time::Duration::from_secs(15), "{took:?}");

    // Once it is let go of, the owner migrates and runs.
    runtime
        .block_on(async { held.execute(sqlx::query("SELECT pg_advisory_unlock($1)").bind(key)).await })
        .unwrap();
    let (code, stderr, _) = run_within(s.path(), &owner, never_hangs);
    assert_eq!(code, 0, "{stderr}");
    runtime.block_on(async { held.close().await }).unwrap();
    runtime.block_on(as_owner(&base, &drop_database));
}
