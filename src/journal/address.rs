//! What `--journal` / `TMINUS_JOURNAL` may name: a SQLite file by its path, or a PostgreSQL
//! database by its URL. Anything else is refused before a file or table is made for it.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

use crate::runbook::{MASK, Redactor, url_passwords};

const ACCEPTED: &str =
    "give a file path (a SQLite journal) or postgres://[user[:password]@]host[:port]/database";

/// How long a PostgreSQL server has to answer the first connection.
const CONNECT_WITHIN: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    #[error("journal {shown}: a {scheme}: URL cannot hold a journal; {ACCEPTED}")]
    Scheme { shown: String, scheme: String },
    #[error("journal {shown}: {why}; {ACCEPTED}")]
    Malformed { shown: String, why: String },
    #[error("journal {shown}: the URL names no database; {ACCEPTED}")]
    NoDatabase { shown: String },
    #[error("journal {shown}: cannot connect to {server}: {why}")]
    Unreachable { shown: String, server: String, why: String },
    #[error("journal {shown}: is a folder; name the journal's file in it, e.g. {shown}/journal.db")]
    Folder { shown: String },
}

impl AddressError {
    /// A journal that is named wrongly is bad input; one that does not answer is not.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, AddressError::Unreachable { .. })
    }
}

pub enum Address {
    File(PathBuf),
    Postgres(Postgres),
}

/// A PostgreSQL journal's URL, checked to name a server and a database.
pub struct Postgres {
    url: url::Url,
    /// The location as it may be shown: its password masked.
    pub shown: String,
}

impl Address {
    pub fn parse(location: &str) -> Result<Address, AddressError> {
        let Some(scheme) = url_scheme(location) else {
            let path = PathBuf::from(location);
            if path.is_dir() {
                return Err(AddressError::Folder { shown: location.trim_end_matches('/').to_string() });
            }
            return Ok(Address::File(path));
        };
        let shown = mask_password(location);
        if !["postgres", "postgresql"].contains(&scheme.to_ascii_lowercase().as_str()) {
            return Err(AddressError::Scheme { shown, scheme: scheme.to_string() });
        }
        let url = match url::Url::parse(location) {
            Ok(url) => url,
            Err(e) => return Err(AddressError::Malformed { shown, why: e.to_string() }),
        };
        if !url.has_authority() {
            let why = format!("a {scheme} URL begins {scheme}://");
            return Err(AddressError::Malformed { shown, why });
        }
        let named = !url.path().trim_start_matches('/').is_empty()
            || url.query_pairs().any(|(key, value)| key == "dbname" && !value.is_empty());
        if !named {
            return Err(AddressError::NoDatabase { shown });
        }
        Ok(Address::Postgres(Postgres { url, shown }))
    }
}

impl Postgres {
    /// Connection options that never log a statement, once a first connection has shown that
    /// the server answers: a pool would retry a refused connection until its timeout and then
    /// report only that it timed out.
    pub async fn connect_options(&self) -> Result<PgConnectOptions, AddressError> {
        let (connection, options) = self.connect().await?;
        let _ = connection.close().await;
        Ok(options)
    }

    /// One connection, and the options it was made with: a one-off command (a post into the
    /// inbox) connects once, where a connection for `connect_options` and then its own would
    /// pay for two TLS handshakes.
    pub async fn connect(&self) -> Result<(PgConnection, PgConnectOptions), AddressError> {
        let unreachable = |why: String| AddressError::Unreachable {
            shown: self.shown.clone(),
            server: self.server(),
            why: self.mask(&why),
        };
        let options = PgConnectOptions::from_str(self.url.as_str())
            .map_err(|e| AddressError::Malformed { shown: self.shown.clone(), why: self.mask(&reason(&e)) })?
            .disable_statement_logging();
        match tokio::time::timeout(CONNECT_WITHIN, PgConnection::connect_with(&options)).await {
            Ok(Ok(connection)) => Ok((connection, options)),
            Ok(Err(e)) => Err(unreachable(reason(&e))),
            Err(_) => Err(unreachable(format!("no answer within {}s", CONNECT_WITHIN.as_secs()))),
        }
    }

    fn server(&self) -> String {
        let host = self.url.host_str().filter(|h| !h.is_empty()).unwrap_or("localhost");
        format!("{host}:{}", self.url.port().unwrap_or(5432))
    }

    /// A driver's message with this URL's password masked, should it ever quote it.
    fn mask(&self, text: &str) -> String {
        self.redactor().text(text).into_owned()
    }

    fn redactor(&self) -> Redactor {
        Redactor::new(url_passwords(&self.url))
    }
}

