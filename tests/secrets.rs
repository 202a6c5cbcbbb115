//! Secrets through the real binary: however a step prints one (split by pauses, over two lines,
//! encoded), and however slowly a database answers a query holding one, it is in none of
//! stdout, the journal's files, the reports or the log.

mod support;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use support::{Sandbox, database_url};

/// Every place a run leaves text: stdout, the journal's bytes (WAL included), both report
/// formats, the report files and the log files.
fn everything_written(s: &Sandbox, stdout: &str) -> Vec<(String, Vec<u8>)> {
    let mut places = vec![
        ("stdout".to_string(), stdout.as_bytes().to_vec()),
        ("journal".to_string(), s.journal_bytes()),
        ("json report".to_string(), s.report_json().to_string().into_bytes()),
        ("markdown report".to_string(), s.report_md().into_bytes()),
    ];
    for folder in ["reports", "logs"] {
        for file in std::fs::read_dir(s.path().join(folder)).unwrap().flatten() {
            places.push((file.path().display().to_string(), std::fs::read(file.path()).unwrap()));
        }
    }
    places
}

fn assert_nowhere(places: &[(String, Vec<u8>)], needles: &[String]) {
    for (place, bytes) in places {
        for needle in needles {
            assert!(
                memchr::memmem::find(bytes, needle.as_bytes()).is_none(),
                "{needle:?} is in {place}: {}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

const SECRET: &str = "Line-One-7f3a?>>\nline~two~Q9??";

#[test]
fn a_secret_printed_in_pieces_over_two_lines_or_encoded_is_masked_everywhere() {
    let s = Sandbox::new();
    s.write(
        "s.toml",
        "[runbook]\nname = \"s\"\n[vars]\nTOKEN = { env = \"TMINUS_TEST_TOKEN\", secret = true }\n\
         [[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"prints\"\n  run = \"bash prints.sh\"\n",
    );
    s.write(
        "prints.sh",
        r#"# Whole, without a newline after it, then a pause: a batch is cut after its inner newline.
printf 'token=%s' "$TOKEN"
sleep 0.3
# A pause inside it, right after its newline.
printf '\nsplit=%s\n' "${TOKEN%%$'\n'*}"
sleep 0.3
printf '%s\n' "${TOKEN#*$'\n'}"
printf 'b64 %s\n' "$(printf %s "$TOKEN" | base64 -w0)"
printf 'b64url %s\n' "$(printf %s "$TOKEN" | base64 -w0 | tr '+/' '-_' | tr -d =)"
printf 'hex %s\n' "$(printf %s "$TOKEN" | od -An -v -tx1 | tr -d ' \n')"
printf 'HEX %s\n' "$(printf %s "$TOKEN" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)"
printf 'basic %s\n' "$(printf 'user:%s' "$TOKEN" | base64 -w0)"
printf 'last=%s' "$TOKEN"
sleep 0.3
"#,
    );
    let ran = s.tminus().env("TMINUS_TEST_TOKEN", SECRET).args(["run", "s.toml", "--headless"]).output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    for masked in ["token=****", "b64 ****", "b64url ****", "hex ****", "HEX ****", "last=****"] {
        assert!(ran.stdout.contains(masked), "{masked} not in {}", ran.stdout);
    }
    let mut needles: Vec<String> = SECRET.lines().map(str::to_string).collect();
    needles.extend([
        SECRET.to_string(),
        STANDARD.encode(SECRET),
        URL_SAFE_NO_PAD.encode(SECRET),
        hex::encode(SECRET),
        hex::encode_upper(SECRET),
        // The secret's own characters inside `user:SECRET`, encoded: what its bytes alone decide.
        STANDARD.encode(format!("user:{SECRET}"))[8..40].to_string(),
    ]);
    assert!(needles.iter().any(|n| n.contains(['+', '/'])), "the standard alphabet is exercised");
    assert_nowhere(&everything_written(&s, &ran.stdout), &needles);
}

/// A SQL check whose query holds a secret and runs past a second, when database drivers
/// like to log slow statements whole.
fn slow_check_leaves_no_secret(url: &str, sleep: &str) {
    let secret = "Zq8-slow-query-secret-4711";
    let s = Sandbox::new();
    s.write(
        "q.toml",
        &format!(
            "[runbook]\nname = \"q\"\n[vars]\nTOKEN = {{ env = \"TMINUS_TEST_TOKEN\", secret = true }}\n\
             [[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"slow\"\n  \
             sql = {{ url = \"{url}\", query = \"SELECT {sleep}, '${{TOKEN}}'\" }}\n"
        ),
    );
    let ran = s.tminus().env("TMINUS_TEST_TOKEN", secret).args(["run", "q.toml", "--headless"]).output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let places = everything_written(&s, &ran.stdout);
    assert!(places.iter().any(|(place, _)| place.contains("tminus.log")), "the run logged");
    assert_nowhere(&places, &[secret.to_string()]);
}

#[test]
fn a_slow_query_holding_a_secret_is_not_logged_on_postgresql_or_mariadb() {
    for (var, sleep) in
        [("TMINUS_TEST_POSTGRES_URL", "pg_sleep(1.2)"), ("TMINUS_TEST_MYSQL_URL", "SLEEP(1.2)")]
    {
        if let Some(url) = database_url(var) {
            slow_check_leaves_no_secret(&url, sleep);
        }
    }
}
