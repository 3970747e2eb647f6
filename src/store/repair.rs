//! `herald repair --data-dir DIR`: rewrite a damaged event log with every
//! intact record, and say what was skipped.
//!
//! Start-up refuses a log with damage in the middle (see
//! [`crate::store::recovery`]), because cutting it there would drop the
//! acknowledged events after the damage without a word. This is the way on:
//! it walks the log record by record, copies each intact one to a new file,
//! and at each unreadable stretch looks for the next intact record, as
//! start-up does, and resumes there. A stretch with no intact record after
//! it is a torn tail.
//!
//! Nothing is destroyed: the new log is synced and renamed into place, and
//! the old one stays beside it as `events.log.before-repair`, for whoever
//! wants to look at the damaged bytes. It takes the folder's lock, so it
//! never runs beside a server.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::event::EventId;
use crate::limits::MAX_RECORD_PAYLOAD_BYTES;
use crate::store::event_log::{LOG_FILE, sync_dir};
use crate::store::lock_file::{LockError, LockFile};
use crate::store::record::{self, FILE_HEADER, FRAME_BYTES};
use crate::store::recovery::next_intact_record;

/// Where the log is kept as it was before a repair.
pub const BEFORE_REPAIR_FILE: &str = "events.log.before-repair";

/// What a repair did.
#[derive(Debug)]
pub struct Report {
    /// Intact records copied to the new log.
    pub kept: usize,
    /// The byte ranges of the old log that did not read as records.
    pub skipped: Vec<Range<u64>>,
    /// Where the old log now is, if it was replaced.
    pub original: Option<PathBuf>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.skipped.is_empty() {
            return write!(
                f,
                "the log is intact: {} records, nothing changed",
                self.kept
            );
        }
        write!(f, "kept {} intact records; skipped", self.kept)?;
        for (i, range) in self.skipped.iter().enumerate() {
            let separator = if i == 0 { "" } else { "," };
            let length = range.end - range.start;
            write!(
                f,
                "{separator} bytes {}..{} ({length} bytes)",
                range.start, range.end
            )?;
        }
        if let Some(original) = &self.original {
            write!(f, "; the old log is kept as {}", original.display())?;
        }
        Ok(())
    }
}

/// Why the repair could not be done.
#[derive(Debug)]
pub enum RepairError {
    /// A server (or another repair) holds the folder.
    Locked(Option<u32>),
    /// The file does not start as a herald event log does.
    NotALog(PathBuf),
    /// A file could not be read or written.
    Io(PathBuf, io::Error),
}

impl fmt::Display for RepairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepairError::Locked(pid) => {
                let pid = pid.map_or("unknown".to_string(), |pid| pid.to_string());
                write!(
                    f,
                    "the folder is in use by a herald (pid {pid}); stop it first"
                )
            }
            RepairError::NotALog(path) => write!(
                f,
                "{} does not start as a herald event log; nothing to repair",
                path.display()
            ),
            RepairError::Io(path, error) => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for RepairError {}

/// Repairs the log in `dir`; an intact log is left as it is.
///
/// # Errors
/// See [`RepairError`].
pub fn repair(dir: &Path) -> Result<Report, RepairError> {
    let _lock = LockFile::take(dir).map_err(|error| match error {
        LockError::Held(pid) => RepairError::Locked(pid),
        LockError::Io(error) => RepairError::Io(dir.to_path_buf(), error),
    })?;
    let path = dir.join(LOG_FILE);
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |error| RepairError::Io(path, error)
    };
    let old = File::open(&path).map_err(io_error(&path))?;
    let new_path = dir.join(format!("{LOG_FILE}.repairing"));
    let new = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&new_path)
        .map_err(io_error(&new_path))?;
    let mut report = copy_intact(&old, &new).map_err(|error| match error {
        CopyError::NotALog => RepairError::NotALog(path.clone()),
        CopyError::Io(error) => RepairError::Io(path.clone(), error),
    })?;
    if report.skipped.is_empty() {
        drop(new);
        let _ = fs::remove_file(&new_path);
        return Ok(report);
    }
    new.sync_all().map_err(io_error(&new_path))?;
    let original = dir.join(BEFORE_REPAIR_FILE);
    fs::rename(&path, &original).map_err(io_error(&path))?;
    fs::rename(&new_path, &path).map_err(io_error(&new_path))?;
    sync_dir(dir).map_err(io_error(dir))?;
    report.original = Some(original);
    Ok(report)
}

enum CopyError {
    NotALog,
    Io(io::Error),
}

impl From<io::Error> for CopyError {
    fn from(error: io::Error) -> Self {
        CopyError::Io(error)
    }
}

/// Copies every intact record of `old` to `new`, in order.
fn copy_intact(old: &File, new: &File) -> Result<Report, CopyError> {
    let file_len = old.metadata()?.len();
    let mut header = vec![0u8; FILE_HEADER.len()];
    if old.read_exact_at(&mut header, 0).is_err() || header != FILE_HEADER {
        return Err(CopyError::NotALog);
    }
    let mut out = BufWriter::new(new);
    out.write_all(FILE_HEADER)?;
    let mut report = Report {
        kept: 0,
        skipped: Vec::new(),
        original: None,
    };
    let mut offset = FILE_HEADER.len() as u64;
    let mut last_id: EventId = 0;
    let mut bytes = Vec::new();
    while offset < file_len {
        if let Some(id) = intact_record(old, offset, file_len, &mut bytes)? {
            out.write_all(&bytes)?;
            report.kept += 1;
            last_id = id;
            offset += bytes.len() as u64;
            continue;
        }
        let next = next_intact_record(old, offset + 1, file_len, last_id)?;
        let resume = next.unwrap_or(file_len);
        report.skipped.push(offset..resume);
        offset = resume;
    }
    out.flush()?;
    Ok(report)
}

/// The id of the record at `offset`, with its bytes (frame and payload) in
/// `bytes`, if it reads whole, decodes, and has a plausible length.
fn intact_record(
    file: &File,
    offset: u64,
    file_len: u64,
    bytes: &mut Vec<u8>,
) -> io::Result<Option<EventId>> {
    let mut frame = [0u8; FRAME_BYTES];
    if offset + FRAME_BYTES as u64 > file_len {
        return Ok(None);
    }
    file.read_exact_at(&mut frame, offset)?;
    let (length, checksum) = record::frame(frame);
    let end = offset + (FRAME_BYTES + length) as u64;
    if length > MAX_RECORD_PAYLOAD_BYTES || end > file_len {
        return Ok(None);
    }
    bytes.clear();
    bytes.extend_from_slice(&frame);
    bytes.resize(FRAME_BYTES + length, 0);
    file.read_exact_at(&mut bytes[FRAME_BYTES..], offset + FRAME_BYTES as u64)?;
    Ok(record::decode(&bytes[FRAME_BYTES..], checksum).map(|record| record.id))
}
