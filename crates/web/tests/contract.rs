//! The OpenAPI document the server serves, held against the server itself:
//! the methods each path answers, the refusals every JSON route lists, and
//! the bounds the document states. `.ci/schemathesis` fuzzes the same
//! contract; these are the cases that must never drift, checked on every
//! `cargo test`.

mod common;

use common::{create, json_of, TestApp};
use pharos_storage::testing::Backend;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

/// The document as the server serves it.
async fn document(app: &TestApp) -> Value {
    let (status, doc) = json_of(app.get(&app.client(), "/api/v1/openapi.json").await).await;
    assert_eq!(status, StatusCode::OK);
    doc
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// Every (path, method, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                found.push((path.clone(), method.clone(), operation.clone()));
            }
        }
    }
    found
}

/// A documented path with its parameters filled in.
fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{user_id}", id)
        .replace("{incident_id}", id)
        .replace("{slug}", "no-such-page")
        .replace("{token}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
}

/// A schema with any `$ref` followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .expect("a schema reference");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => match schema["oneOf"].as_array() {
            Some(one) if one.len() == 1 => resolve(doc, &one[0]),
            _ => schema,
        },
    }
}

async fn a_target(app: &TestApp, client: &Client) -> String {
    let (status, target) = create(app, client, json!({"url": "https://example.com/"})).await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    target["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_allows_exactly_the_methods_the_document_lists() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let doc = document(&app).await;
    let client = app.client();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let mut documented: Vec<String> = item
            .as_object()
            .expect("path item")
            .keys()
            .filter(|m| METHODS.contains(&m.as_str()))
            .map(|m| m.to_ascii_uppercase())
            .collect();
        // A GET route answers HEAD too (HTTP semantics; axum does it).
        if documented.iter().any(|m| m == "GET") && !documented.iter().any(|m| m == "HEAD") {
            documented.push("HEAD".to_owned());
        }
        documented.sort();
        assert!(
            !documented.iter().any(|m| m == "OPTIONS"),
            "{path}: pick another undocumented method"
        );
        let response = client
            .request(Method::OPTIONS, app.url(&concrete(path, "not-a-uuid")))
            .send()
            .await
            .expect("send");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "OPTIONS {path}"
        );
        let allow = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut allowed: Vec<String> = allow
            .split(',')
            .map(|m| m.trim().to_ascii_uppercase())
            .filter(|m| !m.is_empty())
            .collect();
        allowed.sort();
        assert_eq!(
            allowed, documented,
            "{path}: the server allows {allow:?}, the document lists {documented:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_route_lists_and_gives_the_refusals_of_a_json_body() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let doc = document(&app).await;
    let client = app.user("bodies@example.com").await;
    let id = a_target(&app, &client).await;
    let mut seen = 0;
    for (path, method, operation) in operations(&doc) {
        if operation.get("requestBody").is_none() {
            continue;
        }
        seen += 1;
        for status in ["400", "413", "415", "422"] {
            assert!(
                operation["responses"][status].is_object(),
                "{method} {path} reads a JSON body but does not list {status}"
            );
        }
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
        let url = app.url(&concrete(&path, &id));
        let not_json = client
            .request(method.clone(), &url)
            .header("content-type", "text/plain")
            .body("name=x")
            .send()
            .await
            .expect("send");
        assert_eq!(
            not_json.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{method} {path}"
        );
        let malformed = client
            .request(method.clone(), &url)
            .header("content-type", "application/json")
            .body("{\"name\":")
            .send()
            .await
            .expect("send");
        assert_eq!(
            malformed.status(),
            StatusCode::BAD_REQUEST,
            "{method} {path}"
        );
        let too_large = client
            .request(method.clone(), &url)
            .header("content-type", "application/json")
            .body(format!("{{\"name\":\"{}\"}}", "x".repeat(70 * 1024)))
            .send()
            .await
            .expect("send");
        assert_eq!(
            too_large.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {path}"
        );
    }
    assert!(seen >= 7, "only {seen} routes with a JSON body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_bounds_in_the_document_are_the_servers() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let doc = document(&app).await;
    let client = app.user("bounds@example.com").await;
    let id = a_target(&app, &client).await;
    // Badge routes are probed with the target's real badge token.
    let (_, badged) = json_of(
        app.client_patch(
            &client,
            &format!("/api/v1/targets/{id}"),
            json!({"badge": true}),
        )
        .await,
    )
    .await;
    let badge_token = badged["badge_urls"]["status"]
        .as_str()
        .and_then(|url| url.split('/').rev().nth(1))
        .expect("a badge token")
        .to_owned();
    let mut probed = 0;
    for (path, method, operation) in operations(&doc) {
        let path = path.replace("{token}", &badge_token);
        let Some(parameters) = operation["parameters"].as_array() else {
            continue;
        };
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            assert_eq!(method, "get", "{path}: query parameters on reads only");
            let name = parameter["name"].as_str().expect("name");
            let schema = resolve(&doc, &parameter["schema"]);
            let url = |value: &str| format!("{}?{name}={value}", concrete(&path, &id));
            let mut cases: Vec<(String, StatusCode)> = Vec::new();
            if let (Some(min), Some(max)) = (schema["minimum"].as_i64(), schema["maximum"].as_i64())
            {
                cases.extend([
                    ((min - 1).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
                    (min.to_string(), StatusCode::OK),
                    (max.to_string(), StatusCode::OK),
                    ((max + 1).to_string(), StatusCode::UNPROCESSABLE_ENTITY),
                ]);
            }
            if let Some(values) = schema["enum"].as_array() {
                for value in values {
                    cases.push((value.as_str().expect("text").to_owned(), StatusCode::OK));
                }
                cases.push(("1y".to_owned(), StatusCode::UNPROCESSABLE_ENTITY));
            }
            for (value, expected) in cases {
                probed += 1;
                let (status, body) = json_of(app.get(&client, url(&value)).await).await;
                assert_eq!(status, expected, "{path}?{name}={value}: {body}");
                assert!(
                    operation["responses"][status.as_str()].is_object(),
                    "{path} answers {status} but does not list it"
                );
            }
        }
    }
    assert!(probed >= 13, "only {probed} bounds probed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_length_in_the_document_is_the_servers() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let doc = document(&app).await;
    let register = &doc["components"]["schemas"]["RegisterRequest"]["allOf"][0];
    let password = &register["properties"]["password"];
    let min = password["minLength"].as_u64().expect("minLength") as usize;
    let max = password["maxLength"].as_u64().expect("maxLength") as usize;
    let client = app.client();
    for (n, (length, expected)) in [
        (min - 1, StatusCode::UNPROCESSABLE_ENTITY),
        (min, StatusCode::CREATED),
        (max, StatusCode::CREATED),
        (max + 1, StatusCode::UNPROCESSABLE_ENTITY),
    ]
    .into_iter()
    .enumerate()
    {
        let body =
            json!({"email": format!("length{n}@example.com"), "password": "p".repeat(length)});
        let (status, answer) =
            json_of(app.post_json(&client, "/api/v1/auth/register", body).await).await;
        assert_eq!(status, expected, "a {length}-character password: {answer}");
    }
}
