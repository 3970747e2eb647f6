//! The event log on disk: an append-only file of records, written the way a
//! careful storage engine writes it.
//!
//! - **Append only.** A batch of records is written at the end with one
//!   `write`; if the write fails (a full disk), the file is cut back to where
//!   it was, so no half-written record stays behind.
//! - **Recovery.** At start-up the whole file is read (see
//!   [`crate::store::recovery`]). Records cut short at the very end (the
//!   server died mid-write) are cut off and reported; a bad record with an
//!   intact one anywhere after it is damage, and start-up stops with both
//!   offsets, since cutting there would lose acknowledged events silently.
//! - **Compaction.** The file keeps growing, so once it holds four times the
//!   history, the records still in the history are copied to a new file,
//!   which is synced and renamed over the old one, and then the folder is
//!   synced. A crash at any moment leaves either the old file or the new one,
//!   each whole. Each key's current value (see `hub/state/`) is copied too,
//!   before the history, however old it is ([`crate::store::state_records`]).
//! - **One server per folder.** A locked file with the owner's pid keeps a
//!   second herald from writing the same log (see
//!   [`crate::store::lock_file`]).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::event::{Event, EventId};
use crate::hub::state::ledger::KeyName;
use crate::limits::{COMPACT_AT_HISTORY_MULTIPLE, COMPACT_MIN_HISTORY_EVENTS};
use crate::store::lock_file::{LOCK_FILE, LockError, LockFile};
use crate::store::record::{FILE_HEADER, Record};
use crate::store::recovery::{self, Damage, ScanError};
use crate::store::state_records::{Placed, StateRecords};

/// The log's file name inside `--data-dir`.
pub const LOG_FILE: &str = "events.log";

/// An open event log.
pub struct EventLog {
    file: File,
    dir: PathBuf,
    /// Bytes in the file.
    len: u64,
    /// Where each of the newest `keep` records starts.
    offsets: VecDeque<u64>,
    /// How many records the history holds (and compaction keeps).
    keep: usize,
    /// Records in the file.
    records: usize,
    /// Where each key's current value lies.
    state: StateRecords,
    /// What the last batch changed in `state`, to put back if its sync
    /// fails and it is cut off.
    last_batch_state: Vec<(KeyName, Option<Placed>)>,
    _lock: LockFile,
}

/// A log just opened, and what was found in it.
pub struct Opened {
    /// The log, ready to append to.
    pub log: EventLog,
    /// The newest records, up to the history's size, oldest first.
    pub recent: Vec<Record>,
    /// The records of the keys' current values older than `recent`,
    /// oldest first.
    pub values: Vec<Record>,
    /// How many records the file holds.
    pub records: usize,
    /// Bytes of a torn last record that were cut off.
    pub dropped_bytes: u64,
}

/// Why the log could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// Another herald holds the folder.
    Locked {
        /// The folder.
        dir: PathBuf,
        /// The other server's process id, if its lock file says.
        pid: Option<u32>,
    },
    /// The folder or file could not be created, read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// `--data-dir` names something that is not a folder.
    NotAFolder(PathBuf),
    /// A damaged record in the middle of the log.
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
        /// Where the next intact record starts, when there is one.
        next_intact: Option<u64>,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Locked { dir, pid } => {
                let pid = pid.map_or("unknown".to_string(), |pid| pid.to_string());
                write!(
                    f,
                    "{} is in use by another herald (pid {pid}); stop it or use another --data-dir",
                    dir.display()
                )
            }
            OpenError::Io { path, error } => write!(f, "cannot use {}: {error}", path.display()),
            OpenError::NotAFolder(path) => write!(
                f,
                "--data-dir {} is not a folder: name a folder (herald creates it if it does not exist)",
                path.display()
            ),
            OpenError::Corrupt {
                path,
                offset,
                next_intact: Some(next),
            } => write!(
                f,
                "{} is damaged at byte {offset}, and intact records follow from byte {next}: \
                 herald will not cut them off. `herald repair --data-dir {}` keeps every \
                 intact record, says what it skipped, and keeps the old file beside the new",
                path.display(),
                path.parent()
                    .map_or(".".into(), |dir| dir.display().to_string())
            ),
            OpenError::Corrupt { path, offset, .. } => write!(
                f,
                "{} is damaged at byte {offset}: it is not a herald event log",
                path.display()
            ),
        }
    }
}

impl std::error::Error for OpenError {}

