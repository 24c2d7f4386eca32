//! One's own sessions on both backends, through the real server: the
//! list (user agents, addresses, the current one marked), ending one at
//! once, another user's id refused without ending anything, "sign out
//! everywhere else", API keys refused, and the Settings > Sessions page.

mod common;

use common::{json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::header::{LOCATION, USER_AGENT};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// Signs `email` in from a new client that calls itself `agent`.
async fn sign_in(app: &TestApp, email: &str, agent: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(agent)
        .build()
        .expect("client");
    let response = app
        .post_json(
            &client,
            "/api/v1/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    client
}

async fn register(app: &TestApp, email: &str) {
    let (status, body) = json_of(
        app.post_json(
            &app.client(),
            "/api/v1/auth/register",
            json!({"email": email, "password": PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn sessions_of(app: &TestApp, client: &Client) -> Vec<Value> {
    let (status, page) = json_of(app.get(client, "/api/v1/auth/sessions").await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
    page["items"].as_array().expect("items").clone()
}

fn by_agent<'a>(sessions: &'a [Value], agent: &str) -> &'a Value {
    sessions
        .iter()
        .find(|s| s["user_agent"] == agent)
        .unwrap_or_else(|| panic!("a session of {agent} in {sessions:?}"))
}

async fn delete(app: &TestApp, client: &Client, id: &str) -> (StatusCode, Value) {
    json_of(
        client
            .delete(app.url(&format!("/api/v1/auth/sessions/{id}")))
            .send()
            .await
            .expect("send"),
    )
    .await
}

async fn me(app: &TestApp, client: &Client) -> StatusCode {
    app.get(client, "/api/v1/auth/me").await.status()
}

async fn sessions_are_listed_and_ended(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    register(&app, "ada@example.com").await;
    register(&app, "bob@example.com").await;
    let laptop = sign_in(&app, "ada@example.com", "Laptop Firefox/128").await;
    let phone = sign_in(&app, "ada@example.com", "Phone Safari/17").await;
    let bob = sign_in(&app, "bob@example.com", "Bob's browser").await;

    // Two logins, two sessions, each with its user agent and address; the
    // one asking is marked. Nothing in the list is the token or its hash.
    let listed = sessions_of(&app, &laptop).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let mine = by_agent(&listed, "Laptop Firefox/128");
    let other = by_agent(&listed, "Phone Safari/17");
    assert_eq!(mine["current"], true);
    assert_eq!(other["current"], false);
    assert_eq!(mine["client_address"], "127.0.0.1");
    assert_ne!(mine["id"], other["id"]);
    for s in &listed {
        let keys: Vec<&String> = s.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "client_address",
                "created_at",
                "current",
                "id",
                "last_seen_at",
                "user_agent"
            ],
            "{s}"
        );
    }
    let cookie_token = app
        .get(&laptop, "/api/v1/auth/me")
        .await
        .headers()
        .get_all("set-cookie")
        .iter()
        .count();
    assert_eq!(cookie_token, 0, "no cookie is reissued");
    // From the phone, the phone is current.
    let from_phone = sessions_of(&app, &phone).await;
    assert_eq!(by_agent(&from_phone, "Phone Safari/17")["current"], true);
    assert_eq!(
        by_agent(&from_phone, "Laptop Firefox/128")["current"],
        false
    );

    // Bob cannot end Ada's session: not found, and it goes on working.
    let phone_id = other["id"].as_str().expect("id").to_owned();
    let (status, error) = delete(&app, &bob, &phone_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert_eq!(error["error"]["code"], "not_found");
    assert_eq!(me(&app, &phone).await, StatusCode::OK);
    assert_eq!(sessions_of(&app, &laptop).await.len(), 2);
    // Not a UUID, or no such session: not found too.
    assert_eq!(delete(&app, &laptop, "nope").await.0, StatusCode::NOT_FOUND);
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        delete(&app, &laptop, &unknown).await.0,
        StatusCode::NOT_FOUND
    );

    // Ending the phone's session from the laptop: its next request is 401.
    let (status, _) = delete(&app, &laptop, &phone_id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &laptop).await, StatusCode::OK);
    let left = sessions_of(&app, &laptop).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
    assert_eq!(
        delete(&app, &laptop, &phone_id).await.0,
        StatusCode::NOT_FOUND
    );

    // "Sign out everywhere else" keeps only the one asking.
    let tablet = sign_in(&app, "ada@example.com", "Tablet").await;
    let desk = sign_in(&app, "ada@example.com", "Desk").await;
    assert_eq!(sessions_of(&app, &desk).await.len(), 3);
    let (status, body) = json_of(
        app.post_json(&desk, "/api/v1/auth/sessions/revoke-others", json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"revoked": 2}));
    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &tablet).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &desk).await, StatusCode::OK);
    let left = sessions_of(&app, &desk).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["user_agent"], "Desk");
    // Bob's session was never touched.
    assert_eq!(me(&app, &bob).await, StatusCode::OK);
    assert_eq!(sessions_of(&app, &bob).await.len(), 1);

    // Ending one's own current session signs out, cookie and all.
    let own = left[0]["id"].as_str().expect("id").to_owned();
    let answer = desk
        .delete(app.url(&format!("/api/v1/auth/sessions/{own}")))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    assert!(answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().is_ok_and(|c| c.contains("Max-Age=0"))));
    assert_eq!(me(&app, &desk).await, StatusCode::UNAUTHORIZED);
}

