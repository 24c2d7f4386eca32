//! Two-factor sign-in on both backends, through the real server, with
//! codes made by the test as an authenticator app would: enrol, confirm,
//! sign in with a code (never the same one twice) or a recovery code
//! (each once), through the API and the pages, and turn it off.

mod common;

use common::{json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

const EMAIL: &str = "second@example.com";
const PASSWORD: &str = "correct horse battery";

/// The test's authenticator app, from the base32 key the server showed.
fn app_for(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32");
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Pharos".to_owned()),
        EMAIL.to_owned(),
    )
    .expect("totp")
}

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970")
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    json_of(app.post_json(client, path, body).await).await
}

async fn login(app: &TestApp, code: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({"email": EMAIL, "password": PASSWORD});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    post(app, &app.client(), "/api/v1/auth/login", body).await
}

async fn two_factor_guards_sign_in_with_single_use_codes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user(EMAIL).await;
    let (_, status) = json_of(app.get(&client, "/api/v1/auth/two-factor").await).await;
    assert_eq!(status, json!({"enabled": false, "recovery_codes_left": 0}));

    let (status, enrolment) = post(&app, &client, "/api/v1/auth/two-factor/setup", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let secret = enrolment["secret"].as_str().expect("secret").to_owned();
    let url = enrolment["otpauth_url"].as_str().expect("url");
    assert!(
        url.starts_with("otpauth://totp/Pharos:second%40example.com?"),
        "{url}"
    );
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    let svg = enrolment["qr_svg"].as_str().expect("svg");
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    // Not on until a code confirms it: sign-in is as before.
    assert_eq!(login(&app, None).await.0, StatusCode::OK);

    let phone = app_for(&secret);
    let base = now();
    let (status, error) = post(
        &app,
        &client,
        "/api/v1/auth/two-factor/enable",
        json!({"code": "000000x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "code");
    let (status, enabled) = post(
        &app,
        &client,
        "/api/v1/auth/two-factor/enable",
        json!({"code": phone.generate(base)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    let recovery: Vec<String> = enabled["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    let (status, _) = post(&app, &client, "/api/v1/auth/two-factor/setup", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "on already");

    // The password alone no longer signs in.
    let (status, error) = login(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"]["code"], "second_factor_required");
    let (status, error) = login(&app, Some("123456")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"]["code"], "invalid_second_factor");
    // The code that confirmed the app was used: refused.
    assert_eq!(
        login(&app, Some(&phone.generate(base))).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The next step's code works once.
    let next = phone.generate(base + 30);
    assert_eq!(login(&app, Some(&next)).await.0, StatusCode::OK);
    let (status, error) = login(&app, Some(&next)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a replay");
    assert_eq!(error["error"]["code"], "invalid_second_factor");
    // A recovery code works once, however it is typed.
    assert_eq!(
        login(&app, Some(&recovery[0].to_uppercase())).await.0,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, Some(&recovery[0])).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, status) = json_of(app.get(&client, "/api/v1/auth/two-factor").await).await;
    assert_eq!(status, json!({"enabled": true, "recovery_codes_left": 9}));

    // Through the pages: password, then the code on a page of its own.
    let browser = app.client();
    let answer = browser
        .post(app.url("/login"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(answer.url().path(), "/login/code");
    assert!(answer
        .text()
        .await
        .expect("body")
        .contains("Enter your code"));
    let wrong = browser
        .post(app.url("/login/code"))
        .form(&[("code", "111111")])
        .send()
        .await
        .expect("code");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = json_of(app.get(&browser, "/api/v1/auth/me").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no session yet");
    let right = browser
        .post(app.url("/login/code"))
        .form(&[("code", recovery[1].as_str())])
        .send()
        .await
        .expect("code");
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(right.url().path(), "/");
    let (status, _) = json_of(app.get(&browser, "/api/v1/auth/me").await).await;
    assert_eq!(status, StatusCode::OK);
    // Without the password step there is nothing to complete.
    let stranger = app.client();
    let answer = stranger
        .post(app.url("/login/code"))
        .form(&[("code", recovery[2].as_str())])
        .send()
        .await
        .expect("code");
    assert_eq!(answer.url().path(), "/login");
    let (_, status) = json_of(app.get(&client, "/api/v1/auth/two-factor").await).await;
    assert_eq!(
        status["recovery_codes_left"], 8,
        "the stranger used nothing"
    );

    // Off, with the password.
    let (status, error) = post(
        &app,
        &client,
        "/api/v1/auth/two-factor/disable",
        json!({"current_password": "wrong one here"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "current_password");
    let answer = app
        .post_json(
            &client,
            "/api/v1/auth/two-factor/disable",
            json!({"current_password": PASSWORD}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(&app, None).await.0, StatusCode::OK);
    assert_eq!(
        login(&app, Some(&recovery[3])).await.0,
        StatusCode::OK,
        "a code is ignored when off"
    );
}

async fn the_settings_page_enrols_an_app(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user(EMAIL).await;
    let page = client
        .get(app.url("/settings/two-factor"))
        .send()
        .await
        .expect("page");
    assert!(page
        .text()
        .await
        .expect("body")
        .contains("Set up two-factor sign-in"));
    let setup = client
        .post(app.url("/settings/two-factor/setup"))
        .send()
        .await
        .expect("setup");
    let html = setup.text().await.expect("body");
    assert!(html.contains("<svg"), "{html}");
    let key_at =
        html.find("<code class=\"secret\">").expect("key") + "<code class=\"secret\">".len();
    let secret: String = html[key_at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let wrong = client
        .post(app.url("/settings/two-factor/enable"))
        .form(&[("code", "12")])
        .send()
        .await
        .expect("enable");
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .expect("body")
        .contains("the code is wrong"));
    let code = app_for(&secret).generate(now());
    let on = client
        .post(app.url("/settings/two-factor/enable"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .expect("enable");
    let html = on.text().await.expect("body");
    assert!(html.contains("Your recovery codes"), "{html}");
    assert_eq!(html.matches("<li><code>").count(), 10);
    let again = client
        .get(app.url("/settings/two-factor"))
        .send()
        .await
        .expect("page");
    let html = again.text().await.expect("body");
    assert!(
        html.contains("10 recovery codes left") && !html.contains("<li><code>"),
        "shown once: {html}"
    );
}

pharos_storage::on_both_backends!(
    two_factor_guards_sign_in_with_single_use_codes,
    the_settings_page_enrols_an_app,
);