impl EventLog {
    /// Opens (or creates) the log in `dir`, recovering what it holds.
    /// `keep` is the history's size.
    pub fn open(dir: &Path, keep: usize) -> Result<Opened, OpenError> {
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |error| OpenError::Io { path, error }
        };
        if dir.exists() && !dir.is_dir() {
            return Err(OpenError::NotAFolder(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let lock = LockFile::take(dir).map_err(|error| match error {
            LockError::Held(pid) => OpenError::Locked {
                dir: dir.to_path_buf(),
                pid,
            },
            LockError::Io(error) => OpenError::Io {
                path: dir.join(LOCK_FILE),
                error,
            },
        })?;
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_error(&path))?;
        let file_len = file.metadata().map_err(io_error(&path))?.len();
        if file_len == 0 {
            file.write_all(FILE_HEADER).map_err(io_error(&path))?;
            file.sync_all().map_err(io_error(&path))?;
            sync_dir(dir).map_err(io_error(dir))?;
        }
        let scan = recovery::scan(&mut file, keep).map_err(|error| match error {
            ScanError::Io(error) => OpenError::Io {
                path: path.clone(),
                error,
            },
            ScanError::Damaged(Damage::NotALog) => OpenError::Corrupt {
                path: path.clone(),
                offset: 0,
                next_intact: None,
            },
            ScanError::Damaged(Damage::InTheMiddle { at, next }) => OpenError::Corrupt {
                path: path.clone(),
                offset: at,
                next_intact: Some(next),
            },
        })?;
        let values = recovery::older_values(&file, &scan).map_err(io_error(&path))?;
        let dropped_bytes = file_len.saturating_sub(scan.good_len).min(file_len);
        if file_len > 0 && scan.good_len < file_len {
            file.set_len(scan.good_len).map_err(io_error(&path))?;
            file.sync_all().map_err(io_error(&path))?;
        }
        let log = EventLog {
            file,
            dir: dir.to_path_buf(),
            len: scan.good_len.max(FILE_HEADER.len() as u64),
            offsets: scan.offsets,
            keep,
            records: scan.records,
            state: scan.state,
            last_batch_state: Vec::new(),
            _lock: lock,
        };
        Ok(Opened {
            log,
            recent: scan.recent.into(),
            values,
            records: scan.records,
            dropped_bytes: if file_len == 0 { 0 } else { dropped_bytes },
        })
    }

    /// Writes `batch` (records from [`crate::store::record::encode`]) at the end; `starts`
    /// are where each record begins within it, `events` what each holds. On
    /// failure the file is cut back, so nothing of the batch remains.
    pub fn append(
        &mut self,
        batch: &[u8],
        starts: &[usize],
        events: &[(EventId, &Event)],
    ) -> io::Result<()> {
        if let Err(error) = self.file.write_all(batch) {
            self.cut_back();
            return Err(error);
        }
        self.last_batch_state.clear();
        let ends = starts.iter().skip(1).copied().chain([batch.len()]);
        for ((&start, end), (id, event)) in starts.iter().zip(ends).zip(events) {
            let offset = self.len + start as u64;
            self.offsets.push_back(offset);
            if self.offsets.len() > self.keep {
                self.offsets.pop_front();
            }
            if let Some(keyed) = event.keyed() {
                let len = (end - start) as u64;
                let placed = Placed {
                    id: *id,
                    offset,
                    len,
                };
                let before = self.state.follow(event.topic_name(), keyed, placed);
                self.last_batch_state.push(before);
            }
        }
        self.len += batch.len() as u64;
        self.records += starts.len();
        Ok(())
    }

    /// Makes everything appended so far durable. On failure the last batch
    /// is cut back: `starts` and `batch_len` say what it was.
    pub fn sync(&mut self, batch_len: usize, batch_records: usize) -> io::Result<()> {
        if let Err(error) = self.file.sync_data() {
            self.len -= batch_len as u64;
            self.records -= batch_records;
            while self.offsets.back().is_some_and(|&at| at >= self.len) {
                self.offsets.pop_back();
            }
            if batch_len > 0 {
                for (name, before) in self.last_batch_state.drain(..).rev() {
                    self.state.put_back(name, before);
                }
            }
            self.cut_back();
            return Err(error);
        }
        Ok(())
    }

    /// Whether the file has grown past its bound: four times the history,
    /// on top of the values that compaction keeps however old.
    pub fn needs_compaction(&self) -> bool {
        let bound = COMPACT_AT_HISTORY_MULTIPLE * self.keep.max(COMPACT_MIN_HISTORY_EVENTS);
        self.records > bound + self.state.len()
    }

    /// Rewrites the file with only the records the history holds, and
    /// before them the keys' current values that are older.
    pub fn compact(&mut self) -> io::Result<()> {
        let Some(&from) = self.offsets.front() else {
            return Ok(());
        };
        let path = self.dir.join(LOG_FILE);
        let temporary = self.dir.join(format!("{LOG_FILE}.compacting"));
        let mut new = File::create(&temporary)?;
        new.write_all(FILE_HEADER)?;
        let mut old = File::open(&path)?;
        let values = self.state.before(from, self.len);
        let mut new_places = HashMap::with_capacity(values.len());
        let mut at = FILE_HEADER.len() as u64;
        for placed in &values {
            old.seek(SeekFrom::Start(placed.offset))?;
            io::copy(&mut (&old).take(placed.len), &mut new)?;
            new_places.insert(placed.offset, at);
            at += placed.len;
        }
        old.seek(SeekFrom::Start(from))?;
        io::copy(&mut old.take(self.len - from), &mut new)?;
        new.sync_all()?;
        fs::rename(&temporary, &path)?;
        sync_dir(&self.dir)?;
        self.file = OpenOptions::new().read(true).append(true).open(&path)?;
        // The history's records moved by the same amount: what was cut
        // before them, less the values copied in.
        let shift = from - at;
        for offset in &mut self.offsets {
            *offset -= shift;
        }
        self.state
            .moved(|placed| match new_places.get(&placed.offset) {
                Some(&moved) => Some(moved),
                None => (placed.offset >= from).then(|| placed.offset - shift),
            });
        self.len -= shift;
        self.records = self.offsets.len() + values.len();
        Ok(())
    }

    /// Cuts the file back to its last whole record after a failed write.
    fn cut_back(&mut self) {
        let _ = self.file.set_len(self.len);
    }
}

/// Syncs a folder, so a file created or renamed in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::store::record::{self, FRAME_BYTES};

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("herald-log-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn append_events(log: &mut EventLog, ids: std::ops::Range<u64>) {
        let events: Vec<_> = ids
            .map(|id| (id, Event::new(format!("event {id}")).unwrap()))
            .collect();
        append(log, &events);
    }