/// Masks the password of the journal at `location` in any message, for errors a database
/// driver words itself.
pub fn password_redactor(location: &str) -> Redactor {
    match Address::parse(location) {
        Ok(Address::Postgres(pg)) => pg.redactor(),
        _ => Redactor::default(),
    }
}

/// The scheme of a location that looks like a URL (`scheme:/…`, the scheme shaped as RFC 3986
/// has it), so that a mistyped URL is refused rather than taken for a folder's name.
fn url_scheme(location: &str) -> Option<&str> {
    let (scheme, rest) = location.split_once(':')?;
    let mut chars = scheme.chars();
    let shaped = chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (shaped && rest.starts_with('/')).then_some(scheme)
}

/// A location with the password of its `scheme://user:password@…` masked, however broken the
/// rest of the URL is: everything from the user's colon to the last `@`, which may mask too much
/// but never too little.
pub fn mask_password(location: &str) -> String {
    let Some(scheme) = url_scheme(location) else { return location.to_string() };
    let start = location.len() - location[scheme.len() + 1..].trim_start_matches('/').len();
    let Some(at) = location[start..].rfind('@').map(|i| start + i) else { return location.to_string() };
    match location[start..at].find(':').map(|i| start + i) {
        Some(colon) => format!("{}{MASK}{}", &location[..=colon], &location[at..]),
        None => location.to_string(),
    }
}

/// The part of a database error a person needs, without the driver's wrapping.
pub fn reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            _ => io.to_string(),
        },
        sqlx::Error::PoolTimedOut => "timed out".into(),
        sqlx::Error::Configuration(why) => why.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(location: &str) -> String {
        match Address::parse(location) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{location} was accepted"),
        }
    }

    #[test]
    fn paths_and_postgres_urls_are_journals() {
        assert!(matches!(Address::parse(".tminus/journal.db"), Ok(Address::File(_))));
        assert!(matches!(Address::parse("/var/lib/tminus/j.db"), Ok(Address::File(_))));
        assert!(matches!(Address::parse("odd:name.db"), Ok(Address::File(_))), "no slash after the colon");
        for url in [
            "postgres://u:pw@db.example:5433/journal",
            "POSTGRES://db/journal",
            "postgresql://db/journal?sslmode=disable",
            "postgres://db/?dbname=journal",
        ] {
            assert!(matches!(Address::parse(url), Ok(Address::Postgres(_))), "{url}");
        }
    }

    #[test]
    fn other_urls_are_refused_with_the_password_masked() {
        let said = refused("mysql://root:hunter2@db/test");
        assert_eq!(
            said,
            format!("journal mysql://root:****@db/test: a mysql: URL cannot hold a journal; {ACCEPTED}")
        );
        for bad in ["pg://db/j", "sqlite:///tmp/j.db", "https://x/y", "postgres:/db/j"] {
            assert!(refused(bad).starts_with(&format!("journal {bad}: ")), "{bad}");
        }
    }

    #[test]
    fn a_malformed_url_never_shows_its_password() {
        let said = refused("postgres://admin:S3cretPw@127.0.0.1:99999/test");
        assert!(said.contains("admin:****@127.0.0.1:99999/test"), "{said}");
        assert!(said.contains("invalid port number"), "{said}");
        let said = refused("postgres://admin:pa/ss@wd@db:x/test");
        assert!(!said.contains("pa/ss") && !said.contains("wd@"), "{said}");
    }

    #[test]
    fn a_url_without_a_database_is_refused() {
        for bare in ["postgres://db", "postgres://u:pw@db:5432/", "postgresql://db/?dbname="] {
            let said = refused(bare);
            assert!(said.contains("names no database"), "{said}");
            assert!(!said.contains(":pw@"), "{said}");
        }
    }

    #[test]
    fn a_drivers_message_is_masked_too() {
        let hide = password_redactor("postgres://u:p%40ss@h/d");
        assert_eq!(hide.text("p%40ss or p@ss"), "**** or ****");
        assert!(password_redactor("journal.db").is_empty());
    }

    #[test]
    fn masking_passwords() {
        assert_eq!(mask_password("postgres://u:p@h/d"), "postgres://u:****@h/d");
        assert_eq!(mask_password("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(mask_password("postgres://h:5432/d"), "postgres://h:5432/d");
        assert_eq!(mask_password("postgres:/u:p@h/d"), "postgres:/u:****@h/d");
        assert_eq!(mask_password("a/path/to/journal.db"), "a/path/to/journal.db");
        assert_eq!(mask_password("odd:name@x.db"), "odd:name@x.db");
    }
}
