//! What the agent keeps across restarts and network cuts, in its data
//! directory: the results not yet accepted by the server (bounded: past
//! the bound the oldest are dropped and counted), and the last slot run
//! per target, so no slot ever runs twice (a slot is marked before its
//! check starts: at most once, never twice). The agent saves at most once
//! a second and on shutdown: a crash loses at most the last second of
//! results, and no slot runs again after a restart all the same, for an
//! agent only runs slots still ahead.
//!
//! Two files, so that a save costs what changed, not what is waiting: a
//! server that falls behind must not make its agents spend their CPU
//! rewriting a growing backlog every second (it did, and slowed the server
//! further). `agent-results.jsonl` is a journal: each result is appended
//! once, as a line with its sequence number. `agent-state.json` holds the
//! slots, the drop count, and `consumed`, the sequence number below which
//! results were delivered or dropped; it is written whole through a
//! temporary file and a rename, so a crash leaves the old one or the new.
//! When the journal holds mostly consumed lines it is rewritten with the
//! waiting ones, also through a rename; a line cut short by a crash is
//! the last one and is skipped. (Hand-written: a few lines of std, where
//! an embedded database would be a heavy dependency for two small files.)

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use pharos_domain::agent_wire::SlotResult;
use pharos_domain::ids::TargetId;
use serde::{Deserialize, Serialize};

const FILE: &str = "agent-state.json";
const JOURNAL: &str = "agent-results.jsonl";
/// Consumed lines the journal may hold beyond the waiting ones before it
/// is rewritten.
const JOURNAL_SLACK: u64 = 10_000;

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    last_slots: HashMap<TargetId, DateTime<Utc>>,
    /// Dropped since the last push that reported them.
    dropped: u64,
    /// Results below this sequence number are delivered or dropped.
    #[serde(default)]
    consumed: u64,
    /// How many results wait (for people and tests reading the file; the
    /// journal is what counts).
    #[serde(default)]
    buffered: usize,
}

/// A journal line, read back.
#[derive(Deserialize)]
struct Entry {
    seq: u64,
    result: SlotResult,
}

/// The buffer and the slots run, with where they are saved.
#[derive(Debug)]
pub struct AgentState {
    dir: PathBuf,
    limit: usize,
    saved: Saved,
    /// The waiting results; the front one's sequence number is
    /// `saved.consumed`.
    buffer: VecDeque<SlotResult>,
    /// Sequence numbers below this are in the journal.
    journaled: u64,
    /// Lines in the journal file.
    journal_lines: u64,
    /// The journal ends in a damaged line: rewrite it at the next save,
    /// or an appended line would run on from the damaged one.
    journal_damaged: bool,
    dirty: bool,
}

