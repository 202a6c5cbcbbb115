//! `--journal` / `TMINUS_JOURNAL` through the real binary: a path or a PostgreSQL URL naming a
//! database, and every other address refused in one line that never shows a password.

mod support;

use support::{Ran, Sandbox};

const PASSWORD: &str = "S3cretPw";

fn assert_refused(ran: &Ran, code: i32, address: &str, says: &str) {
    assert_eq!(ran.code, code, "{address}: {}{}", ran.stdout, ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{address}: one line: {}", ran.stderr);
    let shown = address.replace(PASSWORD, "****");
    assert!(ran.stderr.starts_with(&format!("journal {shown}: ")), "{address}: {}", ran.stderr);
    assert!(ran.stderr.contains(says), "{address}: {}", ran.stderr);
    assert!(!ran.stderr.contains(PASSWORD), "{address}: {}", ran.stderr);
}

#[test]
fn addresses_that_are_not_journals_are_refused_and_nothing_is_created() {
    let s = Sandbox::new();
    s.write(
        "r.toml",
        "[runbook]\nname = \"r\"\n[[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"a\"\n  run = \"true\"\n",
    );
    let accepted = "or postgres://[user[:password]@]host[:port]/database";
    let cases = [
        (format!("mysql://root:{PASSWORD}@127.0.0.1:3306/test"), "a mysql: URL cannot hold a journal"),
        ("pg://db.example/journal".to_string(), "a pg: URL cannot hold a journal"),
        ("sqlite:///tmp/journal.db".to_string(), "a sqlite: URL cannot hold a journal"),
        (format!("postgres:/admin:{PASSWORD}@db/journal"), "a postgres URL begins postgres://"),
        (format!("postgres://admin:{PASSWORD}@127.0.0.1:99999/test"), "invalid port number"),
        (format!("postgres://admin:{PASSWORD}@127.0.0.1:5432"), "names no database"),
        ("POSTGRESQL://127.0.0.1/".to_string(), "names no database"),
        (format!("postgres://admin:{PASSWORD}@127.0.0.1/test?sslmode=bogus"), "unknown value \"bogus\""),
    ];
    for (address, says) in &cases {
        for args in [&["runs"][..], &["watch"], &["run", "r.toml", "--headless"]] {
            let ran = s.tminus().env("TMINUS_JOURNAL", address).args(args).output();
            assert_refused(&ran, 2, address, says);
            assert!(ran.stderr.contains(accepted), "{address}: {}", ran.stderr);
        }
        let ran = s.tminus().args(["--journal", address, "runs"]).output();
        assert_refused(&ran, 2, address, says);
    }
    let left: Vec<_> = std::fs::read_dir(s.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left, ["r.toml"], "a refused address made a file or folder");
}

#[test]
fn a_refused_postgresql_port_says_so_at_once() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("postgres://admin:{PASSWORD}@127.0.0.1:{closed}/test");
    let s = Sandbox::new();
    for args in [&["runs"][..], &["watch"]] {
        let ran = s.tminus().env("TMINUS_JOURNAL", &address).args(args).output();
        // A journal that cannot be reached is a journal failure, not bad input.
        assert_refused(
            &ran,
            6,
            &address,
            &format!("cannot connect to 127.0.0.1:{closed}: connection refused"),
        );
    }
}

#[test]
fn a_postgresql_url_is_a_journal_whatever_the_case_of_its_scheme() {
    let Some(url) = support::database_url("TMINUS_TEST_POSTGRES_URL") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(support::postgres_schema(&url, "address"));
    let shouted = url.replacen("postgres://", "POSTGRES://", 1);
    let s = Sandbox::new();
    // Listing runs reads: a database nothing has run in has no journal yet, and is left so.
    let ran = s.tminus().env("TMINUS_JOURNAL", &shouted).args(["runs"]).output();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.starts_with("no journal at POSTGRES://"), "{}", ran.stderr);
    assert_eq!(std::fs::read_dir(s.path()).unwrap().count(), 0, "no SQLite folder named after the scheme");
}
