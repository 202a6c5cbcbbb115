//! HTTP and SQL checks and monitors through the real binary, against a real HTTP server started
//! here and the real PostgreSQL, MariaDB and SQLite databases named by environment variables.

mod support;

use support::server::TestServer;
use support::{Sandbox, database_url, step};

/// A runbook with one phase holding the given steps.
fn book(steps: &str) -> String {
    format!("[runbook]\nname = \"checks\"\n\n[[phase]]\nid = \"p\"\n{steps}")
}

fn metric<'a>(report: &'a serde_json::Value, step_id: &str, name: &str) -> &'a serde_json::Value {
    step(report, step_id)["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name} on {step_id}"))
}

fn ms_of(value: &serde_json::Value) -> f64 {
    value.as_str().unwrap().trim_end_matches(" ms").parse().unwrap()
}

#[test]
fn http_latency_percentiles_are_measured_and_held_against_targets() {
    let server = TestServer::start();
    let s = Sandbox::new();
    s.write(
        "h.toml",
        &book(&format!(
            "  [[phase.step]]\n  id = \"fast-enough\"\n  http = {{ url = \"{}\", samples = 12, concurrency = 4, p95_ms = 2000 }}\n  \
             [[phase.step]]\n  id = \"too-slow\"\n  critical = false\n  http = {{ url = \"{}\", samples = 4, p95_ms = 20 }}\n",
            server.url("/delay/60"),
            server.url("/delay/60")
        )),
    );
    let ran = s.run("h.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = s.report_json();
    let p95 = ms_of(&metric(&report, "fast-enough", "p95")["value"]);
    assert!((60.0..2000.0).contains(&p95), "p95 {p95} of 60 ms requests");
    assert!(ms_of(&metric(&report, "fast-enough", "p50")["value"]) >= 60.0);
    assert_eq!(metric(&report, "fast-enough", "samples")["value"], "12");
    assert_eq!(metric(&report, "fast-enough", "p95")["pass"], true);
    assert_eq!(metric(&report, "too-slow", "p95")["pass"], false);
    assert!(step(&report, "too-slow")["message"].as_str().unwrap().contains("over the 20 ms target"));
    // One line per sample, as it came.
    assert_eq!(ran.stdout.matches("[fast-enough] #").count(), 12, "{}", ran.stdout);
    let md = s.report_md();
    assert!(md.contains("## Success criteria"), "{md}");
    assert!(md.contains("| p95 |") && md.contains("| ≤ 20 ms | **FAIL** |"), "{md}");
}

#[test]
fn http_failures_read_as_a_person_would_write_them() {
    let server = TestServer::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let s = Sandbox::new();
    let checks = [
        ("refused", format!("url = \"http://127.0.0.1:{closed}/api/health\", samples = 3")),
        ("unavailable", format!("url = \"{}\", samples = 5", server.url("/status/503"))),
        ("wrong-body", format!("url = \"{}\", body = \"^healthy$\"", server.url("/ok"))),
        ("malformed", format!("url = \"{}\", json = {{ \"/status\" = \"ok\" }}", server.url("/malformed"))),
        (
            "degraded",
            format!(
                "url = \"{}\", json = {{ \"/status\" = \"ok\", \"/count\" = 75 }}",
                server.url("/json/degraded")
            ),
        ),
        ("slow-body", format!("url = \"{}\", timeout = \"300ms\"", server.url("/slow-body"))),
        ("tolerated", format!("url = \"{}\", samples = 10, max_error_rate = 0.5", server.url("/every/5"))),
    ];
    let steps: String = checks
        .iter()
        .map(|(id, http)| {
            format!("  [[phase.step]]\n  id = \"{id}\"\n  critical = false\n  http = {{ {http} }}\n")
        })
        .collect();
    s.write("h.toml", &book(&steps));
    let ran = s.run("h.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = s.report_json();
    let message = |id: &str| step(&report, id)["message"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        message("refused"),
        format!("connection refused: http://127.0.0.1:{closed}/api/health (3 of 3 samples)")
    );
    assert_eq!(message("unavailable"), "status 503 (expected 200) (5 of 5 samples)");
    assert!(
        message("wrong-body").starts_with("body does not match `^healthy$`: \"ok\""),
        "{}",
        message("wrong-body")
    );
    assert!(message("malformed").starts_with("body is not JSON"), "{}", message("malformed"));
    assert!(
        message("degraded").starts_with("/status is \"degraded\" (expected \"ok\")"),
        "{}",
        message("degraded")
    );
    assert!(message("slow-body").starts_with("timed out after 300ms"), "{}", message("slow-body"));
    assert_eq!(step(&report, "tolerated")["status"], "passed", "{}", message("tolerated"));
    assert_eq!(metric(&report, "tolerated", "error rate")["value"], "20%");
}

#[test]
fn checks_retry_with_backoff() {
    let server = TestServer::start();
    let s = Sandbox::new();
    s.write(
        "r.toml",
        &book(&format!(
            "  [[phase.step]]\n  id = \"warming\"\n  retries = 3\n  retry_delay = \"50ms\"\n  http = {{ url = \"{}\" }}\n",
            server.url("/fail-first/2/retry-test")
        )),
    );
    let ran = s.run("r.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = s.report_json();
    assert_eq!(step(&report, "warming")["attempts"], 3);
    assert_eq!(step(&report, "warming")["status"], "passed");
}

/// A SQL check against one real database: a table of 75 rows made by the test, then checks that
/// pass, fail, try to write, and take too long.
fn sql_suite(url: &str, sleep: &str) {
    let table = format!("tminus_gates_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Executor};
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.expect("the test database answers");
        conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}"))))
            .await
            .unwrap();
        conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE {table} (id INTEGER, name VARCHAR(20))"
        ))))
        .await
        .unwrap();
        for i in 0..75 {
            conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} VALUES ({i}, 'gate {i}')"
            ))))
            .await
            .unwrap();
        }
    });
    let s = Sandbox::new();
    let steps = [
        ("count", format!("query = \"SELECT COUNT(*) FROM {table}\", expect = \"= 75\", max_ms = 5000")),
        (
            "rows",
            format!(
                "query = \"SELECT id FROM {table} WHERE id < 5\", expect_rows = true, expect = \"between 1 and 5\""
            ),
        ),
        ("name", format!("query = \"SELECT name FROM {table} WHERE id = 7\", expect = \"gate 7\"")),
        ("short", format!("query = \"SELECT COUNT(*) FROM {table}\", expect = \">= 90\"")),
        ("write", format!("query = \"DELETE FROM {table}\"")),
        ("typo", format!("query = \"SELEKT 1 FROM {table}\"")),
    ];
    let mut text: String = steps
        .iter()
        .map(|(id, q)| {
            format!(
                "  [[phase.step]]\n  id = \"{id}\"\n  critical = false\n  sql = {{ url = \"{url}\", {q} }}\n"
            )
        })
        .collect();
    text.push_str(&format!("  [[phase.step]]\n  id = \"slow\"\n  critical = false\n  timeout = \"500ms\"\n  sql = {{ url = \"{url}\", query = \"{sleep}\" }}\n"));
    s.write("q.toml", &book(&text));
    let ran = s.run("q.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = s.report_json();
    let status = |id: &str| step(&report, id)["status"].as_str().unwrap().to_string();
    let message = |id: &str| step(&report, id)["message"].as_str().unwrap_or_default().to_string();
    assert_eq!(status("count"), "passed", "{}", message("count"));
    assert_eq!(metric(&report, "count", "value")["value"], "75");
    assert_eq!(status("rows"), "passed", "{}", message("rows"));
    assert_eq!(status("name"), "passed", "{}", message("name"));
    assert_eq!(message("short"), "value is 75, expected ≥ 90");
    assert_eq!(status("write"), "failed");
    assert!(
        message("write").contains("read-only") || message("write").contains("READ ONLY"),
        "{}",
        message("write")
    );
    assert!(message("typo").starts_with("the query failed on "), "{}", message("typo"));
    assert!(message("slow").contains("did not answer within 500ms"), "{}", message("slow"));

    // The refused write changed nothing.
    let s2 = Sandbox::new();
    s2.write("c.toml", &book(&format!("  [[phase.step]]\n  id = \"still\"\n  sql = {{ url = \"{url}\", query = \"SELECT COUNT(*) FROM {table}\", expect = \"= 75\" }}\n")));
    assert_eq!(s2.run("c.toml", "", &[]).code, 0);
    runtime.block_on(async {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))).await.unwrap();
    });
}

