//! What the agent keeps across restarts and network cuts, in one JSON
//! file of its data directory: the results not yet accepted by the
//! server (bounded: past the bound the oldest are dropped and counted),
//! and the last slot run per target, so no slot ever runs twice (a slot
//! is marked before its check starts: at most once, never twice). The
//! agent writes it at most once a second and on shutdown: a crash loses
//! at most the last second of results, and no slot runs again after a
//! restart all the same, for an agent only runs slots still ahead.
//!
//! Written whole to a temporary file and renamed over the old one, so a
//! crash leaves the old state or the new, never half of one. (Hand-written:
//! a few lines of std, where an embedded database would be a heavy
//! dependency for one small file.)

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use pharos_domain::agent_wire::SlotResult;
use pharos_domain::ids::TargetId;
use serde::{Deserialize, Serialize};

const FILE: &str = "agent-state.json";

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
    buffer: VecDeque<SlotResult>,
    last_slots: HashMap<TargetId, DateTime<Utc>>,
    /// Dropped since the last push that reported them.
    dropped: u64,
}

/// The buffer and the slots run, with where they are saved.
#[derive(Debug)]
pub struct AgentState {
    path: PathBuf,
    limit: usize,
    saved: Saved,
    dirty: bool,
}

impl AgentState {
    /// Reads the state in `dir` (none yet: empty).
    pub fn open(dir: &Path, limit: usize) -> anyhow::Result<Self> {
        let path = dir.join(FILE);
        let saved = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is damaged", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Self {
            path,
            limit: limit.max(1),
            saved,
            dirty: false,
        })
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

    /// Keeps a result until the server accepts it; past the bound the
    /// oldest is dropped and counted.
    pub fn push(&mut self, result: SlotResult) {
        while self.saved.buffer.len() >= self.limit {
            self.saved.buffer.pop_front();
            self.saved.dropped += 1;
        }
        self.saved.buffer.push_back(result);
        self.dirty = true;
    }

    /// The oldest `n` results, to send.
    pub fn peek(&self, n: usize) -> Vec<SlotResult> {
        self.saved.buffer.iter().take(n).cloned().collect()
    }

    /// The server has the oldest `n`: forget them, and the drops reported.
    pub fn acknowledge(&mut self, n: usize, dropped_reported: u64) {
        let n = n.min(self.saved.buffer.len());
        self.saved.buffer.drain(..n);
        self.saved.dropped = self.saved.dropped.saturating_sub(dropped_reported);
        self.dirty = true;
    }

    pub fn buffered(&self) -> usize {
        self.saved.buffer.len()
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

    /// Writes the state if it changed.
    pub fn save(&mut self) -> anyhow::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&self.saved)?;
        write_atomically(&self.path, &bytes)?;
        self.dirty = false;
        Ok(())
    }
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
    }
}
