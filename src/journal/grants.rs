//! `tminus grant`: what a database login may do with a shared PostgreSQL journal, kept by the
//! database itself. `watch` reads; `sign` also writes commands into the inbox, never events;
//! `drive` may run a conductor.

use sqlx::Connection;

use super::address::Address;
use super::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Watch,
    Sign,
    Drive,
}

/// The statements that give `login` exactly `level` in `schema`.
pub fn statements(schema: &str, login: &str, level: Level) -> Vec<String> {
    let (schema, who) = (quote(schema), quote(login));
    let mut sql = vec![
        format!("GRANT USAGE ON SCHEMA {schema} TO {who}"),
        format!("REVOKE ALL ON runs, events, leases, inbox FROM {who}"),
        format!("REVOKE ALL ON SEQUENCE events_id_seq, inbox_id_seq FROM {who}"),
        format!("GRANT SELECT ON runs, events, leases TO {who}"),
    ];
    if level != Level::Watch {
        sql.push(format!("GRANT SELECT, INSERT ON inbox TO {who}"));
        sql.push(format!("GRANT USAGE ON SEQUENCE inbox_id_seq TO {who}"));
    }
    if level == Level::Drive {
        sql.push(format!("GRANT INSERT, UPDATE ON runs TO {who}"));
        sql.push(format!("GRANT INSERT ON events TO {who}"));
        sql.push(format!("GRANT INSERT, UPDATE, DELETE ON leases TO {who}"));
        sql.push(format!("GRANT USAGE ON SEQUENCE events_id_seq TO {who}"));
        sql.push(format!("GRANT SELECT ON _sqlx_migrations TO {who}"));
    }
    sql
}

/// A name as a quoted SQL identifier: whatever it holds, it stays one name.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Gives `login` `level` on the journal at `location` (whose tables must exist: open it first).
pub async fn grant(location: &str, login: &str, level: Level) -> Result<(), StoreError> {
    let Address::Postgres(pg) = Address::parse(location)? else {
        return Err(StoreError::NotShared { location: location.to_string() });
    };
    let db = |source| StoreError::Database { location: pg.shown.clone(), source };
    let (mut conn, _) = pg.connect().await?;
    let schema: String =
        sqlx::query_scalar("SELECT current_schema()").fetch_one(&mut conn).await.map_err(db)?;
    let mut tx = conn.begin().await.map_err(db)?;
    for statement in statements(&schema, login, level) {
        // Every name in it is a quoted identifier (`quote`).
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watcher_only_reads_and_a_login_is_one_name_whatever_it_holds() {
        let sql = statements("s", "eve\"; DROP TABLE events; --", Level::Watch);
        assert!(sql.iter().all(|s| !s.contains("INSERT ON")), "{sql:?}");
        assert!(sql[0].ends_with("TO \"eve\"\"; DROP TABLE events; --\""), "{}", sql[0]);
        assert!(
            statements("s", "thandi", Level::Sign)
                .iter()
                .any(|s| s == "GRANT SELECT, INSERT ON inbox TO \"thandi\"")
        );
        assert!(!statements("s", "thandi", Level::Sign).iter().any(|s| s.contains("ON events TO")));
    }
}
