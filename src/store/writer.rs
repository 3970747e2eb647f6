//! The log writer: one thread that stores each event before the hub sends it.
//!
//! With `--data-dir`, a publish goes here first (the [`Publisher`] still
//! gives ids in order, under its lock). The writer takes every publish
//! waiting, appends them all to the log in one `write`, and, with
//! `--fsync always`, syncs once for the whole batch: **group commit**. Only
//! then does it answer each publisher and pass the events on to the hub, so
//! a `2xx` means the event is on disk, and no subscriber ever sees an event
//! the log lost. Many publishes arriving together share one sync, so
//! throughput does not fall to one sync per event.
//!
//! With `--fsync interval`, it answers once the batch is written (to the
//! operating system) and syncs at most every [`FSYNC_INTERVAL`]: a power
//! loss may take the last ~100 ms of acknowledged events with it.
//!
//! When a write or sync fails (a full disk), the batch is cut from the log,
//! every publisher in it gets the reason, and nothing is passed on; the next
//! batch tries again, so publishing resumes when the disk has room.
//!
//! [`Publisher`]: crate::ingest::publisher::Publisher

use std::io;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::config::FsyncMode;
use crate::counters::Counters;
use crate::event::{Event, EventId};
use crate::hub::Command;
use crate::hub::handle::Handle;
use crate::hub::queue_budget::Reservation;
use crate::limits::{FSYNC_INTERVAL, MAX_EVENTS_PER_WRITE};
use crate::stderr_log;
use crate::store::event_log::EventLog;
use crate::store::not_stored::NotStored;
use crate::store::record;
use crate::wire::encoded::EncodedEvent;

/// What a publisher asks of the writer.
pub enum WriterRequest {
    /// Store this event, then pass it to the hub; answer when stored.
    Event {
        /// Its id.
        id: EventId,
        /// The event, for its record. Boxed: every slot of the writer's
        /// channel is as large as the largest request.
        event: Box<Event>,
        /// The event, encoded for the hub.
        encoded: EncodedEvent,
        /// Its room in the hub's queue, given back by the hub.
        reserved: Reservation,
        /// Where the outcome goes: `Err` holds the reason for the client.
        reply: Sender<Result<(), NotStored>>,
    },
    /// Sync what is written, and end.
    Stop,
}

/// Starts the writer thread.
pub fn spawn(
    log: EventLog,
    mode: FsyncMode,
    hub: Handle,
    counters: Arc<Counters>,
) -> io::Result<(Sender<WriterRequest>, JoinHandle<()>)> {
    let (sender, receiver) = crossbeam_channel::bounded(MAX_EVENTS_PER_WRITE);
    let writer = Writer {
        log,
        mode,
        hub,
        unsynced_since: None,
        failing: false,
        counters,
    };
    let thread = thread::Builder::new()
        .name("herald-log-writer".into())
        .spawn(move || writer.run(receiver))?;
    Ok((sender, thread))
}

struct Writer {
    log: EventLog,
    mode: FsyncMode,
    hub: Handle,
    /// With `--fsync interval`: when the oldest unsynced write was made.
    unsynced_since: Option<Instant>,
    /// Whether the last batch failed, so the log says so once per episode.
    failing: bool,
    /// Where the syncs' time is counted.
    counters: Arc<Counters>,
}

impl Writer {
    fn run(mut self, requests: Receiver<WriterRequest>) {
        let mut batch = Vec::new();
        let mut bytes = Vec::new();
        loop {
            let first = match self.unsynced_since {
                Some(since) => {
                    let left = (since + FSYNC_INTERVAL).saturating_duration_since(Instant::now());
                    match requests.recv_timeout(left) {
                        Ok(request) => request,
                        Err(RecvTimeoutError::Timeout) => {
                            self.sync_now();
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => WriterRequest::Stop,
                    }
                }
                None => requests.recv().unwrap_or(WriterRequest::Stop),
            };
            let mut stopping = matches!(first, WriterRequest::Stop);
            batch.clear();
            batch.extend(Some(first).filter(|r| !matches!(r, WriterRequest::Stop)));
            while batch.len() < MAX_EVENTS_PER_WRITE && !stopping {
                match requests.try_recv() {
                    Ok(WriterRequest::Stop) => stopping = true,
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                self.store(&mut batch, &mut bytes);
            }
            if stopping {
                self.sync_now();
                return;
            }
        }
    }

    /// Writes (and, as the mode says, syncs) one batch, then answers.
    fn store(&mut self, batch: &mut Vec<WriterRequest>, bytes: &mut Vec<u8>) {
        bytes.clear();
        let mut starts = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        for request in batch.iter() {
            if let WriterRequest::Event {
                id, event, encoded, ..
            } = request
            {
                starts.push(bytes.len());
                events.push((*id, &**event));
                // The time subscribers were told, so a replay after a
                // restart tells the same.
                record::encode(*id, encoded.accepted_ms, event, bytes);
            }
        }
        let mut stored = self.log.append(bytes, &starts, &events);
        drop(events);
        if stored.is_ok() {
            stored = match self.mode {
                FsyncMode::Always => self.timed_sync(bytes.len(), starts.len()),
                FsyncMode::Interval => {
                    self.unsynced_since.get_or_insert_with(Instant::now);
                    Ok(())
                }
            };
        }
        match stored {
            Ok(()) => self.pass_on(batch),
            Err(error) => self.refuse(batch, &error),
        }
        if self.log.needs_compaction()
            && let Err(error) = self.log.compact()
        {
            stderr_log::line(format_args!(
                "herald: compacting the event log failed: {error}"
            ));
        }
    }

    /// The batch is stored: answer each publisher and send each event on.
    fn pass_on(&mut self, batch: &mut Vec<WriterRequest>) {
        if std::mem::take(&mut self.failing) {
            self.counters.log_failing(false);
            stderr_log::line(format_args!("herald: the event log is writable again"));
        }
        for request in batch.drain(..) {
            if let WriterRequest::Event {
                id,
                encoded,
                reserved,
                reply,
                ..
            } = request
            {
                let command = Command::Publish {
                    id,
                    event: encoded,
                    reserved,
                };
                let _ = self.hub.send_waiting(command);
                let _ = reply.send(Ok(()));
            }
        }
    }

    /// The batch could not be stored: tell each publisher why.
    fn refuse(&mut self, batch: &mut Vec<WriterRequest>, error: &io::Error) {
        let reason = if error.kind() == io::ErrorKind::StorageFull {
            NotStored::DiskFull
        } else {
            NotStored::LogUnwritable
        };
        if !std::mem::replace(&mut self.failing, true) {
            self.counters.log_failing(true);
            stderr_log::line(format_args!(
                "herald: writing the event log failed: {error}"
            ));
        }
        for request in batch.drain(..) {
            if let WriterRequest::Event { reply, .. } = request {
                let _ = reply.send(Err(reason));
            }
        }
    }

    /// Syncs the log, counting the time it took for `/metrics`.
    fn timed_sync(&mut self, batch_len: usize, batch_records: usize) -> io::Result<()> {
        let started = Instant::now();
        let synced = self.log.sync(batch_len, batch_records);
        self.counters.log_synced(started.elapsed());
        synced
    }

    fn sync_now(&mut self) {
        if self.unsynced_since.take().is_some()
            && let Err(error) = self.timed_sync(0, 0)
        {
            stderr_log::line(format_args!(
                "herald: syncing the event log failed: {error}"
            ));
        }
    }
}