async fn user_agents_are_kept_short(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    register(&app, "long@example.com").await;
    let long = format!("Agent/{}", "x".repeat(5000));
    let client = sign_in(&app, "long@example.com", &long).await;
    let listed = sessions_of(&app, &client).await;
    let agent = listed[0]["user_agent"].as_str().expect("agent");
    assert_eq!(agent.chars().count(), 256);
    assert!(long.starts_with(agent));
    // No user agent at all: null.
    let bare = Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .expect("client");
    let response = bare
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "long@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::OK);
    let listed = sessions_of(&app, &bare).await;
    let current = listed.iter().find(|s| s["current"] == true).expect("one");
    assert_eq!(current["user_agent"], Value::Null);
}

async fn api_keys_cannot_touch_sessions(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    register(&app, "keys@example.com").await;
    let owner = sign_in(&app, "keys@example.com", "Owner's browser").await;
    let (status, created) = json_of(
        app.post_json(
            &owner,
            "/api/v1/api-keys",
            json!({"name": "CI", "role": "owner"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().expect("key").to_owned();
    let id = sessions_of(&app, &owner).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let script = Client::builder().no_proxy().build().expect("client");
    let bearer = format!("Bearer {key}");
    let answers = [
        script
            .get(app.url("/api/v1/auth/sessions"))
            .header("authorization", &bearer)
            .send()
            .await
            .expect("send"),
        script
            .delete(app.url(&format!("/api/v1/auth/sessions/{id}")))
            .header("authorization", &bearer)
            .send()
            .await
            .expect("send"),
        script
            .post(app.url("/api/v1/auth/sessions/revoke-others"))
            .header("authorization", &bearer)
            .send()
            .await
            .expect("send"),
    ];
    for answer in answers {
        let (status, error) = json_of(answer).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
        assert_eq!(error["error"]["code"], "forbidden");
    }
    // Nothing ended.
    assert_eq!(me(&app, &owner).await, StatusCode::OK);
    // And without a session or key: 401.
    let stranger = app.client();
    assert_eq!(
        app.get(&stranger, "/api/v1/auth/sessions").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// The page, with plain forms: the list (this session marked), ending
/// another, "Sign out everywhere else", ending this one.
async fn the_sessions_page(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    register(&app, "page@example.com").await;
    let browser = Client::builder()
        .cookie_store(true)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Page Browser/1")
        .build()
        .expect("client");
    let answer = browser
        .post(app.url("/login"))
        .header(USER_AGENT, "Page Browser/1")
        .form(&[("email", "page@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let elsewhere = sign_in(&app, "page@example.com", "Elsewhere CLI").await;
    let settings = app
        .get(&browser, "/settings")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        settings.contains("href=\"/settings/sessions\""),
        "{settings}"
    );

    let html = app
        .get(&browser, "/settings/sessions")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("Page Browser/1"), "{html}");
    assert!(html.contains("Elsewhere CLI"), "{html}");
    assert_eq!(
        html.matches("<span class=\"tag\">this session</span>")
            .count(),
        1,
        "{html}"
    );
    assert!(html.contains("127.0.0.1"), "{html}");
    assert!(html.contains("Sign out everywhere else"), "{html}");

    // End the other session with its button.
    let listed = sessions_of(&app, &browser).await;
    let other = by_agent(&listed, "Elsewhere CLI")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(html.contains(&format!("/settings/sessions/{other}/revoke")));
    let answer = browser
        .post(app.url(&format!("/settings/sessions/{other}/revoke")))
        .send()
        .await
        .expect("revoke");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[LOCATION], "/settings/sessions");
    assert_eq!(me(&app, &elsewhere).await, StatusCode::UNAUTHORIZED);
    let html = app
        .get(&browser, "/settings/sessions")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("Session ended"), "{html}");
    assert!(!html.contains("Elsewhere CLI"), "{html}");
    assert!(html.contains("This is your only session."), "{html}");

    // Another user's session id through the page: not found, nothing ends.
    let another = sign_in(&app, "page@example.com", "Third").await;
    register(&app, "stranger@example.com").await;
    let stranger = sign_in(&app, "stranger@example.com", "Stranger").await;
    let third = by_agent(&sessions_of(&app, &another).await, "Third")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let answer = stranger
        .post(app.url(&format!("/settings/sessions/{third}/revoke")))
        .send()
        .await
        .expect("revoke");
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert_eq!(me(&app, &another).await, StatusCode::OK);

    // "Sign out everywhere else".
    let answer = browser
        .post(app.url("/settings/sessions/revoke-others"))
        .send()
        .await
        .expect("revoke others");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&app, &another).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &browser).await, StatusCode::OK);
    let html = app
        .get(&browser, "/settings/sessions")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("Every other session of yours is signed out."),
        "{html}"
    );

    // Ending this one logs out.
    let own = sessions_of(&app, &browser).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let answer = browser
        .post(app.url(&format!("/settings/sessions/{own}/revoke")))
        .send()
        .await
        .expect("log out");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[LOCATION], "/login");
    assert_eq!(me(&app, &browser).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &stranger).await, StatusCode::OK);
}

pharos_storage::on_both_backends!(
    sessions_are_listed_and_ended,
    user_agents_are_kept_short,
    api_keys_cannot_touch_sessions,
    the_sessions_page,
);
