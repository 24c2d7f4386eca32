//! A target checked from several locations (issue #15): its page shows
//! each location's own view (state, last check, latency, its last 24
//! hours), the quorum in words, and where each check ran; another
//! organization sees none of it. Through the real server, on both
//! backends.

mod common;

use chrono::{Duration, Utc};
use common::{create, json_of, TestApp};
use pharos_domain::agent::{AgentStatus, Location};
use pharos_domain::check::Verdict;
use pharos_domain::ids::{CheckId, OrganizationId, TargetId};
use pharos_domain::status::Confirmation;
use pharos_storage::models::{AgentAdmission, AgentCheck, AgentIntroduction, Check};
use pharos_storage::testing::Backend;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn organization(app: &TestApp, client: &Client) -> OrganizationId {
    let (status, mine) = json_of(app.get(client, "/api/v1/organizations").await).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let current = mine
        .as_array()
        .and_then(|all| all.iter().find(|o| o["current"] == true))
        .unwrap_or_else(|| panic!("one is current: {mine}"));
    OrganizationId(uuid(&current["id"]))
}

/// The page at `path` as `client` sees it (status 200 asserted).
async fn html(app: &TestApp, client: &Client, path: String) -> String {
    let response = app.get(client, &path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("page")
}

fn uuid(value: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(value.as_str().unwrap_or_default())
        .unwrap_or_else(|_| panic!("a uuid: {value}"))
}

fn agent_result(
    target: TargetId,
    agent: pharos_domain::ids::AgentId,
    minutes_ago: i64,
) -> AgentCheck {
    let at = Utc::now() - Duration::minutes(minutes_ago);
    AgentCheck {
        slot: at,
        verdict: Verdict::Down,
        check: Check {
            id: CheckId::new(),
            target_id: target,
            checked_at: at,
            status_code: Some(503),
            latency_ms: Some(10_000),
            is_up: false,
            degraded: false,
            error_class: None,
            error: Some("expected a 2xx status, got 503".to_owned()),
            timings: Default::default(),
            in_maintenance: false,
            location: Location::Agent(agent),
        },
    }
}

async fn approved(app: &TestApp, org: OrganizationId, name: &str) -> pharos_storage::models::Agent {
    let intro = AgentIntroduction {
        uuid: uuid::Uuid::new_v4(),
        name,
        version: "1.0",
        now: Utc::now(),
    };
    assert_eq!(
        app.store
            .admit_agent(org, intro, name.as_bytes(), 10)
            .await
            .expect("admit"),
        AgentAdmission::Pending
    );
    let agent = app
        .store
        .agent_by_uuid(org, intro.uuid)
        .await
        .expect("read")
        .expect("pending");
    assert!(app
        .store
        .set_agent_status(org, agent.id, AgentStatus::Approved)
        .await
        .expect("approve"));
    agent
}

async fn a_target_page_shows_each_location(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = app.user("owner@example.com").await;
    let org = organization(&app, &client).await;
    let (status, target) = create(
        &app,
        &client,
        json!({"url": "https://shop.example.com/health", "name": "Shop"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{target}");
    let target_id = TargetId(uuid(&target["id"]));

    // Agents named Frankfurt and Paris, admitted as the endpoint does it.
    let agent = approved(&app, org, "Frankfurt").await;
    let paris = approved(&app, org, "Paris").await;

    // A target on the server alone has no locations section.
    let page = html(&app, &client, format!("/targets/{target_id}")).await;
    assert!(!page.contains("id=\"locations\""), "{page}");

    // The form offers "at least N" between one and all three locations.
    let form = html(&app, &client, format!("/targets/{target_id}/edit")).await;
    assert!(
        form.contains("<option value=\"2\">At least 2 of them</option>"),
        "{form}"
    );
    assert!(
        !form.contains("<option value=\"3\""),
        "three is all: {form}"
    );

    let (status, updated) = json_of(
        app.client_patch(
            &client,
            &format!("/api/v1/targets/{target_id}"),
            json!({
                "location_ids": ["local", agent.id.to_string(), paris.id.to_string()],
                "quorum": 2
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let form = html(&app, &client, format!("/targets/{target_id}/edit")).await;
    assert!(
        form.contains("<option value=\"2\" selected>At least 2 of them</option>"),
        "{form}"
    );
    let written = app
        .store
        .record_agent_checks(
            org,
            agent.id,
            &[
                agent_result(target_id, agent.id, 3),
                agent_result(target_id, agent.id, 2),
            ],
            Confirmation {
                failures_to_confirm: 1,
            },
        )
        .await
        .expect("record");
    assert_eq!(written.stored, 2);

    let response = app.get(&client, format!("/targets/{target_id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("page");
    let section = page
        .split("id=\"locations\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_else(|| panic!("a locations section: {page}"));
    assert!(
        section.contains("Down when at least 2 of its 3 locations see it down (2 of 3)"),
        "{section}"
    );
    // Each location in a row of its own: local (no checks yet) first,
    // then Frankfurt, down from its two failed checks, with 0 % up over
    // its last 24 hours, then Paris, not heard from.
    let rows: Vec<&str> = section.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3, "{section}");
    assert!(
        rows[2].contains("Paris") && rows[2].contains("Pending"),
        "{}",
        rows[2]
    );
    assert!(
        rows[0].contains(">local<") && rows[0].contains("Pending"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains("not yet"), "{}", rows[0]);
    assert!(
        rows[1].contains("Frankfurt") && rows[1].contains("Down"),
        "{}",
        rows[1]
    );
    assert!(rows[1].contains("0 %"), "{}", rows[1]);
    assert!(
        rows[1].contains("<svg"),
        "its last 24 hours are drawn: {}",
        rows[1]
    );
    // Only one down location of the two needed: the target is degraded.
    assert!(page.contains("id=\"detail-state\""));
    let (_, view) = json_of(
        app.get(&client, format!("/api/v1/targets/{target_id}"))
            .await,
    )
    .await;
    assert_eq!(view["state"], json!("degraded"), "{view}");
    // Each check names where it ran.
    let checks = page
        .split("id=\"checks\"")
        .nth(1)
        .expect("a checks section");
    assert!(
        checks.contains("<th scope=\"col\">Location</th>"),
        "{checks}"
    );
    assert_eq!(
        checks.matches("data-label=\"Location\">Frankfurt<").count(),
        2,
        "{checks}"
    );

    // Another organization cannot open the page at all.
    let stranger = app.user("stranger@example.com").await;
    let response = app.get(&stranger, format!("/targets/{target_id}")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The locations a target may use: the owner's agents are its own...
    let names = |list: &Value| -> Vec<(String, String)> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|l| {
                (
                    l["name"].as_str().unwrap_or_default().to_owned(),
                    l["kind"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let (status, mine) = json_of(app.get(&client, "/api/v1/locations").await).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let pair = |n: &str, k: &str| (n.to_owned(), k.to_owned());
    assert_eq!(
        names(&mine),
        vec![
            pair("local", "server"),
            pair("Frankfurt", "agent"),
            pair("Paris", "agent")
        ]
    );
    // ...and nobody else's, until the operator publishes one.
    let (_, theirs) = json_of(app.get(&stranger, "/api/v1/locations").await).await;
    assert_eq!(names(&theirs), vec![pair("local", "server")]);
    let (status, their_target) = create(
        &app,
        &stranger,
        json!({"url": "https://stranger.example.com/", "name": "Theirs"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{their_target}");
    let their_path = format!(
        "/api/v1/targets/{}",
        their_target["id"].as_str().expect("id")
    );
    let choose_frankfurt =
        json!({"location_ids": ["local", agent.id.to_string()], "quorum": "any"});
    let (status, refused) = json_of(
        app.client_patch(&stranger, &their_path, choose_frankfurt.clone())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        refused["error"]["field"],
        json!("location_ids[1]"),
        "{refused}"
    );
    app.store
        .set_agent_public(agent.id, true)
        .await
        .expect("publish")
        .expect("agent");
    let (_, theirs) = json_of(app.get(&stranger, "/api/v1/locations").await).await;
    assert_eq!(
        names(&theirs),
        vec![pair("local", "server"), pair("Frankfurt", "public")]
    );
    let (status, chosen) = json_of(
        app.client_patch(&stranger, &their_path, choose_frankfurt)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    assert_eq!(
        chosen["location_ids"],
        json!(["local", agent.id.to_string()])
    );
    // The owner's list says its agent is public; the stranger's form
    // offers it as a public location.
    let (_, agents) = json_of(app.get(&client, "/api/v1/agents").await).await;
    assert!(agents["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|a| a["name"] == json!("Frankfurt") && a["public"] == json!(true)));
    let form = html(
        &app,
        &stranger,
        format!("/targets/{}/edit", their_target["id"].as_str().expect("id")),
    )
    .await;
    assert!(form.contains("Frankfurt (public location)"), "{form}");
}

pharos_storage::on_both_backends!(a_target_page_shows_each_location);
