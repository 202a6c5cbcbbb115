//! SQL checks against PostgreSQL, MySQL/MariaDB and SQLite: one query in a read-only
//! transaction, its first value (or row count) held against the expectation.

use std::path::Path;
use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use futures::TryStreamExt;
use sqlx::AnyConnection;
use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, Row};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{Instant, timeout};

use super::check::{CheckOutcome, ms};
use crate::journal::{Metric, reason};
use crate::runbook::{SqlCheck, format_duration};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the check; what it connected to and what it read go to `lines`.
pub async fn run(
    check: &SqlCheck,
    dir: &Path,
    limit: Option<Duration>,
    lines: &UnboundedSender<String>,
) -> CheckOutcome {
    let limit = limit.unwrap_or(DEFAULT_TIMEOUT);
    let target = Target::parse(&check.url, dir);
    match timeout(limit, query(check, &target, lines)).await {
        Ok(outcome) => outcome,
        Err(_) => {
            CheckOutcome::failed(format!("{} did not answer within {}", target.name, format_duration(limit)))
        }
    }
}

/// Where a URL points, named without its password, and the URL to connect with.
struct Target {
    name: String,
    connect: String,
}

impl Target {
    fn parse(url: &str, dir: &Path) -> Self {
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let (path, _) = path.split_once('?').unwrap_or((path, ""));
            let path =
                if Path::new(path).is_absolute() { Path::new(path).to_path_buf() } else { dir.join(path) };
            // Read-only at the connection too: a check can never create or change the file.
            return Target {
                name: format!("sqlite {}", path.display()),
                connect: format!("sqlite://{}?mode=ro", path.display()),
            };
        }
        let name = match url::Url::parse(url) {
            Ok(u) => {
                let engine = match u.scheme() {
                    "postgres" | "postgresql" => "postgres",
                    "mysql" | "mariadb" => "mysql",
                    other => other,
                };
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                let db = u.path().trim_start_matches('/');
                let user =
                    if u.username().is_empty() { String::new() } else { format!(" as {}", u.username()) };
                format!("{engine} at {}{port}/{db}{user}", u.host_str().unwrap_or("?"))
            }
            Err(_) => "the database".to_string(),
        };
        let connect = url.replacen("mariadb://", "mysql://", 1);
        Target { name, connect }
    }
}

fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

async fn query(check: &SqlCheck, target: &Target, lines: &UnboundedSender<String>) -> CheckOutcome {
    install_drivers();
    // A query or URL may hold a secret: no driver may log one, slow or not.
    let connected = match AnyConnectOptions::from_str(&target.connect) {
        Ok(options) => options.disable_statement_logging().connect().await,
        Err(e) => Err(e),
    };
    let mut conn = match connected {
        Ok(c) => c,
        Err(e) => {
            return CheckOutcome::failed(format!("cannot connect to {}: {}", target.name, reason(&e)));
        }
    };
    let _ = lines.send(format!("connected to {}", target.name));
    let begin: &[&str] = match conn.backend_name() {
        "PostgreSQL" => &["BEGIN READ ONLY"],
        "MySQL" => &["SET SESSION TRANSACTION READ ONLY", "START TRANSACTION READ ONLY"],
        _ => &["PRAGMA query_only = ON", "BEGIN"],
    };
    for statement in begin {
        if let Err(e) = conn.execute(*statement).await {
            return CheckOutcome::failed(format!(
                "{} refused a read-only transaction: {}",
                target.name,
                reason(&e)
            ));
        }
    }
    let started = Instant::now();
    let result = first_value_and_count(&mut conn, &check.query).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    // Nothing a check does is kept, whatever it tried.
    let _ = conn.execute("ROLLBACK").await;
    let _ = conn.close().await;
    let (value, rows) = match result {
        Ok(found) => found,
        Err(e) => {
            return CheckOutcome::failed(format!("the query failed on {}: {}", target.name, reason(&e)));
        }
    };
    let answer =
        if check.expect_rows { rows.to_string() } else { value.clone().unwrap_or_else(|| "NULL".into()) };
    let _ =
        lines.send(format!("{} in {} ({rows} row{})", answer, ms(took), if rows == 1 { "" } else { "s" }));

    let mut metrics = Vec::new();
    let mut reasons = Vec::new();
    let what = if check.expect_rows { "rows" } else { "value" };
    match &check.expect {
        Some(expect) => {
            let met = (check.expect_rows || value.is_some()) && expect.met_by(&answer);
            metrics.push(Metric::against(what, answer.clone(), expect.to_string(), met));
            if !met {
                reasons.push(format!("{what} is {answer}, expected {expect}"));
            }
        }
        None => metrics.push(Metric::info(what, answer.clone())),
    }
    match check.max_ms {
        Some(max) => {
            let fast = took <= max;
            metrics.push(Metric::against("query time", ms(took), format!("≤ {}", ms(max)), fast));
            if !fast {
                reasons.push(format!("the query took {}, over the {} limit", ms(took), ms(max)));
            }
        }
        None => metrics.push(Metric::info("query time", ms(took))),
    }
    let pass = reasons.is_empty();
    let message = if pass { format!("{what} {answer} in {}", ms(took)) } else { reasons.join("; ") };
    CheckOutcome { pass, message: Some(message), metrics }
}

/// The first column of the first row, as text, and how many rows there were.
async fn first_value_and_count(
    conn: &mut AnyConnection,
    query: &str,
) -> Result<(Option<String>, u64), sqlx::Error> {
    // The runbook's own query, run on a read-only connection: checking it is its author's job.
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(query.to_owned())).fetch(conn);
    let mut first = None;
    let mut count = 0u64;
    while let Some(row) = rows.try_next().await? {
        if count == 0 && !row.columns().is_empty() {
            first = Some(text_of(&row));
        }
        count += 1;
    }
    Ok((first.flatten(), count))
}

fn text_of(row: &sqlx::any::AnyRow) -> Option<String> {
    if let Ok(v) = row.try_get::<Option<i64>, _>(0) {
        return v.map(|v| v.to_string());
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(0) {
        return v.map(|v| v.to_string());
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(0) {
        return v;
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(0) {
        return v.map(|v| v.to_string());
    }
    Some("<a value of a type checks cannot read: cast it to text or a number>".into())
}
