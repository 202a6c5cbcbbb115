//! The floor under a journaled flood: the seconds SQLite alone takes to store a file as the
//! journal stores a step's output (the same page size, log and sync settings, one row of half a
//! megabyte per transaction, through the same driver), from creating the database to closing
//! it, with the log copied into the file as it grows, in the same thread. No hashing, masking,
//! pipes or printing. Run by `bench/flood.sh` beside tminus itself.
//!
//! Usage: sqlite_floor FILE DIR

use std::io::Read;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: sqlite_floor FILE DIR");
        std::process::exit(2);
    };
    let mut input = std::fs::File::open(&file).unwrap_or_else(|e| {
        eprintln!("sqlite_floor: cannot read {file}: {e}");
        std::process::exit(2);
    });
    let start = Instant::now();
    // The journal's own settings (src/journal/sql_store.rs), but for its checkpoints, which it
    // takes on a connection of their own: here the insert that fills 64 MB of log copies it.
    let options = SqliteConnectOptions::new()
        .filename(std::path::Path::new(&dir).join("floor.db"))
        .create_if_missing(true)
        .page_size(16384)
        .pragma("wal_autocheckpoint", "4096")
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let pool =
        SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("database opens");
    sqlx::query("CREATE TABLE output (seq INTEGER PRIMARY KEY, data BLOB)")
        .execute(&pool)
        .await
        .expect("table created");
    let mut seq = 0_i64;
    loop {
        let mut batch = Vec::with_capacity(tminus::engine::FLUSH_BYTES);
        let read = (&mut input)
            .take(tminus::engine::FLUSH_BYTES as u64)
            .read_to_end(&mut batch)
            .expect("file reads");
        if read == 0 {
            break;
        }
        seq += 1;
        sqlx::query("INSERT INTO output (seq, data) VALUES ($1, $2)")
            .bind(seq)
            .bind(batch)
            .execute(&pool)
            .await
            .expect("row inserted");
    }
    // Closing copies the log into the database file, as at the end of a run.
    pool.close().await;
    println!("{:.3}", start.elapsed().as_secs_f64());
}
