//! kill -9 of the lead at random moments (steps, prompts, a check, the rollback), then the run
//! picked up again by `run --resume` and driven to its end. After each kill it counts:
//! - double runs: a copy of a step (or undo) that started while an earlier copy still ran;
//! - lost lines: lines the lead printed (it prints only what is journaled) missing from the
//!   journal, and journals whose hash chain does not verify (gap-free included);
//! - resumes that did not complete.
//!
//! Run by `bench/kill-soak.sh`: `kill_soak TMINUS [KILLS] [SEED]`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Each command first notes whether a live process of its last copy's group is still there
/// (zombies, which nobody may reap here, run nothing), then records its own group.
const GUARD: &str = r#"me=$1; if [ -e "$me.pid" ] && ps -e -o pgid=,stat= | awk -v g="$(cat "$me.pid")" '$1 == g && $2 !~ /^Z/' | grep -q .; then echo "$me" >> overlaps; fi; echo $$ > "$me.pid""#;

const RUNBOOK: &str = r#"
[runbook]
name = "soak"
[[phase]]
id = "one"
  [[phase.step]]
  id = "prep"
  run = ". ./guard.sh prep; for n in 1 2 3 4 5; do echo prep-$n; sleep 0.1; done"
  undo = ". ./guard.sh undo-prep; for n in 1 2 3; do echo undo-prep-$n; sleep 0.2; done"
  [[phase.step]]
  id = "db"
  sql = { url = "sqlite://soak.db", query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) FROM c", expect = "= 2000000" }
  [[phase.step]]
  id = "tick"
  manual = "Dashboards green?"
  [[phase.step]]
  id = "migrate"
  run = ". ./guard.sh migrate; echo migrate-start; sleep 1.5; echo migrate-end"
  undo = ". ./guard.sh undo-migrate; echo undo-migrate; sleep 1"
  [[phase.step]]
  id = "go"
  gate = "GO?"
[[phase]]
id = "two"
  [[phase.step]]
  id = "break"
  run = ". ./guard.sh break; echo breaking; sleep 0.5; exit 1"
[rollback]
  [[rollback.step]]
  id = "announce"
  run = ". ./guard.sh announce; echo rolled-back; sleep 0.5"
"#;

/// The longest a whole run takes unharmed, so every kill lands inside one.
const RUN_SPAN_MS: u64 = 7000;
/// How long the lead takes to answer a prompt, so kills land at prompts too.
const THINKING: Duration = Duration::from_millis(400);

struct Counts {
    kills: u32,
    double_runs: u32,
    lost_lines: u32,
    broken_chains: u32,
    unfinished: u32,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bin = args.next().expect("usage: kill_soak TMINUS [KILLS] [SEED]");
    // Each run is in a folder of its own: the binary is named from anywhere.
    let bin = std::fs::canonicalize(&bin).expect("TMINUS exists").display().to_string();
    let kills: u32 = args.next().map_or(20, |k| k.parse().expect("KILLS is a number"));
    let mut seed: u64 = args.next().map_or(0x5eed_2026, |s| s.parse().expect("SEED is a number"));
    let mut counts = Counts { kills: 0, double_runs: 0, lost_lines: 0, broken_chains: 0, unfinished: 0 };
    let started = Instant::now();
    while counts.kills < kills {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = Duration::from_millis(200 + seed % RUN_SPAN_MS);
        let dir = tempfile::tempdir().unwrap();
        let (killed_in, problems) = one_kill(&bin, dir.path(), at);
        let Some(problems) = problems else {
            println!("no kill at {:>5} ms: {killed_in}", at.as_millis());
            continue;
        };
        counts.kills += 1;
        counts.double_runs += problems.double_runs;
        counts.lost_lines += problems.lost_lines;
        counts.broken_chains += u32::from(!problems.chain_ok);
        counts.unfinished += u32::from(!problems.finished);
        println!(
            "kill {:>2} at {:>5} ms ({killed_in}): double runs {}, lost lines {}, chain {}, resume {}",
            counts.kills,
            at.as_millis(),
            problems.double_runs,
            problems.lost_lines,
            if problems.chain_ok { "verified" } else { "BROKEN" },
            if problems.finished { "completed" } else { "DID NOT COMPLETE" },
        );
    }
    println!(
        "kill-soak: {} kills in {:.0} s: {} double runs, {} lost lines, {} broken chains, {} resumes not completed",
        counts.kills,
        started.elapsed().as_secs_f64(),
        counts.double_runs,
        counts.lost_lines,
        counts.broken_chains,
        counts.unfinished
    );
    let clean = counts.double_runs + counts.lost_lines + counts.broken_chains + counts.unfinished == 0;
    std::process::exit(if clean { 0 } else { 1 });
}

struct Problems {
    double_runs: u32,
    lost_lines: u32,
    chain_ok: bool,
    finished: bool,
}

