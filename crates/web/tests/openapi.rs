//! The OpenAPI document is generated from the code; `docs/openapi.json` is
//! its snapshot, so every API change shows up in review. Refresh it with
//! `PHAROS_UPDATE_SNAPSHOTS=1 cargo test -p pharos-web --test openapi`.

use utoipa::OpenApi;

#[test]
fn openapi_document_matches_its_snapshot() {
    let generated = pharos_web::api::openapi::ApiDoc::openapi()
        .to_pretty_json()
        .expect("serialise the document")
        + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var("PHAROS_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write the snapshot");
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == generated,
        "docs/openapi.json is out of date; run PHAROS_UPDATE_SNAPSHOTS=1 cargo test -p pharos-web --test openapi"
    );
}

#[test]
fn openapi_document_is_version_3_1_and_lists_every_route() {
    let doc = serde_json::to_value(pharos_web::api::openapi::ApiDoc::openapi()).expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/auth/password",
        "/api/v1/targets",
        "/api/v1/targets/status",
        "/api/v1/targets/{id}",
        "/api/v1/targets/{id}/checks",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is missing");
    }
}
