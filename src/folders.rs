//! tminus's own folders (`conductors/`, `logs/`, `reports/`, and the default `.tminus/`) are this
//! account's alone. Another account that owns one, or may write into it, could put its own
//! socket where the lead's commands go, or read and replace what tminus writes there: such a
//! folder is refused rather than used.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The folder of the default journal, wherever it is: tminus made it, so it is tminus's own.
const HOME: &str = ".tminus";

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// Another account owns it, or may write into it: nothing of tminus's goes there.
    #[error("{} {why}: refusing to use it; {fix}", path.display())]
    Untrusted { path: PathBuf, why: String, fix: &'static str },
    #[error("cannot use {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Makes `dir` for this account alone (0700, as any missing folder above it) and refuses it
/// when it is not tminus's own to use (see `trust`).
pub fn make(dir: &Path) -> Result<(), FolderError> {
    create(dir)?;
    trust(dir)
}

/// Makes a file journal's folder. Only a `.tminus` is tminus's own: any other was named by
/// whoever gave `--journal`, and who may write into it is their choice.
pub fn make_journal_folder(dir: &Path) -> Result<(), FolderError> {
    if is_home(dir) { make(dir) } else { create(dir) }
}

/// Refuses `path` (a folder of tminus's own, or the socket in one) when another account owns
/// it or its group or others may write it, and the same for the `.tminus` it is in. Root is
/// not trusted in another account's stead: a root-owned socket is root's alone (0600), so
/// trusting it would let no one in, and a root lead must not trust the sockets of others.
pub fn trust(path: &Path) -> Result<(), FolderError> {
    owned_here(path)?;
    match path.parent() {
        Some(parent) if is_home(parent) => owned_here(parent),
        _ => Ok(()),
    }
}

fn owned_here(path: &Path) -> Result<(), FolderError> {
    let meta =
        std::fs::metadata(path).map_err(|source| FolderError::Io { path: path.to_path_buf(), source })?;
    let me = nix::unistd::geteuid();
    let untrusted = |why: String, fix| Err(FolderError::Untrusted { path: path.to_path_buf(), why, fix });
    if meta.uid() != me.as_raw() {
        let owner = crate::engine::os_login(nix::unistd::Uid::from_raw(meta.uid()));
        return untrusted(format!("belongs to {owner}, not {}", crate::engine::os_login(me)), "remove it");
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        let fix = if meta.is_dir() { "remove it or chmod 700" } else { "remove it" };
        let by = if mode & 0o002 != 0 { "others" } else { "its group" };
        return untrusted(format!("is writable by {by} (mode {mode:04o})"), fix);
    }
    Ok(())
}

fn create(dir: &Path) -> Result<(), FolderError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| FolderError::Io { path: dir.to_path_buf(), source })
}

fn is_home(dir: &Path) -> bool {
    dir.file_name().is_some_and(|name| name == HOME)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_folder_made_here_is_owner_only_and_one_others_may_write_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join(".tminus");
        let logs = home.join("logs");
        make(&logs).unwrap();
        for dir in [&home, &logs] {
            assert_eq!(std::fs::metadata(dir).unwrap().mode() & 0o777, 0o700, "{}", dir.display());
        }

        chmod(&home, 0o777);
        assert_eq!(
            make(&logs).unwrap_err().to_string(),
            format!(
                "{} is writable by others (mode 0777): refusing to use it; remove it or chmod 700",
                home.display()
            )
        );
    }

    #[test]
    fn a_journal_folder_named_by_its_user_is_theirs_to_share() {
        let root = tempfile::tempdir().unwrap();
        let shared = root.path().join("team");
        std::fs::create_dir(&shared).unwrap();
        chmod(&shared, 0o2770);
        make_journal_folder(&shared).unwrap();
        make(&shared.join("reports")).unwrap();

        chmod(&shared.join("reports"), 0o770);
        let refused = make(&shared.join("reports")).unwrap_err().to_string();
        assert!(
            refused.ends_with(
                "reports is writable by its group (mode 0770): refusing to use it; remove it or chmod 700"
            ),
            "{refused}"
        );
    }
}
