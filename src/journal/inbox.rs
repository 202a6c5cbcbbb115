//! The inbox of a shared PostgreSQL journal: commands from people on other machines. A client
//! writes a row; the database stamps it with the login that wrote it; the run's conductor hears
//! of it through LISTEN/NOTIFY and takes it as that login's command.

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener};

use super::address::Address;
use super::store::StoreError;

/// A command read from the inbox: who the database says wrote it, the name they go by, and
/// the act as JSON.
pub struct Posted {
    pub login: String,
    pub name: String,
    pub act: String,
}

fn db(location: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |source| StoreError::Database { location: location.to_string(), source }
}

/// A connection to a PostgreSQL journal, the options it was made with, and how to show it.
async fn connect(location: &str) -> Result<Option<(PgConnection, PgConnectOptions, String)>, StoreError> {
    let Address::Postgres(pg) = Address::parse(location)? else { return Ok(None) };
    let (conn, options) = pg.connect().await?;
    Ok(Some((conn, options, pg.shown)))
}

/// Writes a command for `run_id`'s conductor; returns the login the database recorded it
/// under. `None` when the journal is not PostgreSQL: there is no inbox to write to.
pub async fn post(location: &str, run_id: &str, name: &str, act: &str) -> Result<Option<String>, StoreError> {
    let Some((mut conn, _, shown)) = connect(location).await? else { return Ok(None) };
    let row = sqlx::query("INSERT INTO inbox (run_id, name, act) VALUES ($1, $2, $3) RETURNING login")
        .bind(run_id)
        .bind(name)
        .bind(act)
        .fetch_one(&mut conn)
        .await
        .map_err(db(&shown))?;
    Ok(Some(row.get("login")))
}

/// The login the database knows this connection as: who an inbox row will say wrote it.
pub async fn login(location: &str) -> Result<Option<String>, StoreError> {
    let Some((mut conn, _, shown)) = connect(location).await? else { return Ok(None) };
    let login =
        sqlx::query_scalar("SELECT session_user::text").fetch_one(&mut conn).await.map_err(db(&shown))?;
    Ok(Some(login))
}

/// Sends every command posted for `run_id` from now on, as it arrives, until nobody listens.
/// Does nothing for a journal that is not PostgreSQL.
pub async fn follow(
    location: &str,
    run_id: &str,
    to: tokio::sync::mpsc::Sender<Posted>,
) -> Result<(), StoreError> {
    let Some((mut conn, options, shown)) = connect(location).await? else { return Ok(()) };
    let mut listener =
        PgListener::connect_with(&sqlx::PgPool::connect_lazy_with(options)).await.map_err(db(&shown))?;
    listener.listen("tminus_inbox").await.map_err(db(&shown))?;
    // What was posted before this conductor was there is not its to act on.
    let mut after: i64 = sqlx::query_scalar("SELECT COALESCE(max(id), 0) FROM inbox")
        .fetch_one(&mut conn)
        .await
        .map_err(db(&shown))?;
    loop {
        let rows =
            sqlx::query("SELECT id, login, name, act FROM inbox WHERE run_id = $1 AND id > $2 ORDER BY id")
                .bind(run_id)
                .bind(after)
                .fetch_all(&mut conn)
                .await
                .map_err(db(&shown))?;
        for row in rows {
            after = row.get("id");
            let posted = Posted { login: row.get("login"), name: row.get("name"), act: row.get("act") };
            if to.send(posted).await.is_err() {
                return Ok(());
            }
        }
        // A notification, or a quiet second: a notification lost while reconnecting is made up.
        let quiet = std::time::Duration::from_secs(1);
        if let Ok(Err(e)) = tokio::time::timeout(quiet, listener.recv()).await {
            // The listening connection is down: try again in a moment, not in a spin.
            tracing::warn!("the inbox listener: {e}");
            tokio::time::sleep(quiet).await;
        }
    }
}
