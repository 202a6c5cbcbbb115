//! The chain's anchor. A hash chain alone proves nothing to someone who can write the journal:
//! they rewrite an event and hash the chain again. So the conductor signs the chain's head at
//! every gate, rollback and the run's end with a key of its own (Ed25519), kept 0600 in the
//! user's config folder, its public half journaled when the run starts. `verify` checks every
//! signed head, and says which key signed and whether this machine trusts it: a history signed
//! again with a forger's own key is named too.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// The conductor's signing key.
pub struct Seal {
    key: SigningKey,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private half, in any log.
        write!(f, "Seal({})", self.public())
    }
}

/// Where this user's tminus keeps its key and the keys it trusts.
pub fn folder() -> Result<PathBuf, String> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config"))
        })
        .ok_or("neither XDG_CONFIG_HOME nor HOME is set")?;
    Ok(base.join("tminus"))
}

impl Seal {
    /// This user's conductor key, made on first use.
    pub fn mine() -> Result<Seal, String> {
        let folder = folder()?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&folder)
            .map_err(|e| format!("{}: {e}", folder.display()))?;
        let path = folder.join("conductor.key");
        match std::fs::read(&path) {
            Ok(bytes) => Seal::from_file(&path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Seal::make(&folder, &path),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    fn from_file(path: &Path, bytes: &[u8]) -> Result<Seal, String> {
        let mode =
            std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{}: others may read it (mode {:o}): chmod 600 it",
                path.display(),
                mode & 0o777
            ));
        }
        let text = String::from_utf8_lossy(bytes);
        let secret: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("{}: not a tminus key", path.display()))?;
        Ok(Seal { key: SigningKey::from_bytes(&secret) })
    }

    /// A new key, written whole under a name of its own and linked into place, so two
    /// conductors starting at once end up with the same key.
    fn make(folder: &Path, path: &Path) -> Result<Seal, String> {
        let mut secret = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut secret))
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        let draft = folder.join(format!(".conductor.key.{}", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&draft)
            .and_then(|mut f| f.write_all(hex::encode(secret).as_bytes()).and_then(|()| f.sync_all()));
        let linked = written.and_then(|()| std::fs::hard_link(&draft, path));
        let _ = std::fs::remove_file(&draft);
        match linked {
            Ok(()) => {
                let seal = Seal { key: SigningKey::from_bytes(&secret) };
                // This host is known by this key from now on: a history signed in its name by
                // any other key is named by `verify`.
                let host =
                    nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
                record(folder, &host, &seal.public());
                Ok(seal)
            }
            // Another conductor made it first: theirs is the key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Seal::mine(),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The public half, as journaled and printed.
    pub fn public(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// Signs that event `seq` of `run_id` hashes to `hash`.
    pub fn sign(&self, run_id: &str, seq: i64, hash: &str) -> String {
        hex::encode(self.key.sign(&message(run_id, seq, hash)).to_bytes())
    }
}

/// Whether `signature` is `key`'s over event `seq` of `run_id` hashing to `hash`.
pub fn holds(key: &str, run_id: &str, seq: i64, hash: &str, signature: &str) -> bool {
    let key = hex::decode(key).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
    let signature = hex::decode(signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok());
    let (Some(key), Some(signature)) = (key, signature) else { return false };
    let Ok(key) = VerifyingKey::from_bytes(&key) else { return false };
    key.verify(&message(run_id, seq, hash), &Signature::from_bytes(&signature)).is_ok()
}

fn message(run_id: &str, seq: i64, hash: &str) -> Vec<u8> {
    format!("tminus chain head v1\n{run_id}\n{seq}\n{hash}\n").into_bytes()
}

/// What this machine makes of a key that signed a run's heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// This user's own conductor key.
    Own,
    /// Recorded for `host` before (on the date given).
    Known { since: String },
    /// First seen now, for a host this machine knew no key of: recorded, as ssh does.
    FirstUse,
    /// `host` is known by another key: someone signed in its name.
    Other { known: String },
}

impl std::fmt::Display for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trust::Own => write!(f, "this machine's own conductor key"),
            Trust::Known { since } => write!(f, "trusted since {since}"),
            Trust::FirstUse => write!(f, "first seen now, recorded as trusted"),
            Trust::Other { known } => write!(f, "NOT TRUSTED: this machine knows that host by key {known}"),
        }
    }
}

/// Whether `key` is trusted for `host`, from `trusted_keys` beside this user's key (a line per
/// host: `HOST KEY DATE`). A host seen for the first time is recorded with its key.
pub fn trust(host: &str, key: &str) -> Trust {
    let Ok(folder) = folder() else { return Trust::FirstUse };
    let own = folder.join("conductor.key");
    if std::fs::read(&own)
        .ok()
        .and_then(|b| Seal::from_file(&own, &b).ok())
        .is_some_and(|s| s.public() == key)
    {
        return Trust::Own;
    }
    let known = std::fs::read_to_string(folder.join("trusted_keys")).unwrap_or_default();
    for line in known.lines() {
        let mut words = line.split_whitespace();
        if let (Some(h), Some(k)) = (words.next(), words.next()) {
            if h == host && k == key {
                return Trust::Known { since: words.next().unwrap_or("before").to_string() };
            }
            if h == host {
                return Trust::Other { known: k.to_string() };
            }
        }
    }
    record(&folder, host, key);
    Trust::FirstUse
}

/// `key` is `host`'s from now on, in `trusted_keys`.
fn record(folder: &Path, host: &str, key: &str) {
    let path = folder.join("trusted_keys");
    let line = format!("{host} {key} {}\n", chrono::Utc::now().format("%Y-%m-%d"));
    let recorded = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(folder).and_then(|()| {
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)?
            .write_all(line.as_bytes())
    });
    if let Err(e) = recorded {
        tracing::warn!("cannot record a trusted key in {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_signed_holds_only_for_its_run_event_and_hash() {
        let seal = Seal { key: SigningKey::from_bytes(&[7u8; 32]) };
        let signature = seal.sign("r1", 12, "abc");
        assert!(holds(&seal.public(), "r1", 12, "abc", &signature));
        assert!(!holds(&seal.public(), "r1", 12, "abd", &signature));
        assert!(!holds(&seal.public(), "r1", 13, "abc", &signature));
        assert!(!holds(&seal.public(), "r2", 12, "abc", &signature));
        let forger = Seal { key: SigningKey::from_bytes(&[8u8; 32]) };
        assert!(!holds(&forger.public(), "r1", 12, "abc", &signature));
        assert!(!holds("zz", "r1", 12, "abc", &signature));
        assert!(!format!("{seal:?}").contains(&hex::encode([7u8; 32])));
    }
}
