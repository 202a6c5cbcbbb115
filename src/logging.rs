//! Diagnostics go to a daily log file beside the journal: the screen belongs to the run.

use std::path::Path;

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Starts file logging once; `TMINUS_LOG` sets the filter, like `info` or `tminus=debug,sqlx=warn`
/// (default `info`, and only warnings from the database driver, whose lower levels speak in
/// statements and URLs). Targets rather than an `EnvFilter`: its regex matching would build
/// every runbook's `expect` patterns as full DFAs, which makes loading a runbook several times
/// slower.
pub fn init(dir: &Path) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let appender = tracing_appender::rolling::daily(dir, "tminus.log");
    let filter = std::env::var("TMINUS_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO).with_target("sqlx", Level::WARN));
    let _ = tracing_subscriber::fmt().with_writer(appender).with_ansi(false).finish().with(filter).try_init();
}
