//! Diagnostics go to a daily log file beside the journal: the screen belongs to the run.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::folders::FolderError;

/// Starts logging once; `TMINUS_LOG` sets the filter, like `info` or `tminus=debug,sqlx=warn`
/// (default `info`, and only warnings from the database driver, whose lower levels speak in
/// statements and URLs). Targets rather than an `EnvFilter`: its regex matching would build
/// every runbook's `expect` patterns as full DFAs, which makes loading a runbook several times
/// slower. A log folder another account could use is refused; one this account cannot write
/// sends the log to stderr, said once.
pub fn init(dir: &Path) -> Result<(), FolderError> {
    let writer = match crate::folders::make(dir).and_then(|()| DailyLog::open(dir)) {
        Ok(log) => BoxMakeWriter::new(Mutex::new(log)),
        Err(e @ FolderError::Untrusted { .. }) => return Err(e),
        Err(e) => {
            crate::cli::print_err(&format!("tminus: warning: {e}; diagnostics go to stderr"));
            BoxMakeWriter::new(std::io::stderr)
        }
    };
    let filter = std::env::var("TMINUS_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO).with_target("sqlx", Level::WARN));
    let _ = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish().with(filter).try_init();
    Ok(())
}

/// `tminus.log.YYYY-MM-DD` (UTC) in the log folder, a new file each day, each readable by this
/// account alone: a log holds hosts, paths and errors that are nobody else's business.
struct DailyLog {
    dir: PathBuf,
    day: NaiveDate,
    file: File,
}

impl DailyLog {
    fn open(dir: &Path) -> Result<Self, FolderError> {
        let day = Utc::now().date_naive();
        let file = day_file(dir, day)?;
        Ok(DailyLog { dir: dir.to_path_buf(), day, file })
    }
}

fn day_file(dir: &Path, day: NaiveDate) -> Result<File, FolderError> {
    let path = dir.join(format!("tminus.log.{}", day.format("%Y-%m-%d")));
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| FolderError::Io { path, source })
}

impl Write for DailyLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let today = Utc::now().date_naive();
        // A new day's file that cannot be made leaves the log in yesterday's.
        if today != self.day
            && let Ok(file) = day_file(&self.dir, today)
        {
            (self.file, self.day) = (file, today);
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}
