//! Reading the event log back at start-up: its whole records, a torn tail,
//! and damage.
//!
//! A crash in the middle of an append leaves the last records written in
//! part: a **torn tail**. Those records were never acknowledged (a publish
//! is answered only after its batch is written, and with `--fsync always`
//! synced), so cutting them off loses nothing anyone was promised.
//!
//! Anything else that does not read as a record is **damage**: a bit flipped
//! on disk, a length field overwritten, a block of garbage. The records
//! after it were acknowledged, and cutting the file there would lose them
//! without a word. So when a record does not read, the scan looks further
//! for an intact one ([`next_intact_record`]): if there is one, the damage
//! is in the middle and start-up refuses, naming the offsets; if there is
//! none, it was a torn tail, and only that is cut.
//!
//! A bad record cannot say where the next one starts (its length may be the
//! damaged part), so the search tries every byte after it. To keep that
//! cheap, a byte only counts as a record's start if its frame is plausible
//! (a length that fits, an id above the last good one and not far ahead of
//! the clock) before its checksum is computed.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

use crate::event::EventId;
use crate::limits::{MAX_RECORD_PAYLOAD_BYTES, RECOVERY_MAX_ID_AHEAD_OF_CLOCK};
use crate::store::record::{self, FILE_HEADER, FRAME_BYTES, Record};
use crate::store::state_records::{Placed, StateRecords};

/// What a scan of the file found.
pub struct Scan {
    /// The newest records, up to the history's size, oldest first.
    pub recent: VecDeque<Record>,
    /// Where each of them starts.
    pub offsets: VecDeque<u64>,
    /// How many whole records the file holds.
    pub records: usize,
    /// The length up to the end of the last whole record: where a torn
    /// tail is cut.
    pub good_len: u64,
    /// Where each key's current value lies (see
    /// [`crate::store::state_records`]).
    pub state: StateRecords,
}

/// Why the file cannot be read as a log.
pub enum Damage {
    /// The file does not start with [`FILE_HEADER`].
    NotALog,
    /// The record at `at` does not read, and an intact one starts at `next`.
    InTheMiddle {
        /// Where the unreadable record starts.
        at: u64,
        /// Where the next intact record starts.
        next: u64,
    },
}

/// What the scan failed on.
pub enum ScanError {
    /// The file could not be read.
    Io(io::Error),
    /// The file holds damage that is not a torn tail.
    Damaged(Damage),
}

impl From<io::Error> for ScanError {
    fn from(error: io::Error) -> Self {
        ScanError::Io(error)
    }
}

/// The smallest payload: an id, a time, two empty labels and one byte of data.
const MIN_PAYLOAD_BYTES: usize = 8 + 8 + 2 + 2 + 1;

/// Reads every record, keeping the newest `keep`.
///
/// # Errors
/// [`ScanError::Damaged`] for damage before the tail; [`ScanError::Io`]
/// when the file cannot be read.
pub fn scan(file: &mut File, keep: usize) -> Result<Scan, ScanError> {
    let file_len = file.metadata()?.len();
    file.seek(SeekFrom::Start(0))?;
    let mut input = BufReader::with_capacity(1 << 20, &*file);
    let mut header = vec![0; FILE_HEADER.len()];
    if input.read_exact(&mut header).is_err() || header != FILE_HEADER {
        return Err(ScanError::Damaged(Damage::NotALog));
    }
    let mut scan = Scan {
        recent: VecDeque::new(),
        offsets: VecDeque::new(),
        records: 0,
        good_len: FILE_HEADER.len() as u64,
        state: StateRecords::default(),
    };
    let mut payload = Vec::new();
    let mut last_id = 0;
    while scan.good_len < file_len {
        let offset = scan.good_len;
        let Some((record, end)) = read_record(&mut input, offset, file_len, &mut payload)? else {
            return match next_intact_record(file, offset + 1, file_len, last_id)? {
                Some(next) => Err(ScanError::Damaged(Damage::InTheMiddle { at: offset, next })),
                None => Ok(scan), // a torn tail: cut at `good_len`
            };
        };
        last_id = record.id;
        if let Some(keyed) = record.event.keyed() {
            let len = end - offset;
            let placed = Placed {
                id: record.id,
                offset,
                len,
            };
            scan.state.follow(record.event.topic_name(), keyed, placed);
        }
        scan.records += 1;
        scan.recent.push_back(record);
        scan.offsets.push_back(offset);
        if scan.recent.len() > keep {
            scan.recent.pop_front();
            scan.offsets.pop_front();
        }
        scan.good_len = end;
    }
    Ok(scan)
}

