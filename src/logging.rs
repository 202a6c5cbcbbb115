//! Diagnostics go to a daily log file beside the journal: the screen belongs to the run.

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Starts file logging once; `TMINUS_LOG` sets the filter (default `info`, and only warnings
/// from the database driver, whose lower levels speak in statements and URLs).
pub fn init(dir: &Path) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let appender = tracing_appender::rolling::daily(dir, "tminus.log");
    let filter = EnvFilter::try_from_env("TMINUS_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ =
        tracing_subscriber::fmt().with_writer(appender).with_ansi(false).with_env_filter(filter).try_init();
}
