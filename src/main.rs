fn main() {
    std::process::exit(tminus::cli::main());
}