/// One run, killed `at` after its start, then resumed to its end; what went wrong.
fn one_kill(bin: &str, dir: &Path, at: Duration) -> (String, Option<Problems>) {
    std::fs::write(dir.join("soak.toml"), RUNBOOK).unwrap();
    std::fs::write(dir.join("guard.sh"), GUARD).unwrap();
    std::fs::write(dir.join("soak.db"), b"").unwrap();
    let mut printed = Vec::new();
    let mut lead = tminus(bin, dir, &["run", "soak.toml", "--headless", "--operator", "lead"]);
    let lines = read_lines(&mut lead);
    let deadline = Instant::now() + at;
    let mut run_id = String::new();
    let mut last = String::new();
    // The lead answers each prompt after a moment's thought: yes, and a rollback for the failure.
    let mut answer: Option<(Instant, &str)> = None;
    loop {
        let wake = answer.map_or(deadline, |(due, _)| due.min(deadline));
        match lines.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                if let Some(rest) = line.split(" · run ").nth(1) {
                    run_id = rest.split_whitespace().next().unwrap_or_default().to_string();
                }
                if line.contains("  ? ") {
                    let said = if line.contains("[retry / skip") { "rollback" } else { "y" };
                    answer = Some((Instant::now() + THINKING, said));
                }
                last = line.clone();
                printed.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() >= deadline => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some((_, said)) = answer.take() {
                    let _ = writeln!(lead.stdin.as_mut().unwrap(), "{said}");
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if lead.try_wait().ok().flatten().is_some() {
        return ("nothing: the run had ended".into(), None);
    }
    let _ = lead.kill();
    let _ = lead.wait();
    // What the lead printed before it died, but was still on its way through the pipe.
    printed.extend(lines.try_iter());
    let killed_in = last.split_once("  ").map_or(last.clone(), |(_, l)| l.to_string());
    if run_id.is_empty() {
        // Killed before the run began: nothing to resume, nothing to lose.
        return ("nothing: the run had not begun".into(), None);
    }
    resume(bin, dir, &run_id, &mut printed);
    let verified = output(bin, dir, &["verify", &run_id]);
    let report: serde_json::Value =
        serde_json::from_str(&output(bin, dir, &["report", &run_id, "--format", "json"])).unwrap_or_default();
    let journaled = journaled_lines(&report);
    let lost = printed
        .iter()
        .filter_map(|l| step_line(l))
        .filter(|line| !journaled.contains(line))
        .inspect(|line| eprintln!("  lost: {line:?}"))
        .count();
    let overlaps = std::fs::read_to_string(dir.join("overlaps")).unwrap_or_default();
    let problems = Problems {
        double_runs: overlaps.lines().count() as u32,
        lost_lines: lost as u32,
        chain_ok: verified.contains("chain verified"),
        // Succeeded, failed, rolled back or NO-GO: the run reached an end (perhaps just
        // before the kill, with nothing left to resume).
        finished: report["state"]["outcome"].is_string(),
    };
    (killed_in.chars().take(70).collect(), Some(problems))
}

/// `run --resume` to the end, answering what `--yes` does not: a copy still running is ended,
/// an interrupted step retried (typed out when it may run elsewhere), a failure rolled back.
fn resume(bin: &str, dir: &Path, run_id: &str, printed: &mut Vec<String>) {
    let mut child =
        tminus(bin, dir, &["run", "--resume", run_id, "--headless", "--yes", "--operator", "sam"]);
    let lines = read_lines(&mut child);
    let mut stdin = child.stdin.take();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        let answer = if line.contains("[wait / end") {
            Some("end".to_string())
        } else if line.contains("[retry <STEP-ID>") {
            let step = line.split("? ").nth(1).and_then(|r| r.split(':').next()).unwrap_or_default();
            Some(format!("retry {step}"))
        } else if line.contains("[retry / done") {
            Some("retry".into())
        } else if line.contains("[retry / skip") {
            Some("rollback".into())
        } else {
            None
        };
        if let (Some(answer), Some(pipe)) = (answer, stdin.as_mut()) {
            let _ = writeln!(pipe, "{answer}");
        }
        printed.push(line);
    }
    drop(stdin.take());
    let _ = child.wait();
}

fn tminus(bin: &str, dir: &Path, args: &[&str]) -> Child {
    Command::new(bin)
        .current_dir(dir)
        .env("TMINUS_JOURNAL", dir.join("journal.db"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tminus starts")
}

fn output(bin: &str, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .current_dir(dir)
        .env("TMINUS_JOURNAL", dir.join("journal.db"))
        .args(args)
        .output()
        .expect("tminus runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stdout line by line, from a thread: a kill never waits on a read.
fn read_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// `[step] text` lines: what a step printed, as headless shows it.
fn step_line(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix('[')?;
    let (step, text) = rest.split_once("] ")?;
    Some((step.to_string(), text.to_string()))
}

/// Every line of every step's output (and undo's) in the journal.
fn journaled_lines(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut lines = BTreeSet::new();
    for step in report["state"]["steps"].as_array().into_iter().flatten() {
        let id = step["plan"]["id"].as_str().unwrap_or_default().to_string();
        for tail in [&step["output"], &step["undo"]["output"]] {
            for line in tail["lines"].as_array().into_iter().flatten() {
                lines.insert((id.clone(), line.as_str().unwrap_or_default().to_string()));
            }
        }
    }
    lines
}