impl AgentState {
    /// Reads the state in `dir` (none yet: empty).
    pub fn open(dir: &Path, limit: usize) -> anyhow::Result<Self> {
        let path = dir.join(FILE);
        let saved: Saved = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is damaged", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut buffer = VecDeque::new();
        let mut journal_lines = 0;
        let mut journal_damaged = false;
        let mut next = saved.consumed;
        let journal = match std::fs::read(dir.join(JOURNAL)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).context("cannot read the results journal"),
        };
        journal_damaged |= journal.last().is_some_and(|b| *b != b'\n');
        for line in journal.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            journal_lines += 1;
            // Only the last line can be cut short (a crash while
            // appending); a damaged one is skipped.
            let Ok(entry) = serde_json::from_slice::<Entry>(line) else {
                journal_damaged = true;
                continue;
            };
            if entry.seq >= next {
                next = entry.seq + 1;
                buffer.push_back(entry.result);
            }
        }
        // Sequence numbers continue from the waiting results.
        let consumed = next - buffer.len() as u64;
        let mut state = Self {
            dir: dir.to_owned(),
            limit: limit.max(1),
            saved: Saved { consumed, ..saved },
            buffer,
            journaled: next,
            journal_lines,
            journal_damaged,
            dirty: false,
        };
        while state.buffer.len() > state.limit {
            state.drop_oldest();
        }
        Ok(state)
    }

    /// Marks `slot` of `target` as run, unless it (or a later one) was:
    /// `false` then, and the slot must not run.
    pub fn claim_slot(&mut self, target: TargetId, slot: DateTime<Utc>) -> bool {
        match self.saved.last_slots.get(&target) {
            Some(last) if *last >= slot => false,
            _ => {
                self.saved.last_slots.insert(target, slot);
                self.dirty = true;
                true
            }
        }
    }

    fn drop_oldest(&mut self) {
        if self.buffer.pop_front().is_some() {
            self.saved.consumed += 1;
            self.saved.dropped += 1;
            self.dirty = true;
        }
    }

    /// Keeps a result until the server accepts it; past the bound the
    /// oldest is dropped and counted.
    pub fn push(&mut self, result: SlotResult) {
        while self.buffer.len() >= self.limit {
            self.drop_oldest();
        }
        self.buffer.push_back(result);
        self.dirty = true;
    }

    /// The oldest `n` results, to send.
    pub fn peek(&self, n: usize) -> Vec<SlotResult> {
        self.buffer.iter().take(n).cloned().collect()
    }

    /// The server has the oldest `n`: forget them, and the drops reported.
    pub fn acknowledge(&mut self, n: usize, dropped_reported: u64) {
        let n = n.min(self.buffer.len());
        self.buffer.drain(..n);
        self.saved.consumed += n as u64;
        self.saved.dropped = self.saved.dropped.saturating_sub(dropped_reported);
        self.dirty = true;
    }

    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    pub fn dropped(&self) -> u64 {
        self.saved.dropped
    }

    /// Forgets the slots of targets no longer assigned.
    pub fn retain_targets(&mut self, keep: &std::collections::HashSet<TargetId>) {
        let before = self.saved.last_slots.len();
        self.saved.last_slots.retain(|t, _| keep.contains(t));
        self.dirty |= before != self.saved.last_slots.len();
    }

    /// Saves what changed: the results not yet journaled are appended (or
    /// the journal rewritten when it is mostly consumed lines), then the
    /// state file is replaced.
    pub fn save(&mut self) -> anyhow::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let end = self.saved.consumed + self.buffer.len() as u64;
        let consumed_lines = self.journal_lines.saturating_sub(self.buffer.len() as u64);
        if self.journal_damaged || consumed_lines > self.buffer.len() as u64 + JOURNAL_SLACK {
            let bytes = self.lines(self.saved.consumed)?;
            write_atomically(&self.dir.join(JOURNAL), &bytes)?;
            self.journal_lines = self.buffer.len() as u64;
            self.journal_damaged = false;
        } else if end > self.journaled {
            // Results consumed before they were journaled need no line.
            let from = self.journaled.max(self.saved.consumed);
            let bytes = self.lines(from)?;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(JOURNAL))
                .context("cannot append to the results journal")?;
            file.write_all(&bytes)?;
            file.sync_data()?;
            self.journal_lines += end - from;
        }
        self.journaled = end;
        self.saved.buffered = self.buffer.len();
        write_atomically(&self.dir.join(FILE), &serde_json::to_vec(&self.saved)?)?;
        self.dirty = false;
        Ok(())
    }

    /// Journal lines for the waiting results from sequence `from` on.
    fn lines(&self, from: u64) -> anyhow::Result<Vec<u8>> {
        let skip = usize::try_from(from.saturating_sub(self.saved.consumed)).unwrap_or(usize::MAX);
        let mut bytes = Vec::new();
        for (i, result) in self.buffer.iter().enumerate().skip(skip) {
            let entry = EntryRef {
                seq: self.saved.consumed + i as u64,
                result,
            };
            serde_json::to_writer(&mut bytes, &entry)?;
            bytes.push(b'\n');
        }
        Ok(bytes)
    }
}