/// The records of the current values older than the newest `keep` (which
/// the scan holds already), oldest first: what the hub's state needs
/// besides its history.
///
/// # Errors
/// When the file cannot be read, or a record the scan read no longer
/// decodes (the file changed under it).
pub fn older_values(file: &File, scan: &Scan) -> io::Result<Vec<Record>> {
    let window_start = scan.offsets.front().copied().unwrap_or(scan.good_len);
    let mut values = Vec::new();
    for placed in scan.state.before(window_start, scan.good_len) {
        let mut bytes = vec![0u8; usize::try_from(placed.len).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut bytes, placed.offset)?;
        let (_, checksum) = record::frame(bytes[..FRAME_BYTES].try_into().unwrap_or_default());
        let record = record::decode(&bytes[FRAME_BYTES..], checksum).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "a value's record no longer reads",
            )
        })?;
        values.push(record);
    }
    Ok(values)
}

/// The record at `offset` and where it ends, or `None` if it does not read
/// whole (too short for its frame or its length, or a bad checksum).
fn read_record(
    input: &mut impl Read,
    offset: u64,
    file_len: u64,
    payload: &mut Vec<u8>,
) -> io::Result<Option<(Record, u64)>> {
    let mut frame = [0u8; FRAME_BYTES];
    if offset + FRAME_BYTES as u64 > file_len {
        return Ok(None);
    }
    input.read_exact(&mut frame)?;
    let (length, checksum) = record::frame(frame);
    let end = offset + (FRAME_BYTES + length) as u64;
    if length > MAX_RECORD_PAYLOAD_BYTES || end > file_len {
        return Ok(None);
    }
    payload.resize(length, 0);
    input.read_exact(payload)?;
    Ok(record::decode(payload, checksum).map(|record| (record, end)))
}

/// Where the first intact record at or after `from` starts, if any: a
/// frame that is plausible (see the module's comment) and whose payload
/// decodes with its checksum.
pub fn next_intact_record(
    file: &File,
    from: u64,
    file_len: u64,
    after_id: EventId,
) -> io::Result<Option<u64>> {
    // Each window overlaps the next by a frame and an id, so a start near a
    // window's end is still seen whole.
    const WINDOW_BYTES: usize = 64 * 1024;
    const LOOK_BYTES: usize = FRAME_BYTES + 8;
    let newest_plausible =
        crate::clock::micros_since_epoch().max(after_id) + RECOVERY_MAX_ID_AHEAD_OF_CLOCK;
    let mut window = vec![0u8; WINDOW_BYTES];
    let mut start = from;
    while start + (FRAME_BYTES + MIN_PAYLOAD_BYTES) as u64 <= file_len {
        let left = file_len - start;
        let n = usize::try_from(left).map_or(WINDOW_BYTES, |left| left.min(WINDOW_BYTES));
        file.read_exact_at(&mut window[..n], start)?;
        for i in 0..n.saturating_sub(LOOK_BYTES - 1) {
            let at = start + i as u64;
            let Some((length, checksum, id)) = frame_and_id(&window[i..]) else {
                continue;
            };
            let fits = (MIN_PAYLOAD_BYTES..=MAX_RECORD_PAYLOAD_BYTES).contains(&length)
                && at + (FRAME_BYTES + length) as u64 <= file_len;
            let id_plausible = id > after_id && id <= newest_plausible;
            if fits && id_plausible && decodes_at(file, at + FRAME_BYTES as u64, length, checksum)?
            {
                return Ok(Some(at));
            }
        }
        if n < WINDOW_BYTES {
            break;
        }
        start += (WINDOW_BYTES - (LOOK_BYTES - 1)) as u64;
    }
    Ok(None)
}

/// The frame (length, checksum) and the payload's id at the start of
/// `bytes`, read as if a record started there.
fn frame_and_id(bytes: &[u8]) -> Option<(usize, u32, EventId)> {
    let frame = bytes.get(..FRAME_BYTES)?.try_into().ok()?;
    let id = bytes.get(FRAME_BYTES..FRAME_BYTES + 8)?.try_into().ok()?;
    let (length, checksum) = record::frame(frame);
    Some((length, checksum, u64::from_le_bytes(id)))
}

/// Whether the `length` bytes at `at` are a payload with `checksum`.
fn decodes_at(file: &File, at: u64, length: usize, checksum: u32) -> io::Result<bool> {
    let mut payload = vec![0u8; length];
    file.read_exact_at(&mut payload, at)?;
    Ok(record::decode(&payload, checksum).is_some())
}
