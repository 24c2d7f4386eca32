//! Status pages on both backends: saved and read back in order, slugs
//! unique on the instance, scoped to their organization (another tenant's
//! target or page is never touched), incidents only naming targets on
//! their page, and automatic drafts opened once per monitoring incident.

use chrono::{Duration, Utc};
use pharos_domain::ids::{PageIncidentId, StatusPageId, TargetId};
use pharos_domain::status_page::{
    IncidentStatus, LogoUrl, NewPageIncident, PageEntry, PageIncidentChange, PageIncidentKind,
    PageSection, PageTheme, PublicMessage, PublicText, StatusPagePlan, StatusPageSlug,
};
use pharos_storage::models::*;
use pharos_storage::testing::{account, http_target, open_store as open, Backend};

fn text(s: &str) -> PublicText {
    PublicText::parse("text", s).expect("text")
}

fn section(name: &str, entries: &[(TargetId, Option<&str>)]) -> PageSection {
    PageSection {
        name: text(name),
        entries: entries
            .iter()
            .map(|(target, public_name)| PageEntry {
                target: *target,
                public_name: public_name.map(text),
            })
            .collect(),
    }
}

fn plan(slug: &str, sections: Vec<PageSection>) -> StatusPagePlan {
    StatusPagePlan {
        title: text("Acme status"),
        slug: StatusPageSlug::parse("slug", slug).expect("slug"),
        description: PublicMessage::parse("description", "How Acme is doing").expect("text"),
        logo_url: Some(LogoUrl::parse("logo_url", "https://acme.example/logo.svg").expect("url")),
        theme: PageTheme::Dark,
        show_target_urls: false,
        auto_draft_incidents: true,
        sections,
    }
}

fn saved(write: StatusPageWrite) -> StatusPage {
    match write {
        StatusPageWrite::Saved(page) => *page,
        other => panic!("expected a saved page, got {other:?}"),
    }
}

fn posted(write: PageIncidentWrite) -> PageIncident {
    match write {
        PageIncidentWrite::Saved(incident) => incident,
        other => panic!("expected a saved incident, got {other:?}"),
    }
}

fn incident(targets: Vec<TargetId>, message: Option<&str>) -> NewPageIncident {
    NewPageIncident {
        kind: PageIncidentKind::Incident,
        title: text("API errors"),
        status: IncidentStatus::Investigating,
        draft: false,
        targets,
        message: message.map(|m| PublicMessage::parse_required("message", m).expect("message")),
    }
}

