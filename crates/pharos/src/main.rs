//! `pharos`: one binary that runs web, API and workers together (`serve`),
//! or each alone, and the operator commands around them.

mod commands;
mod config;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{
    AgentArgs, AlertArgs, DatabaseArgs, InstanceArgs, ProbeArgs, WebArgs, WorkerArgs,
};

#[derive(Debug, Parser)]
#[command(name = "pharos", version, about = "Uptime monitoring in one binary")]
struct Cli {
    /// Log filter (tracing's env-filter syntax), e.g. `info,pharos_web=debug`.
    #[arg(long, env = "PHAROS_LOG", default_value = "info", global = true)]
    log: String,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "PHAROS_LOG_JSON", global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Web, API and workers in one process: the way to start.
    Serve {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        web: WebArgs,
        #[command(flatten)]
        alerts: AlertArgs,
        #[command(flatten)]
        probes: ProbeArgs,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Web and API only (workers run elsewhere).
    Web {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        web: WebArgs,
        #[command(flatten)]
        alerts: AlertArgs,
        #[command(flatten)]
        probes: ProbeArgs,
    },
    /// Workers only: claim due targets and check them, and send alerts.
    Worker {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        alerts: AlertArgs,
        #[command(flatten)]
        probes: ProbeArgs,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Agent mode: check the targets a Pharos server assigns to this
    /// machine and report to it (outbound only).
    Agent {
        #[command(flatten)]
        args: AgentArgs,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write a consistent, verified copy of the SQLite database while
    /// Pharos runs (PostgreSQL: use pg_dump).
    Backup {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The new file to write.
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// Put a backup back as the SQLite database (stop Pharos first).
    Restore {
        #[command(flatten)]
        database: DatabaseArgs,
        /// A file `pharos backup` wrote.
        #[arg(long, value_name = "FILE")]
        from: std::path::PathBuf,
        /// Replace the existing database.
        #[arg(long)]
        force: bool,
    },
    /// Read the configuration and say, line by line, what is wrong or
    /// risky before start (exit status 1 when anything is wrong).
    Doctor {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        web: WebArgs,
        #[command(flatten)]
        probes: ProbeArgs,
    },
    /// Operator tasks: users and organizations.
    Admin {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        task: commands::admin::AdminTask,
    },
    /// Measure the scheduler: seed targets against a local farm, run workers,
    /// report (`pharos bench agents`: the same through agents).
    #[command(args_conflicts_with_subcommands = true)]
    Bench {
        #[command(flatten)]
        args: commands::bench::BenchArgs,
        #[command(subcommand)]
        mode: Option<commands::bench::BenchMode>,
    },
    /// Check one URL or host now and print the result with its timings.
    Check {
        #[command(flatten)]
        probes: ProbeArgs,
        #[command(flatten)]
        args: pharos_probes::cli::CheckArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log, cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve {
                database,
                instance,
                web,
                alerts,
                probes,
                worker,
            } => commands::run::serve(database, instance, alerts, Some(web), Some(worker), probes)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Web {
                database,
                instance,
                web,
                alerts,
                probes,
            } => commands::run::serve(database, instance, alerts, Some(web), None, probes)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Worker {
                database,
                instance,
                alerts,
                probes,
                worker,
            } => commands::run::serve(database, instance, alerts, None, Some(worker), probes)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Backup { database, to } => commands::backup::backup(database, to)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Restore {
                database,
                from,
                force,
            } => commands::backup::restore(database, from, force)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Agent { args } => commands::agent::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Migrate { database } => commands::migrate::run(database)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Doctor {
                database,
                instance,
                web,
                probes,
            } => Ok(
                if commands::doctor::run(database, instance, web, probes).await {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                },
            ),
            Command::Admin { database, task } => commands::admin::run(database, task)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Bench { args, mode } => commands::bench::run(args, mode)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Check { probes, args } => {
                let code =
                    pharos_probes::cli::run(args, commands::run::probe_settings(&probes)).await;
                Ok(ExitCode::from(u8::try_from(code).unwrap_or(2)))
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("warning: PHAROS_LOG {filter:?} is not a valid filter ({e}); using `info`");
        tracing_subscriber::EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
