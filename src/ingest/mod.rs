//! Where a published event enters: it is given its id, then stored (with
//! `--data-dir` or `--redis`) and queued for the hub.

pub mod publisher;
pub mod submission;