async fn pages_round_trip_in_order_and_stay_in_their_organization(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let (bob, b) = account(&*store, "b@example.com").await;
    let t1 = http_target(&*store, &a, &alice).await;
    let t2 = http_target(&*store, &a, &alice).await;
    let t3 = http_target(&*store, &a, &alice).await;
    let theirs = http_target(&*store, &b, &bob).await;
    let now = Utc::now();

    let id = StatusPageId::new();
    let page = saved(
        store
            .create_status_page(
                a.id,
                id,
                &plan(
                    "acme",
                    vec![
                        section("Core", &[(t2.id, Some("API")), (t1.id, None)]),
                        section("Edge", &[(t3.id, Some("CDN"))]),
                    ],
                ),
                now,
            )
            .await
            .expect("create"),
    );
    assert_eq!(page.id, id);
    assert_eq!(page.slug, "acme");
    assert_eq!(page.theme, PageTheme::Dark);
    assert_eq!(
        page.logo_url.as_deref(),
        Some("https://acme.example/logo.svg")
    );
    assert!(page.auto_draft_incidents && !page.show_target_urls);
    assert_eq!(page.sections.len(), 2);
    assert_eq!(page.sections[0].name, "Core");
    assert_eq!(
        page.target_ids().collect::<Vec<_>>(),
        vec![t2.id, t1.id, t3.id]
    );
    assert_eq!(
        page.sections[0].entries[0].public_name.as_deref(),
        Some("API")
    );
    assert_eq!(page.sections[0].entries[1].public_name, None);
    assert_eq!(page.custom_domain, None);
    assert_eq!(page.password_hash, None);

    // The slug is unique on the instance, whichever organization asks.
    assert_eq!(
        store
            .create_status_page(b.id, StatusPageId::new(), &plan("acme", vec![]), now)
            .await
            .expect("create"),
        StatusPageWrite::SlugTaken
    );
    // Another organization's target writes nothing.
    let other = StatusPageId::new();
    assert_eq!(
        store
            .create_status_page(
                a.id,
                other,
                &plan("acme-two", vec![section("X", &[(theirs.id, None)])]),
                now
            )
            .await
            .expect("create"),
        StatusPageWrite::UnknownTarget(theirs.id)
    );
    assert!(store.status_page(a.id, other).await.expect("get").is_none());

    // Another organization neither reads, replaces nor deletes the page.
    assert!(store.status_page(b.id, id).await.expect("get").is_none());
    assert!(store.status_pages(b.id).await.expect("list").is_empty());
    assert!(store
        .status_page_targets(b.id, id)
        .await
        .expect("targets")
        .is_empty());
    assert_eq!(
        store
            .replace_status_page(b.id, id, &plan("stolen", vec![]), now)
            .await
            .expect("replace"),
        StatusPageWrite::NotFound
    );
    assert!(!store.delete_status_page(b.id, id).await.expect("delete"));

    // The page's targets are exactly those placed on it.
    let mut shown: Vec<_> = store
        .status_page_targets(a.id, id)
        .await
        .expect("targets")
        .into_iter()
        .map(|t| t.id)
        .collect();
    shown.sort();
    let mut expected = vec![t1.id, t2.id, t3.id];
    expected.sort();
    assert_eq!(shown, expected);

    // Found by its slug, for visitors.
    let public = store
        .status_page_by_slug("acme")
        .await
        .expect("by slug")
        .expect("page");
    assert_eq!(public, page);
    assert!(store
        .status_page_by_slug("nope")
        .await
        .expect("by slug")
        .is_none());

    // Replacing reorders sections, drops a target, renames the slug.
    let later = now + Duration::minutes(1);
    let replaced = saved(
        store
            .replace_status_page(
                a.id,
                id,
                &plan(
                    "acme-status",
                    vec![section("All", &[(t3.id, None), (t1.id, Some("Web"))])],
                ),
                later,
            )
            .await
            .expect("replace"),
    );
    assert_eq!(replaced.slug, "acme-status");
    assert_eq!(
        replaced.target_ids().collect::<Vec<_>>(),
        vec![t3.id, t1.id]
    );
    assert_eq!(replaced.created_at, page.created_at);
    assert!(replaced.updated_at > page.updated_at);
    assert!(store
        .status_page_by_slug("acme")
        .await
        .expect("old")
        .is_none());

    // A deleted target leaves the page.
    assert!(store
        .delete_target(a.id, t3.id)
        .await
        .expect("delete target"));
    let page = store
        .status_page(a.id, id)
        .await
        .expect("get")
        .expect("page");
    assert_eq!(page.target_ids().collect::<Vec<_>>(), vec![t1.id]);

    assert_eq!(store.status_pages(a.id).await.expect("list").len(), 1);
    assert!(store.delete_status_page(a.id, id).await.expect("delete"));
    assert!(store.status_page(a.id, id).await.expect("get").is_none());
}

