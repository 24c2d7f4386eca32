//! Registration, login, sessions, password changes, cross-site refusal and
//! rate limits, on both backends.

mod common;

use common::{json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::StatusCode;
use serde_json::json;

async fn register_login_me_logout(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.client();
    let (status, body) = json_of(
        app.post_json(&client, "/api/v1/auth/register", json!({"email": "  Alice@Example.com ", "password": "correct horse battery", "organization": "Acme"})).await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert_eq!(body["organizations"][0]["name"], "Acme");
    assert_eq!(body["organizations"][0]["role"], "owner");

    // Not signed in yet.
    let me = app.get(&client, "/api/v1/auth/me").await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);

    // The email is compared case-insensitively.
    let login = app
        .post_json(
            &client,
            "/api/v1/auth/login",
            json!({"email": "ALICE@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !login.text().await.expect("body").contains("pharos_session"),
        "no token in the body"
    );

    let (status, me) = json_of(app.get(&client, "/api/v1/auth/me").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], "alice@example.com");

    // Replaying the cookie after logout fails: the session ended on the server.
    let token = cookie.split(';').next().expect("pair").to_owned();
    let logout = client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .expect("send");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let replay = app
        .client()
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", token)
        .send()
        .await
        .expect("send");
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

async fn wrong_password_and_unknown_email_answer_alike(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.user("bob@example.com").await;
    let client = app.client();
    let mut answers = Vec::new();
    for (email, password) in [
        ("bob@example.com", "wrong password!!"),
        ("nobody@example.com", "correct horse battery"),
    ] {
        let (status, body) = json_of(
            app.post_json(
                &client,
                "/api/v1/auth/login",
                json!({"email": email, "password": password}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
}

async fn one_account_per_email_under_concurrency(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut attempts = Vec::new();
    for _ in 0..6 {
        let client = app.client();
        let url = app.url("/api/v1/auth/register");
        attempts.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"email": "race@example.com", "password": "correct horse battery"}))
                .send()
                .await
                .expect("send")
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.expect("join"));
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(
        app.store
            .organization_summaries()
            .await
            .expect("orgs")
            .len(),
        1
    );
}

async fn password_change_ends_other_sessions(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let laptop = app.user("carol@example.com").await;
    let phone = app.client();
    let login = app
        .post_json(
            &phone,
            "/api/v1/auth/login",
            json!({"email": "carol@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);

    let (status, body) = json_of(app.post_json(
        &laptop,
        "/api/v1/auth/password",
        json!({"current_password": "not the password", "new_password": "a brand new passphrase"}),
    ).await)
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "current_password");

    let change = app.post_json(&laptop, "/api/v1/auth/password", json!({"current_password": "correct horse battery", "new_password": "a brand new passphrase"})).await;
    assert_eq!(change.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&laptop, "/api/v1/auth/me").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&phone, "/api/v1/auth/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let old = app
        .post_json(
            &app.client(),
            "/api/v1/auth/login",
            json!({"email": "carol@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
}

async fn cross_site_writes_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("dave@example.com").await;
    let body = json!({"url": "https://example.com/"});
    let evil = client
        .post(app.url("/api/v1/targets"))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    let fetch = client
        .post(app.url("/api/v1/targets"))
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(fetch.status(), StatusCode::FORBIDDEN);
    let deleted = client
        .post(app.url("/api/v1/auth/logout"))
        .header("sec-fetch-site", "same-site")
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), StatusCode::FORBIDDEN);

    // Same origin, and clients without a browser, keep working.
    let own_origin = client
        .post(app.url("/api/v1/targets"))
        .header("origin", app.base.clone())
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(own_origin.status(), StatusCode::CREATED);
    let curl_like = app.post_json(&client, "/api/v1/targets", body).await;
    assert_eq!(curl_like.status(), StatusCode::CREATED);
    let listed = json_of(app.get(&client, "/api/v1/targets").await).await.1;
    assert_eq!(
        listed["items"].as_array().expect("items").len(),
        2,
        "the refused requests stored nothing"
    );
}

async fn rate_limits_answer_429(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.limits.logins_per_minute_per_account = 3;
        config.limits.registrations_per_hour_per_client = 3;
        config.limits.target_creations_per_minute_per_organization = 2;
    })
    .await
    else {
        return;
    };
    // Registrations per client address (the fourth in the hour is refused).
    let client = app.user("erin@example.com").await;
    app.post_json(
        &app.client(),
        "/api/v1/auth/register",
        json!({"email": "f@example.com", "password": "correct horse battery"}),
    )
    .await;
    app.post_json(
        &app.client(),
        "/api/v1/auth/register",
        json!({"email": "g@example.com", "password": "correct horse battery"}),
    )
    .await;
    let refused = app
        .post_json(
            &app.client(),
            "/api/v1/auth/register",
            json!({"email": "h@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().get("retry-after").is_some());
    assert!(app
        .store
        .user_credentials("h@example.com")
        .await
        .expect("lookup")
        .is_none());

    // Logins per account (one was used by `user`).
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = app
            .post_json(
                &app.client(),
                "/api/v1/auth/login",
                json!({"email": "erin@example.com", "password": "wrong wrong wrong"}),
            )
            .await;
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );

    // Target creations per organization.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = app
            .post_json(
                &client,
                "/api/v1/targets",
                json!({"url": "https://example.com/"}),
            )
            .await;
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

async fn health_and_openapi(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.client();
    assert_eq!(app.get(&client, "/healthz").await.status(), StatusCode::OK);
    let (status, ready) = json_of(app.get(&client, "/readyz").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["status"], "ready");
    let (status, doc) = json_of(app.get(&client, "/api/v1/openapi.json").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/api/v1/targets",
        "/api/v1/targets/{id}",
        "/api/v1/targets/{id}/checks",
        "/api/v1/auth/login",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let unknown = app.get(&client, "/nope").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.headers()["x-content-type-options"], "nosniff");
}

async fn sessions_expire_when_idle(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.session.idle_timeout = std::time::Duration::from_secs(1);
    })
    .await
    else {
        return;
    };
    let client = app.user("sleepy@example.com").await;
    assert_eq!(
        app.get(&client, "/api/v1/auth/me").await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(
        app.get(&client, "/api/v1/auth/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn https_deployments_get_secure_host_cookies(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.session.secure_cookies = true;
    })
    .await
    else {
        return;
    };
    let client = app.client();
    let register = app
        .post_json(
            &client,
            "/api/v1/auth/register",
            json!({"email": "tls@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(register.status(), StatusCode::CREATED);
    let login = app
        .post_json(
            &client,
            "/api/v1/auth/login",
            json!({"email": "tls@example.com", "password": "correct horse battery"}),
        )
        .await;
    let cookie = login
        .headers()
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("__Host-pharos_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Domain"),
        "__Host- cookies carry no Domain: {cookie}"
    );
}

pharos_storage::on_both_backends!(
    sessions_expire_when_idle,
    https_deployments_get_secure_host_cookies,
    register_login_me_logout,
    wrong_password_and_unknown_email_answer_alike,
    one_account_per_email_under_concurrency,
    password_change_ends_other_sessions,
    cross_site_writes_are_refused,
    rate_limits_answer_429,
    health_and_openapi,
);
