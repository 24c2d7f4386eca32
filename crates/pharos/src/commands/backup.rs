//! `pharos backup` and `pharos restore`: a consistent copy of the SQLite
//! database while Pharos runs, checked by opening it, and putting one back.
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`; see
//! docs/DEPLOYMENT.md).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use pharos_storage::prelude::*;
use pharos_storage::SqliteStore;

use crate::config::{sqlite_file, DatabaseArgs};

/// The file a `sqlite:` URL names (`sqlite://path` or `sqlite:path`, with
/// any `?options` dropped); `None` for another backend.
fn postgres_instead() -> anyhow::Error {
    anyhow::anyhow!(
        "this database is PostgreSQL: back it up with pg_dump and restore it with \
         pg_restore (docs/DEPLOYMENT.md, \"Backups\")"
    )
}

fn utf8(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))
}

/// Opens a database file and proves it whole: SQLite's integrity check
/// passes and every migration this Pharos knows is applied. Returns how
/// many users and targets it holds, for the report.
async fn verify(file: &Path) -> anyhow::Result<(usize, usize)> {
    let url = format!("sqlite://{}", utf8(file)?);
    let store = SqliteStore::connect(&url)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    if let Err(problems) = store.integrity_check().await? {
        bail!("{} is damaged: {problems}", file.display());
    }
    if !store.ready().await? {
        bail!(
            "{} is not migrated to this version of Pharos (run `pharos migrate` on it)",
            file.display()
        );
    }
    let organizations = store.organization_summaries().await?;
    let targets = organizations.iter().map(|o| o.targets as usize).sum();
    Ok((organizations.len(), targets))
}

/// `pharos backup --to FILE`.
pub async fn backup(database: DatabaseArgs, to: PathBuf) -> anyhow::Result<()> {
    let url = database.url()?;
    if sqlite_file(&url).is_none() {
        return Err(postgres_instead());
    }
    if to.exists() {
        bail!("{} exists already; choose a new file", to.display());
    }
    let store = SqliteStore::connect(&url)
        .await
        .with_context(|| format!("opening the database {}", pharos_storage::redact(&url)))?;
    store
        .backup_to(utf8(&to)?)
        .await
        .with_context(|| format!("writing {}", to.display()))?;
    let (organizations, targets) = verify(&to).await?;
    let bytes = std::fs::metadata(&to).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up to {} ({bytes} bytes; {organizations} organizations, {targets} targets; verified)",
        to.display()
    );
    Ok(())
}

/// `pharos restore --from FILE [--force]`: run it while Pharos is stopped.
pub async fn restore(database: DatabaseArgs, from: PathBuf, force: bool) -> anyhow::Result<()> {
    let url = database.url()?;
    let Some(file) = sqlite_file(&url) else {
        return Err(postgres_instead());
    };
    let (organizations, targets) = verify(&from)
        .await
        .with_context(|| format!("{} is not a Pharos backup to restore", from.display()))?;
    if file.exists() && !force {
        bail!(
            "{} exists: stop Pharos, then pass --force to replace it with the backup",
            file.display()
        );
    }
    // Copy beside the database, then rename over it, so a failure half way
    // never leaves a torn file; the old WAL must not be replayed onto it.
    let staging = file.with_extension("restoring");
    std::fs::copy(&from, &staging).with_context(|| format!("copying to {}", staging.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", file.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    std::fs::rename(&staging, &file).with_context(|| format!("replacing {}", file.display()))?;
    println!(
        "restored {} from {} ({organizations} organizations, {targets} targets)",
        file.display(),
        from.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://./pharos-data/pharos.db"),
            Some(PathBuf::from("./pharos-data/pharos.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:/var/lib/pharos/p.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/pharos/p.db"))
        );
        assert_eq!(sqlite_file("postgres://db/pharos"), None);
    }
}
