//! `pharos admin`: operator tasks that need no web session.

use std::io::BufRead;

use anyhow::Context;
use clap::Subcommand;

use crate::config::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum AdminTask {
    /// Create a user and an organization they own. The password is read
    /// from standard input (one line), so it never shows in `ps`.
    CreateUser {
        #[arg(long)]
        email: String,
        /// Organization name; defaults to the email.
        #[arg(long)]
        organization: Option<String>,
    },
    /// List organizations with their member and target counts.
    ListOrganizations,
    /// Publish one of your agents as an instance-wide public location:
    /// every organization may then check its targets from it. The id is
    /// the one Settings > Agents shows.
    PublishAgent { agent_id: uuid::Uuid },
    /// Take a public location back: it checks other organizations'
    /// targets no more.
    UnpublishAgent { agent_id: uuid::Uuid },
}

pub async fn run(database: DatabaseArgs, task: AdminTask) -> anyhow::Result<()> {
    let store = pharos_storage::connect(&database.url()?).await?;
    store.migrate().await?;
    match task {
        AdminTask::CreateUser {
            email,
            organization,
        } => {
            eprintln!("password (one line on standard input):");
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let account = pharos_app::accounts::NewAccountInput {
                email: &email,
                password,
                organization: organization.as_deref(),
            };
            let (user, org) = pharos_app::accounts::create_account(&*store, account)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "created user {} ({}) owning organization {:?} ({})",
                user.email, user.id, org.name, org.id
            );
        }
        AdminTask::PublishAgent { agent_id } | AdminTask::UnpublishAgent { agent_id } => {
            let public = matches!(task, AdminTask::PublishAgent { .. });
            let agent = store
                .set_agent_public(pharos_domain::ids::AgentId(agent_id), public)
                .await?
                .with_context(|| format!("no agent has the id {agent_id}"))?;
            if public {
                println!(
                    "{} ({}) is a public location: every organization may choose it",
                    agent.name, agent.id
                );
            } else {
                println!("{} ({}) is no longer public", agent.name, agent.id);
            }
        }
        AdminTask::ListOrganizations => {
            println!("{:<36}  {:>7}  {:>7}  name", "id", "members", "targets");
            for summary in store.organization_summaries().await? {
                println!(
                    "{:<36}  {:>7}  {:>7}  {}",
                    summary.organization.id,
                    summary.members,
                    summary.targets,
                    summary.organization.name
                );
            }
        }
    }
    Ok(())
}
