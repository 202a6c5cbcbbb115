//! The loader under seeded mutations of the shipped runbooks: none may panic. The same loop runs
//! a million inputs from `bench/fuzz-runbooks.sh`.

#[path = "../examples/fuzz_runbooks/mutate.rs"]
mod mutate;

#[test]
fn two_thousand_mutated_runbooks_load_without_a_panic() {
    let corpus = mutate::corpus(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(corpus.files.len() >= 5, "the shipped runbooks are the corpus");
    let found = mutate::session(7, 2_000, 2, &corpus);
    assert_eq!(found.inputs, 2_000);
    assert!(found.panics.is_empty(), "panics (replay with --seed 7 --show I): {:?}", found.panics);
    assert!(found.accepted > 0, "no mutated runbook was valid: the mutations only test the parser");
}