    fn append(log: &mut EventLog, events: &[(u64, Event)]) {
        let mut batch = Vec::new();
        let mut starts = Vec::new();
        for (id, event) in events {
            starts.push(batch.len());
            record::encode(*id, 0, event, &mut batch);
        }
        let events: Vec<_> = events.iter().map(|(id, event)| (*id, event)).collect();
        log.append(&batch, &starts, &events).unwrap();
        log.sync(batch.len(), starts.len()).unwrap();
    }

    #[test]
    fn compaction_keeps_every_current_value_however_old() {
        let dir = temp_dir("values");
        let mut opened = EventLog::open(&dir, 10).unwrap();
        let value = |text: &str, key: &str| {
            Event::new(text)
                .unwrap()
                .topic("t")
                .unwrap()
                .key(key, None)
                .unwrap()
        };
        let gone = value("x", "deleted").with_change("deleted", crate::event::Change::Delete);
        append(
            &mut opened.log,
            &[
                (1, value("old", "kept")),
                (2, value("first", "replaced")),
                (3, value("soon gone", "deleted")),
                (4, value("second", "replaced")),
                (5, gone.unwrap()),
            ],
        );
        append_events(&mut opened.log, 6..200);
        assert!(opened.log.needs_compaction());
        opened.log.compact().unwrap();
        assert!(!opened.log.needs_compaction());
        append_events(&mut opened.log, 200..205);
        drop(opened);
        let reopened = EventLog::open(&dir, 10).unwrap();
        let values: Vec<_> = reopened
            .values
            .iter()
            .map(|record| (record.id, record.event.data().to_string()))
            .collect();
        assert_eq!(values, [(1, "old".to_string()), (4, "second".to_string())]);
        let recent: Vec<_> = reopened.recent.iter().map(|record| record.id).collect();
        assert_eq!(recent, (195..205).collect::<Vec<_>>());
        assert_eq!(
            reopened.records,
            2 + 10 + 5,
            "the two values, the history, and what came after"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn records_survive_a_reopen_and_the_newest_are_kept() {
        let dir = temp_dir("reopen");
        let mut opened = EventLog::open(&dir, 3).unwrap();
        append_events(&mut opened.log, 1..6);
        drop(opened);
        let opened = EventLog::open(&dir, 3).unwrap();
        let ids: Vec<u64> = opened.recent.iter().map(|r| r.id).collect();
        assert_eq!(
            (ids, opened.records, opened.dropped_bytes),
            (vec![3, 4, 5], 5, 0)
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_torn_tail_is_cut_and_damage_in_the_middle_stops() {
        let dir = temp_dir("torn");
        let mut opened = EventLog::open(&dir, 10).unwrap();
        append_events(&mut opened.log, 1..4);
        drop(opened);
        let path = dir.join(LOG_FILE);
        let whole = fs::read(&path).unwrap();
        fs::write(&path, &whole[..whole.len() - 3]).unwrap();
        let opened = EventLog::open(&dir, 10).unwrap();
        assert_eq!(opened.recent.len(), 2);
        assert!(opened.dropped_bytes > 0);
        drop(opened);
        let mut damaged = fs::read(&path).unwrap();
        damaged[FILE_HEADER.len() + FRAME_BYTES + 2] ^= 0x40;
        fs::write(&path, &damaged).unwrap();
        let error = EventLog::open(&dir, 10)
            .err()
            .expect("damage stops start-up");
        assert!(
            error
                .to_string()
                .contains(&format!("at byte {}", FILE_HEADER.len())),
            "{error}"
        );
        let _ = fs::remove_dir_all(dir);
    }

    /// A log of five records; where each starts.
    fn five_records(dir: &Path) -> Vec<usize> {
        let mut opened = EventLog::open(dir, 10).unwrap();
        append_events(&mut opened.log, 1..6);
        let starts = opened.log.offsets.iter().map(|&o| o as usize).collect();
        drop(opened);
        starts
    }

    #[test]
    fn damage_in_the_middle_of_any_kind_stops_start_up() {
        let dir = temp_dir("damage");
        let path = dir.join(LOG_FILE);
        let starts = five_records(&dir);
        let whole = fs::read(&path).unwrap();
        let second = starts[1];
        // What to write where, over the second of the five records.
        let damages = [
            (
                "a length past the end",
                (whole.len() as u32).to_le_bytes().to_vec(),
            ),
            (
                "a length beyond any record",
                vec![whole[second], 0, 0, 0xff],
            ),
            ("a checksum", {
                let mut frame = whole[second..second + FRAME_BYTES].to_vec();
                frame[5] ^= 0x01;
                frame
            }),
            ("garbage over a record", vec![0xa5; starts[2] - second]),
        ];
        for (what, bytes) in damages {
            let mut log = whole.clone();
            log[second..second + bytes.len()].copy_from_slice(&bytes);
            fs::write(&path, &log).unwrap();
            let error = EventLog::open(&dir, 10)
                .err()
                .unwrap_or_else(|| panic!("{what}: start-up must refuse"));
            assert!(
                error
                    .to_string()
                    .contains(&format!("at byte {}", starts[1])),
                "{what}: {error}"
            );
            assert_eq!(
                fs::read(&path).unwrap(),
                log,
                "{what}: the file is left as it was"
            );
        }
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_batch_torn_in_its_second_record_is_cut_after_the_first() {
        let dir = temp_dir("torn-batch");
        let path = dir.join(LOG_FILE);
        let starts = five_records(&dir);
        let whole = fs::read(&path).unwrap();
        fs::write(&path, &whole[..starts[3] + FRAME_BYTES + 3]).unwrap();
        let opened = EventLog::open(&dir, 10).expect("a torn tail is cut, not refused");
        let ids: Vec<u64> = opened.recent.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![1, 2, 3]);
        assert_eq!(opened.dropped_bytes, (FRAME_BYTES + 3) as u64);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn compaction_keeps_the_history_and_the_file_stays_whole() {
        let dir = temp_dir("compact");
        let mut opened = EventLog::open(&dir, 16).unwrap();
        append_events(&mut opened.log, 1..100);
        assert!(opened.log.needs_compaction());
        opened.log.compact().unwrap();
        append_events(&mut opened.log, 100..103);
        drop(opened);
        let opened = EventLog::open(&dir, 16).unwrap();
        let ids: Vec<u64> = opened.recent.iter().map(|r| r.id).collect();
        assert_eq!(ids, (87..103).collect::<Vec<u64>>());
        assert_eq!(opened.records, 19);
        let _ = fs::remove_dir_all(dir);
    }
}
