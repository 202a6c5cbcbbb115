//! Bringing a shared PostgreSQL journal's tables up to date, by the one login that may. A driver
//! opening a journal that is already up to date only reads which migrations it has: it needs no
//! CREATE on the schema (PostgreSQL 15 gives none on `public`) and never waits for the
//! migrator's lock. Only the tables' owner migrates, and waits for that lock a bounded time, so
//! a login that may only watch can hold it but never stall anyone.

use std::collections::HashMap;
use std::time::Duration;

use sqlx::Connection;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnection, PgPool};

use super::store::StoreError;

/// How long a migration waits for any lock: the migrator's own, and each table it changes.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Brings the journal in `pool` up to `migrator`'s migrations, or says who must.
pub async fn postgres(pool: &PgPool, mut migrator: Migrator, location: &str) -> Result<(), StoreError> {
    let db = |source| StoreError::Database { location: location.to_string(), source };
    let mut conn = pool.acquire().await.map_err(db)?;
    let who = Who::read(&mut conn).await.map_err(db)?;
    match pending(&mut conn, &migrator, &who, location).await? {
        Pending::None => return Ok(()),
        Pending::Some { fresh } if !who.may_migrate => {
            let Who { login, schema, search_path, owner, .. } = who;
            return Err(match (fresh, schema) {
                (_, None) => StoreError::NoSchema { location: location.to_string(), search_path },
                (true, Some(schema)) => {
                    StoreError::NoCreate { location: location.to_string(), schema, owner, login }
                }
                (false, Some(_)) => StoreError::NeedsOwner { location: location.to_string(), owner, login },
            });
        }
        Pending::Some { .. } => {}
    }
    // The lock and the wait limit stay with this session: it never goes back to the pool.
    let mut conn = conn.detach();
    sqlx::query("SELECT set_config('lock_timeout', $1, false)")
        .bind(format!("{}ms", LOCK_WAIT.as_millis()))
        .execute(&mut conn)
        .await
        .map_err(db)?;
    lock(&mut conn, location).await?;
    // This session holds the very lock sqlx would take, and waited for it within bounds.
    migrator.set_locking(false);
    let migrated = migrator
        .run(&mut conn)
        .await
        .map_err(|source| StoreError::Migrate { location: location.to_string(), source });
    // Closing the session lets go of its lock, whatever became of the migration.
    let _ = conn.close().await;
    migrated
}

/// Who this session is, and whose the journal's tables are.
struct Who {
    login: String,
    /// The schema the tables are in (or would be made in); `None` when no schema on the search
    /// path exists.
    schema: Option<String>,
    search_path: String,
    /// Who made the tables, or, before there are any, who owns the schema.
    owner: String,
    /// Whether this login may change the tables (or, before there are any, make them).
    may_migrate: bool,
}

impl Who {
    async fn read(conn: &mut PgConnection) -> Result<Who, sqlx::Error> {
        // The schema's owner on PostgreSQL 15's `public` is a stand-in role for the database's.
        let row: (String, Option<String>, String, Option<String>, Option<bool>) = sqlx::query_as(
            "WITH s AS (
                SELECT n.nspname, CASE WHEN pg_get_userbyid(n.nspowner) = 'pg_database_owner'
                    THEN (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
                    ELSE pg_get_userbyid(n.nspowner) END AS owner
                FROM pg_namespace n WHERE n.nspname = current_schema()
            ), t AS (
                SELECT pg_get_userbyid(relowner) AS owner, pg_has_role(relowner, 'USAGE') AS mine
                FROM pg_class WHERE oid = to_regclass('_sqlx_migrations')
            )
            SELECT session_user::text, (SELECT nspname::text FROM s), current_setting('search_path'),
                COALESCE((SELECT owner FROM t), (SELECT owner FROM s)),
                COALESCE((SELECT mine FROM t),
                         has_schema_privilege(current_schema(), 'CREATE') AND current_schema() IS NOT NULL)",
        )
        .fetch_one(&mut *conn)
        .await?;
        let (login, schema, search_path, owner, may_migrate) = row;
        Ok(Who {
            login,
            schema,
            search_path,
            owner: owner.unwrap_or_else(|| "its owner".into()),
            may_migrate: may_migrate.unwrap_or(false),
        })
    }
}