#[test]
fn sql_checks_on_postgres() {
    let Some(url) = database_url("TMINUS_TEST_POSTGRES_URL") else {
        return;
    };
    sql_suite(&url, "SELECT pg_sleep(5)");
}

#[test]
fn sql_checks_on_mariadb() {
    let Some(url) = database_url("TMINUS_TEST_MYSQL_URL") else {
        return;
    };
    sql_suite(&url, "SELECT SLEEP(5)");
}

#[test]
fn sql_checks_on_sqlite_never_change_the_file() {
    let s = Sandbox::new();
    let db = s.path().join("data/app.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Executor};
        let url = format!("sqlite://{}?mode=rwc", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        conn.execute("CREATE TABLE sites (code TEXT)").await.unwrap();
        for code in ["GN_CONAKRY", "GN_KINDIA", "GN_MAMOU", "GN_LABE", "SN_DAKAR", "ML_BAMAKO"] {
            conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!("INSERT INTO sites VALUES ('{code}')"))))
                .await
                .unwrap();
        }
    });
    let before = std::fs::read(&db).unwrap();
    // Relative sqlite paths are the runbook's folder's, like commands.
    s.write(
        "q.toml",
        &book(
            "  [[phase.step]]\n  id = \"sites\"\n  sql = { url = \"sqlite://data/app.db\", query = \"SELECT COUNT(*) FROM sites\", expect = \"= 6\" }\n  \
             [[phase.step]]\n  id = \"write\"\n  critical = false\n  sql = { url = \"sqlite://data/app.db\", query = \"INSERT INTO sites VALUES ('XX')\" }\n  \
             [[phase.step]]\n  id = \"drop\"\n  critical = false\n  sql = { url = \"sqlite://data/app.db\", query = \"DROP TABLE sites\" }\n  \
             [[phase.step]]\n  id = \"missing\"\n  critical = false\n  sql = { url = \"sqlite://data/nothere.db\", query = \"SELECT 1\" }\n",
        ),
    );
    let ran = s.run("q.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let report = s.report_json();
    assert_eq!(step(&report, "sites")["status"], "passed");
    assert_eq!(step(&report, "write")["status"], "failed");
    assert_eq!(step(&report, "drop")["status"], "failed");
    let missing = step(&report, "missing")["message"].as_str().unwrap().to_string();
    assert!(missing.starts_with("cannot connect to sqlite ") && missing.contains("nothere.db"), "{missing}");
    assert!(!s.path().join("data/nothere.db").exists(), "a check created a database file");
    assert_eq!(std::fs::read(&db).unwrap(), before, "a check changed the database file");
}

