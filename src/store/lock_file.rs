//! One server per data folder: `herald.pid`, locked while its owner runs.
//!
//! Two servers appending to one log would interleave their records and
//! break it, so the second refuses to start. Whether the folder is taken
//! is decided by the operating system, not by reading the file: the owner
//! holds an exclusive lock on `herald.pid` (`flock`, through std's
//! [`File::try_lock`]) for as long as it runs, and the system releases it
//! when the process ends, however it ends. So two servers started at the
//! same moment cannot both take the folder, and a file left by a server
//! that died (`kill -9`, a power loss) is simply taken over. The file holds
//! the owner's process id, for the message that names it.
//!
//! The file is made with `create_new` when there is none; when there is
//! one, it is opened as it is. Either way the lock decides. One race is
//! left to check: an owner that is stopping removes the file, and a server
//! that opened it just before may then lock a file no longer in the
//! folder. So after locking, the file must still be the one at the path.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The lock file's name inside `--data-dir`.
pub const LOCK_FILE: &str = "herald.pid";

/// How often to start again when the file changes under us; each time
/// means an owner stopped in between, which does not happen twice in a row
/// but under a fight of several servers.
const TAKE_ATTEMPTS: usize = 8;

/// `herald.pid` in the data folder, locked while this value lives.
pub struct LockFile {
    path: PathBuf,
    /// The open file holds the lock: closing it gives the folder back.
    _file: File,
}

/// Why the folder could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another server holds it; its process id, if the file says.
    Held(Option<u32>),
    /// The file could not be made, opened, locked or written.
    Io(io::Error),
}

impl LockFile {
    /// Takes the folder, or says which herald holds it.
    ///
    /// # Errors
    /// [`LockError::Held`] when another server holds the lock,
    /// [`LockError::Io`] when the file cannot be used.
    pub fn take(dir: &Path) -> Result<LockFile, LockError> {
        let path = dir.join(LOCK_FILE);
        for _ in 0..TAKE_ATTEMPTS {
            let Some(file) = open_or_create(&path)? else {
                continue; // removed between two looks: start again
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(LockError::Held(owner(&path))),
                Err(TryLockError::Error(error)) => return Err(LockError::Io(error)),
            }
            if !is_at(&file, &path) {
                continue; // we locked a file its owner had just removed
            }
            write_pid(&file).map_err(LockError::Io)?;
            return Ok(LockFile { path, _file: file });
        }
        Err(LockError::Io(io::Error::other(
            "the lock file keeps changing: another herald is starting and stopping here",
        )))
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes when the file closes.
        let _ = fs::remove_file(&self.path);
    }
}

/// The lock file, made new or opened as it is; `None` if it vanished
/// between the two attempts.
fn open_or_create(path: &Path) -> Result<Option<File>, LockError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    match options.clone().create_new(true).open(path) {
        Ok(file) => return Ok(Some(file)),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(LockError::Io(error)),
    }
    match options.open(path) {
        Ok(file) => Ok(Some(file)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(LockError::Io(error)),
    }
}

/// Whether `file` is still the file at `path` (same device and inode).
fn is_at(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::metadata(path)) {
        (Ok(ours), Ok(there)) => ours.dev() == there.dev() && ours.ino() == there.ino(),
        _ => false,
    }
}

/// Replaces what the file says with this process's id.
fn write_pid(mut file: &File) -> io::Result<()> {
    file.set_len(0)?;
    file.write_all(format!("{}\n", std::process::id()).as_bytes())
}

/// The owner's process id, as its lock file says.
fn owner(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("herald-lock-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn of_servers_started_at_the_same_moment_one_takes_the_folder() {
        let dir = temp_dir("race");
        let start = Arc::new(Barrier::new(8));
        let takers: Vec<_> = (0..8)
            .map(|_| {
                let (dir, start) = (dir.clone(), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    LockFile::take(&dir).ok()
                })
            })
            .collect();
        let locks: Vec<LockFile> = takers
            .into_iter()
            .filter_map(|taker| taker.join().unwrap())
            .collect();
        assert_eq!(locks.len(), 1, "exactly one of eight takes the folder");
        drop(locks);
        assert!(
            LockFile::take(&dir).is_ok(),
            "free again once it is dropped"
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_lock_left_by_a_dead_server_is_taken_over() {
        let dir = temp_dir("stale");
        // A pid no process has (above Linux's pid_max of 2^22).
        fs::write(dir.join(LOCK_FILE), "4999999\n").unwrap();
        let lock = LockFile::take(&dir).expect("a stale lock is taken over");
        let owner = fs::read_to_string(dir.join(LOCK_FILE)).unwrap();
        assert_eq!(owner.trim(), std::process::id().to_string());
        drop(lock);
        assert!(!dir.join(LOCK_FILE).exists(), "removed when dropped");
        let _ = fs::remove_dir_all(dir);
    }
}
