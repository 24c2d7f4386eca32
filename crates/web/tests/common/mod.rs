//! A real Pharos server on 127.0.0.1:0 over a fresh database, driven over
//! HTTP as a user would.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use pharos_app::RateLimitSettings;
use pharos_domain::AddressPolicy;
use pharos_probes::{ProbeSettings, Prober};
use pharos_storage::prelude::*;
use pharos_storage::testing::{Backend, TestDatabase};
use pharos_web::auth::SessionConfig;
use pharos_web::{AppState, WebConfig};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    _db: TestDatabase,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

pub fn test_config() -> WebConfig {
    WebConfig {
        session: SessionConfig {
            secret: b"test-secret-key-that-is-long-enough-0123456789".to_vec(),
            secure_cookies: false,
            idle_timeout: Duration::from_secs(3600),
            absolute_timeout: Duration::from_secs(86_400),
        },
        limits: RateLimitSettings {
            logins_per_minute_per_client: 1000,
            logins_per_minute_per_account: 1000,
            registrations_per_hour_per_client: 1000,
            target_creations_per_minute_per_organization: 1000,
            checks_now_per_minute_per_organization: 1000,
            ..RateLimitSettings::default()
        },
        allow_private_targets: false,
        trust_forwarded_for: false,
        public_origin: None,
        max_body_bytes: 64 * 1024,
        metrics_access: pharos_web::MetricsAccess::Public,
        link_base: None,
        password_reset_minutes: 60,
        require_email_verification: false,
    }
}

impl TestApp {
    /// `None` when PostgreSQL is wanted but unavailable (and not required).
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut WebConfig)) -> Option<Self> {
        Self::spawn_full(backend, tweak, None).await
    }

    /// With a transport for "Send test" (its own SSRF setting).
    pub async fn spawn_full(
        backend: Backend,
        tweak: impl FnOnce(&mut WebConfig),
        transport: Option<Arc<pharos_notify::transport::Transport>>,
    ) -> Option<Self> {
        Self::spawn_adjusted(backend, tweak, transport, |state| state).await
    }

    /// With the state adjusted before serving (a test's own DNS for
    /// custom domains).
    pub async fn spawn_adjusted(
        backend: Backend,
        tweak: impl FnOnce(&mut WebConfig),
        transport: Option<Arc<pharos_notify::transport::Transport>>,
        adjust: impl FnOnce(AppState) -> AppState,
    ) -> Option<Self> {
        let db = TestDatabase::create(backend).await?;
        let store = pharos_storage::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let mut config = test_config();
        tweak(&mut config);
        // "Check now" may reach local test servers on 127.0.0.1, nothing else
        // the address table blocks.
        let policy = AddressPolicy {
            allow_private: false,
            also_allow: vec![std::net::IpAddr::from([127, 0, 0, 1])],
        };
        let prober = Prober::new(ProbeSettings::with_policy(policy)).expect("prober");
        let state = AppState::new(store.clone(), config)
            .with_prober(Some(prober))
            .with_transport(transport);
        let state = adjust(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(pharos_web::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Some(Self {
            base,
            store,
            _db: db,
            shutdown: Some(tx),
        })
    }

    /// The test's own database, for what the product cannot do yet
    /// (adding someone to an organization).
    pub fn database(&self) -> &TestDatabase {
        &self._db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs `body` as JSON to `path` with `client`'s cookies.
    pub async fn post_json(&self, client: &Client, path: impl AsRef<str>, body: Value) -> Response {
        client
            .post(self.url(path.as_ref()))
            .json(&body)
            .send()
            .await
            .expect("send")
    }

    /// PUTs `body` as JSON to `path` with `client`'s cookies.
    pub async fn client_put(&self, client: &Client, path: &str, body: Value) -> Response {
        client
            .put(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("send")
    }

    /// PATCHes `body` as JSON to `path` with `client`'s cookies.
    pub async fn client_patch(&self, client: &Client, path: &str, body: Value) -> Response {
        client
            .patch(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("send")
    }

    /// GETs `path` with `client`'s cookies.
    pub async fn get(&self, client: &Client, path: impl AsRef<str>) -> Response {
        client
            .get(self.url(path.as_ref()))
            .send()
            .await
            .expect("send")
    }

    /// A client like a browser seen from the server: its own cookie jar,
    /// and redirects shown (to assert where they go), not followed.
    pub fn browser(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A client with its own cookie jar: one browser, one user.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .no_proxy()
            .build()
            .expect("client")
    }

    /// Registers and logs in a new user; returns their client.
    pub async fn user(&self, email: &str) -> Client {
        self.sign_up(self.client(), email, None).await
    }

    /// Registers `email` (with an organization named `organization`, else
    /// after the address) and logs `client` in as them.
    pub async fn sign_up(&self, client: Client, email: &str, organization: Option<&str>) -> Client {
        let mut account = json!({"email": email, "password": "correct horse battery"});
        if let Some(organization) = organization {
            account["organization"] = json!(organization);
        }
        let response = self
            .post_json(&client, "/api/v1/auth/register", account)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{}",
            response.text().await.unwrap_or_default()
        );
        let response = self
            .post_json(
                &client,
                "/api/v1/auth/login",
                json!({"email": email, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The instance's SMTP settings for a test SMTP server (STARTTLS, its CA
/// trusted).
pub fn smtp_settings(
    server: &pharos_notify::testing::SmtpServer,
) -> pharos_notify::transport::SmtpSettings {
    pharos_notify::transport::SmtpSettings {
        host: "localhost".to_owned(),
        port: server.port,
        username: None,
        password: None,
        tls: pharos_notify::transport::SmtpTls::Starttls,
        from: "Pharos <alerts@pharos.example.com>"
            .parse()
            .expect("mailbox"),
        extra_root_certificate_pem: Some(server.ca_pem.clone()),
    }
}

/// The status and JSON body of a response.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Creates a target through the API as `client`.
pub async fn create(app: &TestApp, client: &Client, body: Value) -> (StatusCode, Value) {
    json_of(
        client
            .post(app.url("/api/v1/targets"))
            .json(&body)
            .send()
            .await
            .expect("send"),
    )
    .await
}
