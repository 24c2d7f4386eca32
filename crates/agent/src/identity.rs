//! The agent's UUID: made on first start and kept in its data directory,
//! so it is the same agent after a restart (the server knows it by it).

use std::path::Path;

use anyhow::Context;
use uuid::Uuid;

const FILE: &str = "agent-id";

/// The UUID kept in `dir`, or a new one written there. `true` when new.
pub fn load_or_create(dir: &Path) -> anyhow::Result<(Uuid, bool)> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let path = dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let uuid = Uuid::parse_str(text.trim())
                .with_context(|| format!("{} does not hold a UUID", path.display()))?;
            Ok((uuid, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let uuid = Uuid::new_v4();
            crate::state::write_atomically(&path, format!("{uuid}\n").as_bytes())?;
            Ok((uuid, true))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uuid_is_made_once_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let (first, new) = load_or_create(dir.path()).expect("create");
        assert!(new);
        let (again, new) = load_or_create(dir.path()).expect("load");
        assert!(!new);
        assert_eq!(first, again);
    }
}