#[test]
fn database_passwords_never_reach_the_journal_or_the_report() {
    let Some(url) = database_url("TMINUS_TEST_POSTGRES_URL") else {
        return;
    };
    // Trust authentication accepts any password, so this one is only ever written, never checked.
    let password = "Pw-never-shown-9931";
    let with_password = url.replacen("://postgres@", &format!("://postgres:{password}@"), 1);
    assert_ne!(with_password, url, "the test URL names the postgres user");
    let wrong_host = format!("postgres://app:{password}@127.0.0.1:1/none");
    let s = Sandbox::new();
    s.write(
        "p.toml",
        &book(&format!(
            "  [[phase.step]]\n  id = \"ok\"\n  sql = {{ url = \"{with_password}\", query = \"SELECT 1\", expect = \"= 1\" }}\n  \
             [[phase.step]]\n  id = \"down\"\n  critical = false\n  sql = {{ url = \"{wrong_host}\", query = \"SELECT 1\" }}\n  \
             [[phase.step]]\n  id = \"echo\"\n  run = \"echo connecting with {password}\"\n",
        )),
    );
    let ran = s.run("p.toml", "", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(!ran.stdout.contains(password));
    let report = s.report_json();
    assert_eq!(
        step(&report, "down")["message"],
        "cannot connect to postgres at 127.0.0.1:1/none as app: connection refused"
    );
    assert!(
        memchr::memmem::find(&s.journal_bytes(), password.as_bytes()).is_none(),
        "password in the journal"
    );
    assert!(!s.report_md().contains(password));
}

#[test]
fn a_failing_monitor_alerts_and_offers_a_rollback() {
    let server = TestServer::start();
    let s = Sandbox::new();
    let text = format!(
        "  [[phase.step]]\n  id = \"health\"\n  http = {{ url = \"{}\" }}\n  \
         [[phase.step]]\n  id = \"deploy\"\n  run = \"echo deployed\"\n  undo = \"echo undone > undone\"\n  \
         [[phase.step]]\n  id = \"watch\"\n  monitor = {{ every = \"100ms\", for = \"1m\", steps = [\"health\", \"down\"], alert_after = 2 }}\n  \
         [[phase.step]]\n  id = \"down\"\n  critical = false\n  http = {{ url = \"{}\" }}\n",
        server.url("/ok"),
        server.url("/status/500")
    );
    s.write("m.toml", &book(&text));
    let ran = s
        .tminus()
        .args(["run", "m.toml", "--headless", "--operator", "ops-lead"])
        .converse(&[("ALERT: 2 rounds in a row failed", "rollback the API is down")]);
    assert_eq!(ran.code, 3, "{}", ran.stdout);
    assert!(ran.stdout.contains("ALERT: 2 rounds in a row failed"), "{}", ran.stdout);
    assert!(ran.stdout.contains("[watch] round 1 · health ok"), "{}", ran.stdout);
    assert!(ran.stdout.contains("down FAILED: status 500 (expected 200)"), "{}", ran.stdout);
    assert_eq!(s.read("undone"), "undone\n");

    // --yes never rolls back: the monitor runs its time, and the alert fails the step.
    let s = Sandbox::new();
    s.write("m.toml", &book(&text.replace("for = \"1m\"", "for = \"1s\"")));
    let ran = s.run("m.toml", "", &["--yes"]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert!(s.read("undone").is_empty());
    let report = s.report_json();
    // A service that stays down keeps alerting, every two failed rounds in a row.
    let message = step(&report, "watch")["message"].as_str().unwrap().to_string();
    assert!(message.contains("alerts raised") && !message.starts_with("1 "), "{message}");
}

#[test]
fn the_operator_ends_a_monitor_early() {
    let server = TestServer::start();
    let s = Sandbox::new();
    s.write(
        "m.toml",
        &book(&format!(
            "  [[phase.step]]\n  id = \"health\"\n  http = {{ url = \"{}\" }}\n  \
             [[phase.step]]\n  id = \"watch\"\n  monitor = {{ every = \"50ms\", for = \"24h\", steps = [\"health\"] }}\n",
            server.url("/ok")
        )),
    );
    let ran = s.run("m.toml", "note all quiet\ndone\ndone traffic is back to normal\n", &[]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(ran.stdout.contains("end the monitor: a reason is needed"), "{}", ran.stdout);
    let report = s.report_json();
    let watch = step(&report, "watch");
    assert_eq!(watch["status"], "ended_early", "an early end is not a pass");
    let message = watch["message"].as_str().unwrap();
    assert!(message.starts_with("ended early by ops-lead after "), "{message}");
    assert!(message.contains("rounds, 0 failed: traffic is back to normal"), "{message}");
    assert!(watch["metrics"][0]["value"].as_str().unwrap().ends_with(" of 1728000"), "{watch}");
    assert_eq!(report["state"]["notes"][0]["text"], "all quiet");

    // End of input stops the run at a monitor too; --yes lets a monitor run its time, and says so.
    let ran = s.run("m.toml", "", &[]);
    assert_eq!(ran.code, 4, "{}", ran.stdout);
    assert!(ran.stdout.contains("end of input: stopping safely"), "{}", ran.stdout);
    let short = s.read("m.toml").replace("for = \"24h\"", "for = \"300ms\"");
    s.write("short.toml", &short);
    let ran = s.run("short.toml", "", &["--yes"]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(
        ran.stdout.contains("--yes lets the monitor watch run its full time (health every 50ms for 300ms)"),
        "{}",
        ran.stdout
    );
}
