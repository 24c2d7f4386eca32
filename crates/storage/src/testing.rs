//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL
//! database created on the server named by `PHAROS_TEST_POSTGRES_URL`
//! (default: the local server) and dropped again afterwards.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use pharos_domain::ids::{AgentId, OrganizationId, TargetId, UserId};
use pharos_domain::organization::Role;
use sqlx::Connection;

/// Which backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// Whether a missing PostgreSQL must fail the run (in CI, or when asked).
pub fn postgres_required() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| v == "true" || v == "1");
    set("CI") || set("PHAROS_REQUIRE_POSTGRES")
}

impl TestDatabase {
    /// A fresh database, or `None` when PostgreSQL is wanted but cannot be
    /// reached and is not required (a loud warning is printed then).
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("pharos.db").display());
                Some(Self {
                    url,
                    postgres: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => Self::create_postgres().await,
        }
    }

    async fn create_postgres() -> Option<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let admin_url = std::env::var("PHAROS_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) if !postgres_required() => {
                eprintln!(
                    "\n!!! PostgreSQL is not reachable at {admin_url} ({e}).\n\
                     !!! PostgreSQL tests are SKIPPED. Set PHAROS_REQUIRE_POSTGRES=1 (CI does) to make this fail.\n"
                );
                return None;
            }
            Err(e) => panic!("PostgreSQL is required but not reachable at {admin_url}: {e}"),
        };
        let name = format!(
            "pharos_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        let mut url = url::Url::parse(&admin_url).expect("PHAROS_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            postgres: Some((admin_url, name)),
            _dir: None,
        })
    }
}

/// Runs one statement on the test database with a connection of its
/// backend's type (the statement's SQL must suit both).
macro_rules! execute {
    ($db:expr, $query:expr) => {
        if $db.postgres.is_some() {
            let mut conn = sqlx::PgConnection::connect(&$db.url)
                .await
                .expect("connect to the test database");
            $query
                .execute(&mut conn)
                .await
                .expect("execute")
                .rows_affected()
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&$db.url)
                .await
                .expect("connect to the test database");
            $query
                .execute(&mut conn)
                .await
                .expect("execute")
                .rows_affected()
        }
    };
}

/// Memberships the product cannot make yet (registration only creates an
/// organization of one's own), for tests of roles and members.
impl TestDatabase {
    /// Adds `user` to `org` with `role`, joined at `joined_at`.
    pub async fn add_membership(
        &self,
        user: UserId,
        org: OrganizationId,
        role: Role,
        joined_at: DateTime<Utc>,
    ) {
        let added = execute!(
            self,
            sqlx::query(
                "INSERT INTO memberships (user_id, organization_id, role, created_at) \
                 VALUES ($1, $2, $3, $4)"
            )
            .bind(user.0)
            .bind(org.0)
            .bind(role.as_str())
            .bind(crate::rows::to_micros(joined_at))
        );
        assert_eq!(added, 1, "membership added");
    }

    /// Makes the invitations to `email` expired an hour ago (a test cannot
    /// wait 7 days).
    pub async fn expire_invitations(&self, email: &str) {
        let expired = execute!(
            self,
            sqlx::query("UPDATE invitations SET expires_at = $1 WHERE email = $2")
                .bind(crate::rows::to_micros(
                    Utc::now() - chrono::Duration::hours(1)
                ))
                .bind(email)
        );
        assert!(expired > 0, "an invitation to {email} expired");
    }

    /// Runs one SQL statement both backends accept, for what a test must
    /// do behind the product's back (take a table away to prove a path
    /// never reads it); the rows it touched.
    pub async fn execute_sql(&self, sql: &str) -> u64 {
        execute!(self, sqlx::query(sql))
    }

    /// The slots `agent`'s stored checks of `target` were for, oldest
    /// first, one per row (`slot_at`, which the API does not show), so a
    /// test can count an agent's checks per slot.
    pub async fn agent_check_slots(&self, target: TargetId, agent: AgentId) -> Vec<DateTime<Utc>> {
        let sql = "SELECT slot_at FROM checks WHERE target_id = $1 AND agent_id = $2";
        type Row = (Option<DateTime<Utc>>,);
        let rows = if self.postgres.is_some() {
            let mut conn = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect to the test database");
            sqlx::query_as::<_, Row>(sql)
                .bind(target.0)
                .bind(agent.0)
                .fetch_all(&mut conn)
                .await
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect to the test database");
            sqlx::query_as::<_, Row>(sql)
                .bind(target.0)
                .bind(agent.0)
                .fetch_all(&mut conn)
                .await
        };
        let mut slots: Vec<DateTime<Utc>> = rows
            .expect("read the agent's checks")
            .into_iter()
            .map(|(slot,)| slot.expect("an agent's check has its slot"))
            .collect();
        slots.sort();
        slots
    }

    /// Takes `user` out of `org`.
    pub async fn remove_membership(&self, user: UserId, org: OrganizationId) {
        let removed = execute!(
            self,
            sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2")
                .bind(user.0)
                .bind(org.0)
        );
        assert_eq!(removed, 1, "membership removed");
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop a test database");
        }
    }
}

/// Stamps out one `#[tokio::test]` per backend for each named async
/// function taking a [`Backend`]: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A fresh, migrated store on `backend` (with the database that must
/// outlive it), or `None` as [`TestDatabase::create`] says.
pub async fn open_store(
    backend: Backend,
) -> Option<(TestDatabase, std::sync::Arc<dyn crate::Store>)> {
    let db = TestDatabase::create(backend).await?;
    let store = crate::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    Some((db, store))
}

/// A user and the organization they own, straight through the store.
/// An HTTP target of `org`, made by `user`, due now.
pub async fn http_target(
    store: &dyn crate::Store,
    org: &crate::models::Organization,
    user: &crate::models::User,
) -> crate::models::Target {
    store
        .create_target(
            org.id,
            crate::models::NewTarget::due_now(
                user.id,
                pharos_domain::TargetCheck::http_get("https://example.com/".to_owned()),
                60,
                5,
                Utc::now(),
            ),
        )
        .await
        .expect("create target")
}

pub async fn account(
    store: &dyn crate::Store,
    email: &str,
) -> (crate::models::User, crate::models::Organization) {
    store
        .create_account(crate::models::NewAccount {
            email,
            password_hash: "hash",
            organization_name: "Org",
            now: Utc::now(),
        })
        .await
        .expect("create account")
}