async fn incidents_name_only_targets_on_their_page(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let (_bob, b) = account(&*store, "b@example.com").await;
    let on_page = http_target(&*store, &a, &alice).await;
    let off_page = http_target(&*store, &a, &alice).await;
    let now = Utc::now();
    let page = saved(
        store
            .create_status_page(
                a.id,
                StatusPageId::new(),
                &plan("acme", vec![section("Core", &[(on_page.id, None)])]),
                now,
            )
            .await
            .expect("create"),
    );

    // A target of the organization that is not on the page is refused.
    assert_eq!(
        store
            .create_page_incident(
                a.id,
                page.id,
                PageIncidentId::new(),
                &incident(vec![on_page.id, off_page.id], None),
                now
            )
            .await
            .expect("post"),
        PageIncidentWrite::NotOnPage(off_page.id)
    );
    assert!(store
        .page_incidents(a.id, page.id, now - Duration::days(90))
        .await
        .expect("list")
        .is_empty());
    // Another organization cannot post on the page.
    assert_eq!(
        store
            .create_page_incident(
                b.id,
                page.id,
                PageIncidentId::new(),
                &incident(vec![], None),
                now
            )
            .await
            .expect("post"),
        PageIncidentWrite::NotFound
    );

    let id = PageIncidentId::new();
    let first = posted(
        store
            .create_page_incident(
                a.id,
                page.id,
                id,
                &incident(vec![on_page.id], Some("We are looking into it")),
                now,
            )
            .await
            .expect("post"),
    );
    assert_eq!(first.status, IncidentStatus::Investigating);
    assert_eq!(first.target_ids, vec![on_page.id]);
    assert_eq!(first.updates.len(), 1);
    assert_eq!(first.updates[0].message, "We are looking into it");
    assert_eq!(first.resolved_at, None);

    // Changing the targets to one off the page writes nothing.
    let bad = PageIncidentChange {
        targets: Some(vec![off_page.id]),
        status: Some(IncidentStatus::Identified),
        ..Default::default()
    };
    assert_eq!(
        store
            .change_page_incident(a.id, page.id, id, &bad, now)
            .await
            .expect("change"),
        PageIncidentWrite::NotOnPage(off_page.id)
    );
    assert_eq!(
        store
            .page_incident(a.id, page.id, id)
            .await
            .expect("get")
            .expect("incident"),
        first
    );
    // Another organization cannot change it.
    assert_eq!(
        store
            .change_page_incident(b.id, page.id, id, &PageIncidentChange::default(), now)
            .await
            .expect("change"),
        PageIncidentWrite::NotFound
    );

    // Resolving sets resolved_at and adds an update; reopening clears it.
    let later = now + Duration::minutes(5);
    let resolved = posted(
        store
            .change_page_incident(
                a.id,
                page.id,
                id,
                &PageIncidentChange {
                    status: Some(IncidentStatus::Resolved),
                    message: Some(PublicMessage::parse("message", "Fixed").expect("message")),
                    ..Default::default()
                },
                later,
            )
            .await
            .expect("change"),
    );
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    assert!(resolved.resolved_at.is_some());
    assert_eq!(resolved.updates.len(), 2);
    assert_eq!(resolved.updates[1].status, IncidentStatus::Resolved);
    assert_eq!(resolved.updates[1].message, "Fixed");
    let reopened = posted(
        store
            .change_page_incident(
                a.id,
                page.id,
                id,
                &PageIncidentChange {
                    status: Some(IncidentStatus::Monitoring),
                    ..Default::default()
                },
                later + Duration::minutes(1),
            )
            .await
            .expect("change"),
    );
    assert_eq!(reopened.resolved_at, None);
    assert_eq!(reopened.updates.len(), 3);

    // A title-only change adds no update.
    let renamed = posted(
        store
            .change_page_incident(
                a.id,
                page.id,
                id,
                &PageIncidentChange {
                    title: Some(text("API latency")),
                    ..Default::default()
                },
                later + Duration::minutes(2),
            )
            .await
            .expect("change"),
    );
    assert_eq!(renamed.title, "API latency");
    assert_eq!(renamed.updates.len(), 3);

    // Old resolved incidents fall out of the window; open ones stay.
    let old = PageIncidentId::new();
    posted(
        store
            .create_page_incident(
                a.id,
                page.id,
                old,
                &NewPageIncident {
                    kind: PageIncidentKind::Announcement,
                    status: IncidentStatus::Resolved,
                    ..incident(vec![], None)
                },
                now - Duration::days(100),
            )
            .await
            .expect("post"),
    );
    let listed: Vec<_> = store
        .page_incidents(a.id, page.id, now - Duration::days(90))
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(listed, vec![id]);
    assert!(store
        .page_incidents(b.id, page.id, now - Duration::days(90))
        .await
        .expect("list")
        .is_empty());

    // A target taken off the page is no longer named by its incidents.
    saved(
        store
            .replace_status_page(a.id, page.id, &plan("acme", vec![]), later)
            .await
            .expect("replace"),
    );
    let after = store
        .page_incident(a.id, page.id, id)
        .await
        .expect("get")
        .expect("incident");
    assert!(after.target_ids.is_empty());

    assert!(!store
        .delete_page_incident(b.id, page.id, id)
        .await
        .expect("delete"));
    assert!(store
        .delete_page_incident(a.id, page.id, id)
        .await
        .expect("delete"));
    assert!(store
        .page_incident(a.id, page.id, id)
        .await
        .expect("get")
        .is_none());
}

