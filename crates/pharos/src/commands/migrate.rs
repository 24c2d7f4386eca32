use crate::config::DatabaseArgs;

pub async fn run(database: DatabaseArgs) -> anyhow::Result<()> {
    let url = database.url()?;
    let store = pharos_storage::connect(&url).await?;
    store.migrate().await?;
    println!("migrations applied to {}", pharos_storage::redact(&url));
    Ok(())
}