enum Pending {
    None,
    /// Migrations to apply; `fresh` when there is no journal at all yet.
    Some {
        fresh: bool,
    },
}

/// What is left to apply, read without any lock. A journal whose migrations differ from this
/// tminus's is an error whoever opens it.
async fn pending(
    conn: &mut PgConnection,
    migrator: &Migrator,
    who: &Who,
    location: &str,
) -> Result<Pending, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| StoreError::Database { location: location.to_string(), source })?;
    if !exists {
        return Ok(Pending::Some { fresh: true });
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        match sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
        {
            Ok(applied) => applied,
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42501") => {
                return Err(StoreError::NotDriver {
                    location: location.to_string(),
                    owner: who.owner.clone(),
                    login: who.login.clone(),
                });
            }
            Err(source) => return Err(StoreError::Database { location: location.to_string(), source }),
        };
    let known: HashMap<i64, &[u8]> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| (m.version, m.checksum.as_ref()))
        .collect();
    let migrate = |source| Err(StoreError::Migrate { location: location.to_string(), source });
    for (version, checksum, success) in &applied {
        match known.get(version) {
            _ if !success => return migrate(MigrateError::Dirty(*version)),
            None => return migrate(MigrateError::VersionMissing(*version)),
            Some(ours) if *ours != checksum.as_slice() => {
                return migrate(MigrateError::VersionMismatch(*version));
            }
            Some(_) => {}
        }
    }
    Ok(match applied.len() < known.len() {
        true => Pending::Some { fresh: false },
        false => Pending::None,
    })
}

/// Takes the migrator's lock on this session, waiting at most `LOCK_WAIT` (the session's
/// lock_timeout), and saying whom it waits for.
async fn lock(conn: &mut PgConnection, location: &str) -> Result<(), StoreError> {
    let db = |source| StoreError::Database { location: location.to_string(), source };
    let database: String =
        sqlx::query_scalar("SELECT current_database()::text").fetch_one(&mut *conn).await.map_err(db)?;
    let key = lock_key(&database);
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    if taken {
        return Ok(());
    }
    let holder = holder(conn, key).await.map_err(db)?;
    let said = format!(
        "journal {location}: waiting for the journal's migration lock held by {holder}, {}s at most…",
        LOCK_WAIT.as_secs()
    );
    tracing::warn!("{said}");
    crate::cli::print_err(&said);
    match sqlx::query("SELECT pg_advisory_lock($1)").bind(key).execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("55P03") => {
            // Named again: whoever holds it now is whom the person must ask.
            let holder = self::holder(conn, key).await.unwrap_or(holder);
            Err(StoreError::MigrationLock {
                location: location.to_string(),
                holder,
                waited: LOCK_WAIT.as_secs(),
            })
        }
        Err(source) => Err(db(source)),
    }
}

/// The key sqlx's migrator locks for `database`, so that tminus and any other sqlx migrator
/// of the same database exclude each other.
fn lock_key(database: &str) -> i64 {
    0x3d32ad9e * i64::from(crc32fast::hash(database.as_bytes()))
}

/// Who holds the advisory lock `key` in this database, in words: "pid N (login X)".
async fn holder(conn: &mut PgConnection, key: i64) -> Result<String, sqlx::Error> {
    // A bigint key is kept as its high and low halves.
    let bits = key as u64;
    let held: Option<(i32, Option<String>)> = sqlx::query_as(
        "SELECT l.pid, a.usename::text FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = $1 AND l.objid::bigint = $2
         LIMIT 1",
    )
    .bind((bits >> 32) as i64)
    .bind((bits & 0xffff_ffff) as i64)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match held {
        Some((pid, Some(login))) => format!("pid {pid} (login {login})"),
        Some((pid, None)) => format!("pid {pid}"),
        None => "another session".to_string(),
    })
}
