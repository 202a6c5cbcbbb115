//! The stand-in service that rehearsals check: serves canned JSON and HTML from a folder over
//! HTTP on 127.0.0.1, and loads SQL files into SQLite databases, so a runbook's `http` and `sql`
//! steps can be rehearsed on any machine with nothing but tminus.
//!
//! A request for `/a/b` answers with `ROOT/a/b.json` (or `ROOT/a/b.html`; `ROOT/index.html` for
//! `/`), whatever the method; the query string is ignored. Inside a file, `{{header:X-Name}}` is
//! replaced by that request header. Anything else is a 404.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sqlx::{ConnectOptions, Connection, Executor};
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot load {sql} into {db}: {source}")]
    Load { sql: PathBuf, db: PathBuf, source: sqlx::Error },
    #[error("{root} is not a folder")]
    NoRoot { root: PathBuf },
}

/// Serves ROOT on 127.0.0.1:PORT until `ended` says why to stop (the run that started it has
/// ended: see [`run_ended`]), or at the latest until `stop_after` has passed, so a forgotten
/// stand-in ends.
pub async fn serve(
    root: &Path,
    port: u16,
    pidfile: Option<&Path>,
    stop_after: Duration,
    ended: impl std::future::Future<Output = String>,
) -> Result<(), ExampleError> {
    if !root.is_dir() {
        return Err(ExampleError::NoRoot { root: root.to_path_buf() });
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = TcpListener::bind(addr).await.map_err(|source| ExampleError::Listen { addr, source })?;
    // The pid file appears only once the port listens: scripts wait for it to know it is up.
    if let Some(path) = pidfile {
        std::fs::write(path, format!("{}\n", std::process::id()))
            .map_err(|source| ExampleError::Write { path: path.to_path_buf(), source })?;
    }
    // Its output goes to a log file; a log that cannot be written stops nothing.
    say(&format!(
        "serving {} on http://{addr} for at most {}",
        root.display(),
        crate::runbook::format_duration(stop_after)
    ));
    let root = Arc::new(root.to_path_buf());
    let deadline = tokio::time::sleep(stop_after);
    tokio::pin!(deadline);
    tokio::pin!(ended);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => continue,
            },
            _ = &mut deadline => {
                say(&format!("stopping: {} have passed", crate::runbook::format_duration(stop_after)));
                break;
            }
            why = &mut ended => {
                say(&format!("stopping: {why}"));
                break;
            }
        };
        let root = root.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(root.clone(), request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
    if let Some(path) = pidfile {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

async fn answer(root: Arc<PathBuf>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().trim_matches('/');
    let candidates = if path.is_empty() {
        vec!["index.html".to_string()]
    } else {
        vec![format!("{path}.json"), format!("{path}.html")]
    };
    for relative in candidates {
        // Only files below the root: no `..` walks out of it.
        if relative.split('/').any(|part| part == ".." || part.is_empty()) {
            break;
        }
        let file = root.join(&relative);
        let Ok(text) = tokio::fs::read_to_string(&file).await else {
            continue;
        };
        let body = fill_headers(&text, &request);
        let kind = if relative.ends_with(".json") { "application/json" } else { "text/html; charset=utf-8" };
        return Ok(Response::builder()
            .header("Content-Type", kind)
            .body(Full::new(Bytes::from(body)))
            .expect("a plain response builds"));
    }
    Ok(Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from_static(b"{\"error\":\"not found\"}")))
        .expect("a plain response builds"))
}

/// Returns once run `run_id` has ended in the journal at `location`, saying so. A journal that
/// cannot be read is tried again; a run that never ends (its conductor killed and never
/// resumed) never returns, and the stand-in's own time limit ends it.
pub async fn run_ended(location: String, run_id: String) -> String {
    let poll = Duration::from_millis(500);
    loop {
        let store = match crate::journal::open_read_only(&location).await {
            Ok(store) => store,
            Err(_) => {
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        loop {
            match store.run(Some(&run_id)).await {
                Ok(run) => {
                    if let Some(outcome) = &run.outcome {
                        let outcome = crate::journal::RunOutcome::parse(outcome)
                            .map_or_else(|| outcome.clone(), |o| o.label().to_string());
                        return format!("run {} has ended ({outcome})", run.id);
                    }
                }
                Err(crate::journal::StoreError::NoSuchRun { .. }) => {}
                Err(_) => break,
            }
            tokio::time::sleep(poll).await;
        }
        tokio::time::sleep(poll).await;
    }
}

/// A line of the stand-in's own, on stdout (its log); a closed one is not an error.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// `{{header:X-Site-Id}}` becomes that request header's value (empty when absent).
fn fill_headers(text: &str, request: &Request<Incoming>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{header:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{{header:".len()..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let value = request.headers().get(&after[..end]).and_then(|v| v.to_str().ok()).unwrap_or("");
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Creates (or recreates) the SQLite database `db` from the statements in `sql`.
pub async fn load_db(sql: &Path, db: &Path) -> Result<(), ExampleError> {
    let text = std::fs::read_to_string(sql)
        .map_err(|source| ExampleError::Read { path: sql.to_path_buf(), source })?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|source| ExampleError::Write { path: dir.to_path_buf(), source })?;
    }
    let _ = std::fs::remove_file(db);
    let load = |source| ExampleError::Load { sql: sql.to_path_buf(), db: db.to_path_buf(), source };
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(true)
        .disable_statement_logging();
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(load)?;
    // The stand-in's own seed file, written for the rehearsal.
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(text))).await.map_err(load)?;
    conn.close().await.map_err(load)?;
    say(&format!("loaded {} into {}", sql.display(), db.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_files_fills_headers_and_refuses_the_rest() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("api")).unwrap();
        std::fs::write(
            root.path().join("api/health.json"),
            r#"{"status":"ok","site":"{{header:X-Site-Id}}"}"#,
        )
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let dir = root.path().to_path_buf();
        tokio::spawn(async move {
            serve(&dir, port, None, Duration::from_secs(30), std::future::pending::<String>()).await
        });
        let client = crate::http_client::build().unwrap();
        let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
        let mut health = None;
        for _ in 0..50 {
            if let Ok(r) = client.get(url("/api/health?x=1")).header("X-Site-Id", "GN_KINDIA").send().await {
                health = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let health = health.expect("the stand-in answers");
        assert_eq!(health.status(), 200);
        assert_eq!(health.text().await.unwrap(), r#"{"status":"ok","site":"GN_KINDIA"}"#);
        assert_eq!(client.get(url("/api/nothing")).send().await.unwrap().status(), 404);
        assert_eq!(client.get(url("/../../etc/passwd")).send().await.unwrap().status(), 404);
    }

    #[tokio::test]
    async fn loads_sql_into_a_fresh_database() {
        let dir = tempfile::tempdir().unwrap();
        let sql = dir.path().join("seed.sql");
        std::fs::write(
            &sql,
            "CREATE TABLE sites (code TEXT); INSERT INTO sites VALUES ('GN_LABE'), ('SN_DAKAR');",
        )
        .unwrap();
        let db = dir.path().join("data/seed.db");
        load_db(&sql, &db).await.unwrap();
        load_db(&sql, &db).await.expect("loading again starts from a fresh file");
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sites").fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 2);
    }
}
