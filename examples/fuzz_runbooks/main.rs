//! Fuzzes the runbook loader on stable Rust: `cargo run --release --example fuzz_runbooks --
//! [--inputs N] [--seed S] [--threads T] [--show I]`. Prints how many inputs ran, the panics
//! (none expected) and the slowest input; `--show I` prints input I of the seed to replay it.
//! Run by `bench/fuzz-runbooks.sh`.

mod mutate;

use std::time::Instant;

fn main() {
    let mut inputs: u64 = 1_000_000;
    let mut seed: u64 = 1;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let mut show = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.replace('_', "").parse::<u64>().ok());
        let Some(value) = value else {
            eprintln!("usage: fuzz_runbooks [--inputs N] [--seed S] [--threads T] [--show I]");
            std::process::exit(2);
        };
        match flag.as_str() {
            "--inputs" => inputs = value,
            "--seed" => seed = value,
            "--threads" => threads = value,
            "--show" => show = Some(value),
            _ => {
                eprintln!("unknown flag {flag}");
                std::process::exit(2);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = mutate::corpus(root);
    if let Some(i) = show {
        let (path, text) = mutate::input(seed, i, &corpus);
        eprintln!("input {i} of seed {seed}, from {}:", path.display());
        print!("{text}");
        return;
    }
    let started = Instant::now();
    let found = mutate::session(seed, inputs, threads, &corpus);
    let wall = started.elapsed();
    for (i, message) in &found.panics {
        println!("panic on input {i}: {message}  (replay: --seed {seed} --show {i})");
    }
    let (slowest, took) = found.slowest;
    println!(
        "{} inputs from {} runbooks ({} accepted), seed {seed}, {threads} threads: {} panics; slowest \
         input {slowest} ({:.1} ms); wall {:.1} s ({:.0} inputs/s)",
        found.inputs,
        corpus.files.len(),
        found.accepted,
        found.panics.len(),
        took.as_secs_f64() * 1000.0,
        wall.as_secs_f64(),
        found.inputs as f64 / wall.as_secs_f64()
    );
    if !found.panics.is_empty() {
        std::process::exit(1);
    }
}
