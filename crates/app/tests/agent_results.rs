//! An agent's results through the use case: a maintenance window holds
//! them as it holds the server's own checks (stored, marked, nothing
//! moves), and a result for a slot off the target's grid is refused.

use chrono::{Duration, Utc};
use pharos_app::agents::{self, AgentActor};
use pharos_app::{App, AppSettings};
use pharos_domain::agent::AgentStatus;
use pharos_domain::agent_wire::{ResultBatch, SlotResult};
use pharos_domain::check::{CheckFailure, CheckOutcome, ErrorClass, PhaseTimings, Verdict};
use pharos_domain::ids::MaintenanceId;
use pharos_domain::maintenance::{
    MaintenanceName, MaintenancePlan, MaintenanceSchedule, MaintenanceScope,
};
use pharos_domain::quorum::Quorum;
use pharos_domain::schedule::next_slot;
use pharos_domain::status::TargetState;
use pharos_storage::models::{
    AgentAdmission, AgentIntroduction, MaintenanceWrite, TargetLocations,
};
use pharos_storage::testing::{account, http_target, open_store, Backend};

fn failure(at: chrono::DateTime<Utc>) -> CheckOutcome {
    CheckOutcome {
        started_at: at,
        latency_ms: 5_000,
        verdict: Verdict::Down,
        status_code: Some(503),
        timings: PhaseTimings::default(),
        failure: Some(CheckFailure {
            class: ErrorClass::Status,
            message: "expected a 2xx status, got 503".to_owned(),
        }),
        certificate_expires_at: None,
    }
}

async fn a_maintenance_window_holds_agent_results(backend: Backend) {
    let Some((_db, store)) = open_store(backend).await else {
        return;
    };
    let (user, org) = account(store.as_ref(), "a@example.com").await;
    let target = http_target(store.as_ref(), &org, &user).await;
    let app = App::new(
        store.clone(),
        AppSettings::default(),
        b"secret-0123456789abcdef",
    );
    let intro = AgentIntroduction {
        uuid: uuid::Uuid::new_v4(),
        name: "Frankfurt",
        version: "1.0",
        now: Utc::now(),
    };
    assert_eq!(
        store
            .admit_agent(org.id, intro, b"t", 10)
            .await
            .expect("admit"),
        AgentAdmission::Pending
    );
    let agent = store
        .agent_by_uuid(org.id, intro.uuid)
        .await
        .expect("read")
        .expect("pending");
    assert!(store
        .set_agent_status(org.id, agent.id, AgentStatus::Approved)
        .await
        .expect("approve"));
    let agent = store
        .agent(org.id, agent.id)
        .await
        .expect("read")
        .expect("approved");
    assert!(store
        .set_target_locations(
            org.id,
            target.id,
            TargetLocations {
                check_local: false,
                agents: &[agent.id],
                quorum: Some(Quorum::Any),
            },
        )
        .await
        .expect("locations"));
    let now = Utc::now();
    let window = MaintenancePlan {
        name: MaintenanceName::parse("Database upgrade").expect("name"),
        schedule: MaintenanceSchedule::one_off(
            now - Duration::minutes(10),
            now + Duration::hours(1),
        )
        .expect("schedule"),
        scope: MaintenanceScope::Targets(vec![target.id]),
    };
    assert!(matches!(
        store
            .create_maintenance(org.id, MaintenanceId::new(), &window, now)
            .await
            .expect("window"),
        MaintenanceWrite::Saved(_)
    ));

    let actor = AgentActor { agent };
    let slot = next_slot(
        target.id,
        target.interval_seconds,
        now - Duration::minutes(3),
    );
    let receipt = agents::push_results(
        &app,
        &actor,
        ResultBatch {
            results: vec![
                SlotResult {
                    target_id: target.id,
                    slot,
                    outcome: failure(slot),
                },
                // Off the grid: never handed out.
                SlotResult {
                    target_id: target.id,
                    slot: slot + Duration::seconds(7),
                    outcome: failure(slot),
                },
            ],
            dropped: 0,
        },
    )
    .await
    .expect("push");
    assert_eq!((receipt.stored, receipt.refused), (1, 1));
    let checks = store
        .checks(org.id, target.id, None, 10)
        .await
        .expect("checks");
    assert_eq!(checks.len(), 1);
    assert!(checks[0].in_maintenance, "held by the window");
    let stored = store
        .target(org.id, target.id)
        .await
        .expect("read")
        .expect("target");
    assert_ne!(
        stored.state,
        TargetState::Down,
        "a held failure moves nothing"
    );
    assert!(store
        .incidents(org.id, target.id, 10)
        .await
        .expect("incidents")
        .is_empty());
}

pharos_storage::on_both_backends!(a_maintenance_window_holds_agent_results);
