//! Secrets through the real binary: however a step prints one (split by pauses, over two lines,
//! encoded), and however slowly a database answers a query holding one, it is in none of
//! stdout, the journal's files, the reports or the log.

mod support;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use support::{Sandbox, database_url};
use tminus::runbook::MASK;

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

/// 70 bytes whose base64 holds both `+` and `/`, with a space for form encoding's `+`.
const SEVENTY: &str = "Zq8+/x y?>>~pw&=%;Line-One-7f3a?>>~Q9??-abcdefghijklmnopqrstuvwxyz0123";

/// Each form after a `== name` line, as an adversary prints it.
const ENCODES: &str = r#"urlencode() {
  local i c
  for ((i = 0; i < ${#1}; i++)); do
    c=${1:i:1}
    case $c in [a-zA-Z0-9.~_-]) printf %s "$c" ;; *) printf %%%02X "'$c" ;; esac
  done
}
echo "== base64"; printf %s "$TOKEN" | base64
echo "== base64 -w 20"; printf %s "$TOKEN" | base64 -w 20
echo "== basic auth, wrapped"; printf 'user:%s' "$TOKEN" | base64 -w 20
echo "== xxd -p"; printf %s "$TOKEN" | xxd -p
echo "== od -An -tx1"; printf %s "$TOKEN" | od -An -tx1
echo "== two lines"; echo "${TOKEN:0:30}"; sleep 0.2; echo "${TOKEN:30}"
echo "== url-encoded"; urlencode "$TOKEN"; echo
echo "== form-encoded, lower case"; urlencode "$TOKEN" | sed 's/%20/+/g; s/%[0-9A-F][0-9A-F]/\L&/g'; echo
echo "== end"
"#;

/// The sections of `output`, each decoded back the way it was encoded: every piece between
/// masks at every alignment it may have, so a part of the secret left unmasked shows.
fn decoded(output: &[u8]) -> Vec<(String, Vec<u8>)> {
    let text = String::from_utf8_lossy(output);
    let mut sections = Vec::new();
    for section in text.split("== ").skip(1) {
        let (name, body) = section.split_once('\n').unwrap_or((section, ""));
        // What a reader would strip: the wrapping, od's spacing, base64's padding.
        let base64 = name.starts_with("base64") || name.starts_with("basic");
        let strip = match name {
            _ if base64 => "\r\n=",
            "od -An -tx1" => "\r\n ",
            _ => "\r\n",
        };
        let body: String = body.chars().filter(|&c| !strip.contains(c)).collect();
        let mut bytes = Vec::new();
        for piece in body.split(MASK) {
            // From each offset, whole, and cut to whole groups (a mask may have cut into one).
            let aligned = |quantum: usize| {
                (0..quantum)
                    .map(|skip| piece.get(skip..).unwrap_or_default())
                    .flat_map(move |piece| [piece, &piece[..piece.len() / quantum * quantum]])
            };
            let decodings: Vec<Vec<u8>> = match name {
                _ if base64 => aligned(4).filter_map(|piece| STANDARD_NO_PAD.decode(piece).ok()).collect(),
                "xxd -p" | "od -An -tx1" => aligned(2).filter_map(|piece| hex::decode(piece).ok()).collect(),
                n if n.contains("encoded") => vec![percent_decoded(piece)],
                _ => vec![piece.as_bytes().to_vec()],
            };
            for decoding in decodings {
                bytes.extend(decoding);
                bytes.push(0);
            }
        }
        sections.push((name.to_string(), bytes));
    }
    sections
}

fn percent_decoded(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        let code = after.get(..2).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (byte, code) {
            (b'%', Some(code)) => {
                out.push(code);
                rest = &after[2..];
            }
            (b'+', _) => {
                out.push(b' ');
                rest = after;
            }
            _ => {
                out.push(byte);
                rest = after;
            }
        }
    }
    out
}

#[test]
fn a_secret_printed_encoded_wrapped_spaced_or_split_is_masked_in_the_journal() {
    let s = Sandbox::new();
    s.write(
        "s.toml",
        "[runbook]\nname = \"s\"\n[vars]\nTOKEN = { env = \"TMINUS_TEST_TOKEN\", secret = true }\n\
         [[phase]]\nid = \"p\"\n  [[phase.step]]\n  id = \"encodes\"\n  run = \"bash encodes.sh\"\n",
    );
    s.write("encodes.sh", ENCODES);
    // Run directly, every section decodes back to the secret: the forms and the decoding hold.
    let direct = std::process::Command::new("bash")
        .arg("encodes.sh")
        .current_dir(s.path())
        .env("TOKEN", SEVENTY)
        .output()
        .unwrap();
    let sections = decoded(&direct.stdout);
    assert_eq!(sections.len(), 9, "{}", String::from_utf8_lossy(&direct.stdout));
    for (name, bytes) in &sections[..8] {
        assert!(
            memchr::memmem::find(bytes, SEVENTY.as_bytes()).is_some(),
            "{name}: {}",
            String::from_utf8_lossy(bytes)
        );
    }

    let ran = s.tminus().env("TMINUS_TEST_TOKEN", SEVENTY).args(["run", "s.toml", "--headless"]).output();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let runs = s.tminus().args(["runs"]).output();
    let run_id = runs.stdout.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap_or_default();
    let log = s.tminus().args(["log", run_id, "encodes"]).output();
    assert_eq!(log.code, 0, "{}", log.stderr);
    let logged = decoded(log.stdout.as_bytes());
    let names =
        |sections: &[(String, Vec<u8>)]| sections.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&logged), names(&sections));
    for (name, bytes) in &logged {
        assert!(!holds_a_piece(bytes), "{name} decodes to {}", String::from_utf8_lossy(bytes));
    }
    assert_eq!(log.stdout.matches(MASK).count(), 8, "{}", log.stdout);
    // Nor do the journal's own bytes, or anything else the run wrote.
    let places = everything_written(&s, &ran.stdout);
    for (place, bytes) in &places {
        let unprefixed = String::from_utf8_lossy(bytes).replace("[encodes] ", "");
        for (name, bytes) in decoded(unprefixed.as_bytes()) {
            assert!(
                !holds_a_piece(&bytes),
                "{name} in {place} decodes to {}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// Whether any 8 bytes of the secret are in `bytes`.
fn holds_a_piece(bytes: &[u8]) -> bool {
    SEVENTY.as_bytes().windows(8).any(|piece| memchr::memmem::find(bytes, piece).is_some())
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