async fn auto_drafts_open_once_per_incident_on_pages_that_want_them(backend: Backend) {
    let Some((_db, store)) = open(backend).await else {
        return;
    };
    let (alice, a) = account(&*store, "a@example.com").await;
    let t = http_target(&*store, &a, &alice).await;
    let elsewhere = http_target(&*store, &a, &alice).await;
    let now = Utc::now();
    let wants = saved(
        store
            .create_status_page(
                a.id,
                StatusPageId::new(),
                &plan("wants", vec![section("Core", &[(t.id, None)])]),
                now,
            )
            .await
            .expect("create"),
    );
    let declines = saved(
        store
            .create_status_page(
                a.id,
                StatusPageId::new(),
                &StatusPagePlan {
                    auto_draft_incidents: false,
                    ..plan("declines", vec![section("Core", &[(t.id, None)])])
                },
                now,
            )
            .await
            .expect("create"),
    );
    saved(
        store
            .create_status_page(
                a.id,
                StatusPageId::new(),
                &plan("other", vec![section("Core", &[(elsewhere.id, None)])]),
                now,
            )
            .await
            .expect("create"),
    );

    let source = uuid::Uuid::now_v7();
    let opened = store
        .open_auto_drafts(a.id, t.id, source, now)
        .await
        .expect("drafts");
    assert_eq!(opened, vec![wants.id]);
    // The same monitoring incident again: nothing more.
    assert!(store
        .open_auto_drafts(a.id, t.id, source, now)
        .await
        .expect("drafts")
        .is_empty());
    let drafts = store
        .page_incidents(a.id, wants.id, now - Duration::days(1))
        .await
        .expect("list");
    assert_eq!(drafts.len(), 1);
    assert!(drafts[0].draft);
    assert_eq!(drafts[0].status, IncidentStatus::Investigating);
    assert_eq!(drafts[0].target_ids, vec![t.id]);
    assert_eq!(drafts[0].source_incident_id, Some(source));
    // Named as the page shows the target: here its own (unnamed) label.
    assert_eq!(drafts[0].title, "Unnamed service: outage");
    assert!(store
        .page_incidents(a.id, declines.id, now - Duration::days(1))
        .await
        .expect("list")
        .is_empty());

    // Publishing the draft keeps it the page's one incident for the source.
    let published = posted(
        store
            .change_page_incident(
                a.id,
                wants.id,
                drafts[0].id,
                &PageIncidentChange {
                    draft: Some(false),
                    ..Default::default()
                },
                now,
            )
            .await
            .expect("publish"),
    );
    assert!(!published.draft);
}

pharos_storage::on_both_backends!(
    pages_round_trip_in_order_and_stay_in_their_organization,
    incidents_name_only_targets_on_their_page,
    auto_drafts_open_once_per_incident_on_pages_that_want_them,
);