/// A journal line, written without copying its result.
#[derive(Serialize)]
struct EntryRef<'a> {
    seq: u64,
    result: &'a SlotResult,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pharos_domain::check::{CheckOutcome, PhaseTimings, Verdict};

    fn result(target: TargetId, slot: DateTime<Utc>) -> SlotResult {
        SlotResult {
            target_id: target,
            slot,
            outcome: CheckOutcome {
                started_at: slot,
                latency_ms: 3,
                verdict: Verdict::Up,
                status_code: Some(200),
                timings: PhaseTimings::default(),
                failure: None,
                certificate_expires_at: None,
            },
        }
    }

    #[test]
    fn slots_run_once_and_the_buffer_survives_a_restart_bounded() {
        let dir = tempfile::tempdir().expect("dir");
        let target = TargetId::new();
        let t0 = Utc::now();
        let mut state = AgentState::open(dir.path(), 3).expect("open");
        assert!(state.claim_slot(target, t0));
        assert!(!state.claim_slot(target, t0));
        for i in 0..5 {
            state.push(result(target, t0 + chrono::Duration::seconds(i)));
        }
        assert_eq!(state.buffered(), 3);
        assert_eq!(state.dropped(), 2);
        state.save().expect("save");

        let mut again = AgentState::open(dir.path(), 3).expect("reopen");
        assert!(!again.claim_slot(target, t0), "a slot run before a restart");
        assert_eq!(again.buffered(), 3);
        let oldest = again.peek(2);
        assert_eq!(oldest[0].slot, t0 + chrono::Duration::seconds(2));
        again.acknowledge(2, 2);
        assert_eq!(again.buffered(), 1);
        assert_eq!(again.dropped(), 0);
        again.save().expect("save");
        let third = AgentState::open(dir.path(), 3).expect("reopen");
        assert_eq!(third.buffered(), 1, "delivered results are not sent again");
        assert_eq!(third.peek(1)[0].slot, t0 + chrono::Duration::seconds(4));
    }

    #[test]
    fn a_save_appends_only_what_is_new_and_a_mostly_delivered_journal_shrinks() {
        let dir = tempfile::tempdir().expect("dir");
        let target = TargetId::new();
        let t0 = Utc::now();
        let journal = |dir: &Path| std::fs::read_to_string(dir.join(JOURNAL)).expect("journal");
        let mut state = AgentState::open(dir.path(), 100_000).expect("open");
        for i in 0..10 {
            state.push(result(target, t0 + chrono::Duration::seconds(i)));
        }
        state.save().expect("save");
        assert_eq!(journal(dir.path()).lines().count(), 10);
        // Delivered before they were saved: the next ones need no line.
        state.acknowledge(10, 0);
        for i in 10..12 {
            state.push(result(target, t0 + chrono::Duration::seconds(i)));
        }
        state.acknowledge(1, 0);
        state.save().expect("save");
        assert_eq!(
            journal(dir.path()).lines().count(),
            11,
            "one new line appended"
        );
        let reopened = AgentState::open(dir.path(), 100_000).expect("reopen");
        assert_eq!(reopened.buffered(), 1);
        assert_eq!(reopened.peek(1)[0].slot, t0 + chrono::Duration::seconds(11));

        // A line cut short by a crash is skipped; the rest is kept.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(JOURNAL))
            .expect("open");
        file.write_all(b"{\"seq\":12,\"res").expect("write");
        drop(file);
        let mut state = AgentState::open(dir.path(), 100_000).expect("reopen");
        assert_eq!(state.buffered(), 1);
        state.push(result(target, t0 + chrono::Duration::seconds(50)));
        state.save().expect("save");
        let reopened = AgentState::open(dir.path(), 100_000).expect("reopen");
        assert_eq!(
            reopened.buffered(),
            2,
            "a line after the damaged one is readable"
        );

        // Past the slack of consumed lines, the journal is rewritten.
        for i in 0..(JOURNAL_SLACK as i64 + 10) {
            state.push(result(target, t0 + chrono::Duration::seconds(100 + i)));
        }
        state.save().expect("save");
        state.acknowledge(state.buffered() - 2, 0);
        state.save().expect("save");
        assert_eq!(journal(dir.path()).lines().count(), 2);
        let reopened = AgentState::open(dir.path(), 100_000).expect("reopen");
        assert_eq!(reopened.buffered(), 2);
        assert_eq!(
            reopened.peek(1)[0].slot,
            t0 + chrono::Duration::seconds(100 + JOURNAL_SLACK as i64 + 8)
        );
    }
}
