//! `pharos agent`: the binary in agent mode (see `pharos_agent`).

use std::time::Duration;

use crate::config::AgentArgs;

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let name = args
        .name
        .clone()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "agent".to_owned());
    let config = pharos_agent::AgentConfig {
        server: args.server,
        secret: args.secret,
        data_dir: args.data_dir,
        name,
        allow_private_targets: args.allow_private_targets,
        buffer_limit: usize::try_from(args.buffer).unwrap_or(usize::MAX),
        concurrency: usize::try_from(args.concurrency).unwrap_or(256),
        refresh: Duration::from_secs(args.refresh_seconds),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let agent = tokio::spawn(pharos_agent::run(config, stopped));
    let signal = super::run::termination()?;
    tokio::pin!(agent);
    tokio::select! {
        () = signal => {
            tracing::info!("stopping the agent");
            let _ = stop.send(true);
            agent.await??;
        }
        finished = &mut agent => finished??,
    }
    Ok(())
}
