//! The database's CHECK lists and the Rust enums they mirror must name the
//! same values, on both backends: a kind, state, role, event type, job,
//! channel kind, alert type, notification kind, status, attempt outcome,
//! tag colour, status page theme or page incident kind and status
//! added on one side only fails here, not in production.

use std::collections::BTreeSet;

use pharos_domain::alert::{AlertTypeName, AttemptOutcome, NotificationKind, NotificationStatus};
use pharos_domain::audit::AuditAction;
use pharos_domain::event::EventType;
use pharos_domain::job::Job;
use pharos_domain::labels::TagColor;
use pharos_domain::maintenance::MaintenanceKind;
use pharos_domain::organization::Role;
use pharos_domain::status::TargetState;
use pharos_domain::status_page::{IncidentStatus, PageIncidentKind, PageTheme};
use pharos_domain::user::AccountTokenPurpose;
use pharos_domain::{ChannelKind, TargetKind};
use pharos_storage::testing::{Backend, TestDatabase};

/// The quoted values of the `IN (...)` list that follows `column` in `sql`.
fn in_list(sql: &str, column: &str) -> BTreeSet<String> {
    let lower = sql.to_ascii_lowercase();
    let at = lower
        .find(&format!("{column} in ("))
        .or_else(|| lower.find(&format!("{column} not in (")))
        .unwrap_or_else(|| panic!("no IN list for {column} in {sql}"));
    let open = at + lower[at..].find('(').expect("(");
    let close = open + lower[open..].find(')').expect(")");
    quoted(&sql[open..close])
}

fn quoted(text: &str) -> BTreeSet<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The rule the database keeps for `table.column`, as a set of values.
async fn allowed(
    db: &TestDatabase,
    backend: Backend,
    table: &str,
    column: &str,
) -> BTreeSet<String> {
    match backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
            let defs: Vec<(String,)> = sqlx::query_as(
                "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid \
                 WHERE t.relname = $1 AND c.contype = 'c'",
            )
            .bind(table)
            .fetch_all(&pool)
            .await
            .expect("constraints");
            // PostgreSQL writes `kind IN (...)` as `kind = ANY (ARRAY[...])`.
            let def = defs
                .into_iter()
                .map(|(d,)| d)
                .find(|d| d.contains(&format!("({column} ")))
                .unwrap_or_else(|| panic!("no CHECK on {table}.{column}"));
            quoted(&def)
        }
        Backend::Sqlite => {
            let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().expect("url");
            let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
            // A CHECK in the table, or (added later) a trigger on it.
            let sql: Vec<(String,)> = sqlx::query_as(
                "SELECT sql FROM sqlite_master WHERE tbl_name = $1 AND sql IS NOT NULL",
            )
            .bind(table)
            .fetch_all(&pool)
            .await
            .expect("schema");
            let sql = sql
                .into_iter()
                .map(|(s,)| s)
                .find(|s| {
                    let s = s.to_ascii_lowercase();
                    s.contains(&format!("{column} in ("))
                        || s.contains(&format!("{column} not in ("))
                })
                .unwrap_or_else(|| panic!("no rule on {table}.{column}"));
            in_list(&sql, column)
        }
    }
}

fn names<'a>(values: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    values.into_iter().map(str::to_owned).collect()
}

async fn the_database_names_what_the_enums_name(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let store = pharos_storage::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let cases = [
        (
            "targets",
            "kind",
            names(TargetKind::ALL.map(TargetKind::as_str)),
        ),
        (
            "targets",
            "state",
            names(TargetState::ESTABLISHED.map(TargetState::as_str)),
        ),
        ("memberships", "role", names(Role::ALL.map(Role::as_str))),
        (
            "agents",
            "status",
            names(
                pharos_domain::agent::AgentStatus::ALL
                    .map(pharos_domain::agent::AgentStatus::as_str),
            ),
        ),
        (
            "location_states",
            "state",
            names(TargetState::ESTABLISHED.map(TargetState::as_str)),
        ),
        ("invitations", "role", names(Role::ALL.map(Role::as_str))),
        ("api_keys", "role", names(Role::ALL.map(Role::as_str))),
        (
            "events",
            "event_type",
            names(EventType::ALL.map(EventType::as_str)),
        ),
        ("job_runs", "job", names(Job::ALL.map(Job::as_str))),
        (
            "audit_log",
            "action",
            names(AuditAction::ALL.map(AuditAction::as_str)),
        ),
        (
            "account_tokens",
            "purpose",
            names(AccountTokenPurpose::ALL.map(AccountTokenPurpose::as_str)),
        ),
        (
            "maintenance_windows",
            "kind",
            names(MaintenanceKind::ALL.map(MaintenanceKind::as_str)),
        ),
        (
            "channels",
            "kind",
            names(ChannelKind::ALL.map(ChannelKind::as_str)),
        ),
        (
            "alert_settings",
            "alert_type",
            names(AlertTypeName::ALL.map(AlertTypeName::as_str)),
        ),
        (
            "notifications",
            "kind",
            names(NotificationKind::ALL.map(NotificationKind::as_str)),
        ),
        (
            "notifications",
            "status",
            names(NotificationStatus::ALL.map(NotificationStatus::as_str)),
        ),
        (
            "notification_attempts",
            "outcome",
            names(AttemptOutcome::ALL.map(AttemptOutcome::as_str)),
        ),
        ("tags", "color", names(TagColor::ALL.map(TagColor::as_str))),
        (
            "status_pages",
            "theme",
            names(PageTheme::ALL.iter().map(|v| v.as_str())),
        ),
        (
            "status_page_incidents",
            "kind",
            names(PageIncidentKind::ALL.iter().map(|v| v.as_str())),
        ),
        (
            "status_page_incidents",
            "status",
            names(IncidentStatus::ALL.iter().map(|v| v.as_str())),
        ),
        (
            "status_page_incident_updates",
            "status",
            names(IncidentStatus::ALL.iter().map(|v| v.as_str())),
        ),
    ];
    for (table, column, expected) in cases {
        let stored = allowed(&db, backend, table, column).await;
        assert_eq!(stored, expected, "{table}.{column} on {backend:?}");
    }
}

pharos_storage::on_both_backends!(the_database_names_what_the_enums_name);
