//! One server per data folder: `herald.pid`, holding the owner's process id.
//!
//! Two servers appending to one log would interleave their records and
//! break it, so the second refuses to start. A lock left by a server that
//! died (`kill -9`, a power loss) is stale: its process is gone, or is not
//! a herald any more, and the next server takes the folder over.

use std::fs;
use std::path::{Path, PathBuf};

use crate::store::event_log::OpenError;

/// The lock file's name inside `--data-dir`.
pub const LOCK_FILE: &str = "herald.pid";

/// `herald.pid` in the data folder, holding the owner's process id.
pub struct LockFile {
    path: PathBuf,
}

impl LockFile {
    /// Takes the folder, or says which herald holds it.
    pub fn take(dir: &Path) -> Result<LockFile, OpenError> {
        let path = dir.join(LOCK_FILE);
        let io_error = |error| OpenError::Io {
            path: path.clone(),
            error,
        };
        if let Ok(text) = fs::read_to_string(&path)
            && let Ok(pid) = text.trim().parse::<u32>()
            && pid != std::process::id()
            && is_herald(pid)
        {
            return Err(OpenError::Locked {
                dir: dir.to_path_buf(),
                pid,
            });
        }
        // No lock, or a stale one from a server that died: take it.
        fs::write(&path, format!("{}\n", std::process::id())).map_err(io_error)?;
        Ok(LockFile { path })
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether process `pid` is alive and is a herald (Linux `/proc`), so a
/// stale lock whose pid was reused by another program is not obeyed.
fn is_herald(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|name| name.trim().starts_with("herald"))
}
