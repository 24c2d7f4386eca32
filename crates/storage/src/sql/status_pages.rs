//! Public status pages, their sections and targets, and the incidents and
//! announcements posted on them. The SQL both backends run, stamped out per
//! backend by `sql::impl_store!`; the row types are plain items below.

use chrono::{DateTime, Utc};
use pharos_domain::ids::{OrganizationId, PageIncidentId, StatusPageId, TargetId};
use pharos_domain::status_page::{IncidentStatus, PageIncidentKind, PageTheme};
use uuid::Uuid;

use crate::error::StoreError;
use crate::models::{
    PageIncident, PageIncidentUpdate, StatusPage, StatusPageEntry, StatusPageSection,
};

/// Page columns from `status_pages p`.
pub(crate) const PAGE_COLUMNS: &str = "p.id, p.organization_id, p.title, p.slug, p.description, \
     p.logo_url, p.theme, p.show_target_urls, p.auto_draft_incidents, p.custom_domain, \
     p.custom_domain_verified_at, p.custom_domain_token, p.password_hash, p.created_at, p.updated_at";

/// Which pages a read wants: any of organization, id, slug, custom domain
/// (`NULL` for "any"), over `status_pages p`.
pub(crate) const PAGE_FILTER: &str = "($1 IS NULL OR p.organization_id = $1) \
     AND ($2 IS NULL OR p.id = $2) AND ($3 IS NULL OR p.slug = $3) \
     AND ($4 IS NULL OR p.custom_domain = $4)";

#[derive(sqlx::FromRow)]
pub(crate) struct PageRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub logo_url: Option<String>,
    pub theme: String,
    pub show_target_urls: bool,
    pub auto_draft_incidents: bool,
    pub custom_domain: Option<String>,
    pub custom_domain_verified_at: Option<DateTime<Utc>>,
    pub custom_domain_token: Option<String>,
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SectionRow {
    pub page_id: Uuid,
    pub id: Uuid,
    pub name: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct EntryRow {
    pub section_id: Uuid,
    pub target_id: Uuid,
    pub public_name: Option<String>,
}

/// Pages with their sections and entries (each list already in order).
pub(crate) fn assemble_pages(
    pages: Vec<PageRow>,
    sections: Vec<SectionRow>,
    entries: Vec<EntryRow>,
) -> Result<Vec<StatusPage>, StoreError> {
    let mut by_section: std::collections::HashMap<Uuid, Vec<StatusPageEntry>> =
        std::collections::HashMap::new();
    for entry in entries {
        by_section
            .entry(entry.section_id)
            .or_default()
            .push(StatusPageEntry {
                target_id: TargetId(entry.target_id),
                public_name: entry.public_name,
            });
    }
    let mut by_page: std::collections::HashMap<Uuid, Vec<StatusPageSection>> =
        std::collections::HashMap::new();
    for section in sections {
        by_page
            .entry(section.page_id)
            .or_default()
            .push(StatusPageSection {
                name: section.name,
                entries: by_section.remove(&section.id).unwrap_or_default(),
            });
    }
    pages
        .into_iter()
        .map(|row| {
            let theme = PageTheme::parse(&row.theme)
                .ok_or_else(|| StoreError::Corrupt(format!("status page {}: theme", row.id)))?;
            Ok(StatusPage {
                id: StatusPageId(row.id),
                organization_id: OrganizationId(row.organization_id),
                title: row.title,
                slug: row.slug,
                description: row.description,
                logo_url: row.logo_url,
                theme,
                show_target_urls: row.show_target_urls,
                auto_draft_incidents: row.auto_draft_incidents,
                custom_domain: row.custom_domain,
                custom_domain_verified_at: row.custom_domain_verified_at,
                custom_domain_token: row.custom_domain_token,
                password_hash: row.password_hash,
                created_at: row.created_at,
                updated_at: row.updated_at,
                sections: by_page.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}

pub(crate) const INCIDENT_COLUMNS: &str = "i.id, i.page_id, i.kind, i.title, i.status, i.draft, \
     i.source_incident_id, i.created_at, i.updated_at, i.resolved_at";

/// Which incidents a read wants, over `status_page_incidents i JOIN
/// status_pages p`: the organization's page ($1, $2), one incident ($3) or
/// those created since $4 or not resolved.
pub(crate) const INCIDENT_FILTER: &str = "p.organization_id = $1 AND i.page_id = $2 \
     AND ($3 IS NULL OR i.id = $3) \
     AND ($4 IS NULL OR i.created_at >= $4 OR i.resolved_at IS NULL)";

#[derive(sqlx::FromRow)]
pub(crate) struct IncidentRow {
    pub id: Uuid,
    pub page_id: Uuid,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub draft: bool,
    pub source_incident_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UpdateRow {
    pub incident_id: Uuid,
    pub id: Uuid,
    pub status: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

fn parse_status(raw: &str, id: Uuid) -> Result<IncidentStatus, StoreError> {
    IncidentStatus::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("page incident {id}: status {raw:?}")))
}

pub(crate) fn assemble_incidents(
    rows: Vec<IncidentRow>,
    targets: Vec<(Uuid, Uuid)>,
    updates: Vec<UpdateRow>,
) -> Result<Vec<PageIncident>, StoreError> {
    let mut targets_of: std::collections::HashMap<Uuid, Vec<TargetId>> =
        std::collections::HashMap::new();
    for (incident, target) in targets {
        targets_of
            .entry(incident)
            .or_default()
            .push(TargetId(target));
    }
    let mut updates_of: std::collections::HashMap<Uuid, Vec<PageIncidentUpdate>> =
        std::collections::HashMap::new();
    for update in updates {
        let status = parse_status(&update.status, update.incident_id)?;
        updates_of
            .entry(update.incident_id)
            .or_default()
            .push(PageIncidentUpdate {
                id: update.id,
                status,
                message: update.message,
                created_at: update.created_at,
            });
    }
    rows.into_iter()
        .map(|row| {
            let kind = PageIncidentKind::parse(&row.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("page incident {}: kind", row.id)))?;
            Ok(PageIncident {
                id: PageIncidentId(row.id),
                page_id: StatusPageId(row.page_id),
                kind,
                title: row.title,
                status: parse_status(&row.status, row.id)?,
                draft: row.draft,
                source_incident_id: row.source_incident_id,
                created_at: row.created_at,
                updated_at: row.updated_at,
                resolved_at: row.resolved_at,
                target_ids: targets_of.remove(&row.id).unwrap_or_default(),
                updates: updates_of.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The page-scoped forms of the dashboard's two target reads: the same
/// columns, only the targets on one page of the organization.
pub(crate) const PAGE_TARGETS_IN: &str = "SELECT e.target_id FROM status_page_targets e \
     JOIN status_pages p ON p.id = e.page_id WHERE p.organization_id = $1 AND p.id = $2";

macro_rules! impl_status_pages {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        impl $store {
            /// Pages with their sections (see `PAGE_FILTER`).
            async fn load_pages(
                &self,
                org: Option<pharos_domain::ids::OrganizationId>,
                id: Option<pharos_domain::ids::StatusPageId>,
                slug: Option<&str>,
                domain: Option<&str>,
            ) -> $crate::error::StoreResult<Vec<$crate::models::StatusPage>> {
                use $crate::sql::status_pages::{EntryRow, PageRow, SectionRow, PAGE_COLUMNS, PAGE_FILTER};
                let pages: Vec<PageRow> = sqlx::query_as(&format!(
                    "SELECT {PAGE_COLUMNS} FROM status_pages p WHERE {PAGE_FILTER} \
                     ORDER BY p.created_at, p.id"
                ))
                .bind(org.map(|o| o.0))
                .bind(id.map(|i| i.0))
                .bind(slug)
                .bind(domain)
                .fetch_all(self.reader())
                .await?;
                if pages.is_empty() {
                    return Ok(Vec::new());
                }
                let sections: Vec<SectionRow> = sqlx::query_as(&format!(
                    "SELECT s.page_id, s.id, s.name FROM status_page_sections s \
                     JOIN status_pages p ON p.id = s.page_id WHERE {PAGE_FILTER} \
                     ORDER BY s.page_id, s.position"
                ))
                .bind(org.map(|o| o.0))
                .bind(id.map(|i| i.0))
                .bind(slug)
                .bind(domain)
                .fetch_all(self.reader())
                .await?;
                let entries: Vec<EntryRow> = sqlx::query_as(&format!(
                    "SELECT e.section_id, e.target_id, e.public_name FROM status_page_targets e \
                     JOIN status_pages p ON p.id = e.page_id WHERE {PAGE_FILTER} \
                     ORDER BY e.section_id, e.position"
                ))
                .bind(org.map(|o| o.0))
                .bind(id.map(|i| i.0))
                .bind(slug)
                .bind(domain)
                .fetch_all(self.reader())
                .await?;
                $crate::sql::status_pages::assemble_pages(pages, sections, entries)
            }

            async fn save_status_page(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::StatusPageId,
                plan: &pharos_domain::status_page::StatusPagePlan,
                now: chrono::DateTime<chrono::Utc>,
                create: bool,
            ) -> $crate::error::StoreResult<$crate::models::StatusPageWrite> {
                use $crate::models::StatusPageWrite;
                let now = $crate::rows::to_micros(now);
                let mut tx = self.writer().begin().await?;
                let written = if create {
                    sqlx::query(
                        "INSERT INTO status_pages (id, organization_id, title, slug, description, logo_url, \
                           theme, show_target_urls, auto_draft_incidents, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                    )
                } else {
                    sqlx::query(
                        "UPDATE status_pages SET title = $3, slug = $4, description = $5, logo_url = $6, \
                           theme = $7, show_target_urls = $8, auto_draft_incidents = $9, updated_at = $10 \
                         WHERE id = $1 AND organization_id = $2",
                    )
                }
                .bind(id.0)
                .bind(org.0)
                .bind(plan.title.as_str())
                .bind(plan.slug.as_str())
                .bind(plan.description.as_str())
                .bind(plan.logo_url.as_ref().map(|u| u.as_str()))
                .bind(plan.theme.as_str())
                .bind(plan.show_target_urls)
                .bind(plan.auto_draft_incidents)
                .bind(now)
                .execute(&mut *tx)
                .await;
                let written = match written {
                    Ok(done) => done,
                    Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                        return Ok(StatusPageWrite::SlugTaken);
                    }
                    Err(e) => return Err(e.into()),
                };
                if written.rows_affected() != 1 {
                    return Ok(StatusPageWrite::NotFound);
                }
                sqlx::query("DELETE FROM status_page_targets WHERE page_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM status_page_sections WHERE page_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                for (position, section) in plan.sections.iter().enumerate() {
                    let section_id = uuid::Uuid::now_v7();
                    sqlx::query(
                        "INSERT INTO status_page_sections (id, page_id, position, name) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(section_id)
                    .bind(id.0)
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .bind(section.name.as_str())
                    .execute(&mut *tx)
                    .await?;
                    for (place, entry) in section.entries.iter().enumerate() {
                        let added = sqlx::query(
                            "INSERT INTO status_page_targets (page_id, section_id, target_id, position, public_name) \
                             SELECT $1, $2, id, $3, $4 FROM targets WHERE organization_id = $5 AND id = $6",
                        )
                        .bind(id.0)
                        .bind(section_id)
                        .bind(i64::try_from(place).unwrap_or(i64::MAX))
                        .bind(entry.public_name.as_ref().map(|n| n.as_str()))
                        .bind(org.0)
                        .bind(entry.target.0)
                        .execute(&mut *tx)
                        .await?;
                        if added.rows_affected() != 1 {
                            tx.rollback().await?;
                            return Ok(StatusPageWrite::UnknownTarget(entry.target));
                        }
                    }
                }
                // A target taken off the page is no longer named by its
                // incidents either: nothing of it stays visible there.
                sqlx::query(
                    "DELETE FROM status_page_incident_targets \
                     WHERE incident_id IN (SELECT id FROM status_page_incidents WHERE page_id = $1) \
                       AND target_id NOT IN (SELECT target_id FROM status_page_targets WHERE page_id = $1)",
                )
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                match $crate::store::StatusPageStore::status_page(self, org, id).await? {
                    Some(page) => Ok(StatusPageWrite::Saved(Box::new(page))),
                    None => Ok(StatusPageWrite::NotFound),
                }
            }

            /// Incidents of the organization's page (see `INCIDENT_FILTER`).
            async fn load_page_incidents(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
                id: Option<pharos_domain::ids::PageIncidentId>,
                since: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::error::StoreResult<Vec<$crate::models::PageIncident>> {
                use $crate::sql::status_pages::{IncidentRow, UpdateRow, INCIDENT_COLUMNS, INCIDENT_FILTER};
                let since = since.map($crate::rows::to_micros);
                let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
                    "SELECT {INCIDENT_COLUMNS} FROM status_page_incidents i \
                     JOIN status_pages p ON p.id = i.page_id WHERE {INCIDENT_FILTER} \
                     ORDER BY i.created_at DESC, i.id DESC"
                ))
                .bind(org.0)
                .bind(page.0)
                .bind(id.map(|i| i.0))
                .bind(since)
                .fetch_all(self.reader())
                .await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let targets: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(&format!(
                    "SELECT it.incident_id, it.target_id FROM status_page_incident_targets it \
                     JOIN status_page_incidents i ON i.id = it.incident_id \
                     JOIN status_pages p ON p.id = i.page_id WHERE {INCIDENT_FILTER} \
                     ORDER BY it.incident_id, it.target_id"
                ))
                .bind(org.0)
                .bind(page.0)
                .bind(id.map(|i| i.0))
                .bind(since)
                .fetch_all(self.reader())
                .await?;
                let updates: Vec<UpdateRow> = sqlx::query_as(&format!(
                    "SELECT u.incident_id, u.id, u.status, u.message, u.created_at \
                     FROM status_page_incident_updates u \
                     JOIN status_page_incidents i ON i.id = u.incident_id \
                     JOIN status_pages p ON p.id = i.page_id WHERE {INCIDENT_FILTER} \
                     ORDER BY u.incident_id, u.created_at, u.id"
                ))
                .bind(org.0)
                .bind(page.0)
                .bind(id.map(|i| i.0))
                .bind(since)
                .fetch_all(self.reader())
                .await?;
                $crate::sql::status_pages::assemble_incidents(rows, targets, updates)
            }

            /// Links an incident to targets of its page; the first target
            /// not on the page is returned (and the caller rolls back).
            async fn link_incident_targets(
                tx: &mut sqlx::Transaction<'_, $db>,
                page: pharos_domain::ids::StatusPageId,
                incident: pharos_domain::ids::PageIncidentId,
                targets: &[pharos_domain::ids::TargetId],
            ) -> $crate::error::StoreResult<Option<pharos_domain::ids::TargetId>> {
                sqlx::query("DELETE FROM status_page_incident_targets WHERE incident_id = $1")
                    .bind(incident.0)
                    .execute(&mut **tx)
                    .await?;
                let mut seen = std::collections::HashSet::new();
                for target in targets.iter().filter(|t| seen.insert(**t)) {
                    let added = sqlx::query(
                        "INSERT INTO status_page_incident_targets (incident_id, target_id) \
                         SELECT $1, target_id FROM status_page_targets WHERE page_id = $2 AND target_id = $3",
                    )
                    .bind(incident.0)
                    .bind(page.0)
                    .bind(target.0)
                    .execute(&mut **tx)
                    .await?;
                    if added.rows_affected() != 1 {
                        return Ok(Some(*target));
                    }
                }
                Ok(None)
            }

            async fn add_incident_update(
                tx: &mut sqlx::Transaction<'_, $db>,
                incident: pharos_domain::ids::PageIncidentId,
                status: pharos_domain::status_page::IncidentStatus,
                message: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO status_page_incident_updates (id, incident_id, status, message, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(incident.0)
                .bind(status.as_str())
                .bind(message)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn saved_incident(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
                id: pharos_domain::ids::PageIncidentId,
            ) -> $crate::error::StoreResult<$crate::models::PageIncidentWrite> {
                match self.load_page_incidents(org, page, Some(id), None).await?.pop() {
                    Some(incident) => Ok($crate::models::PageIncidentWrite::Saved(incident)),
                    None => Ok($crate::models::PageIncidentWrite::NotFound),
                }
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::StatusPageStore for $store {
            async fn create_status_page(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::StatusPageId,
                plan: &pharos_domain::status_page::StatusPagePlan,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::StatusPageWrite> {
                self.save_status_page(org, id, plan, now, true).await
            }

            async fn status_pages(
                &self,
                org: pharos_domain::ids::OrganizationId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::StatusPage>> {
                self.load_pages(Some(org), None, None, None).await
            }

            async fn status_page(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::StatusPageId,
            ) -> $crate::error::StoreResult<Option<$crate::models::StatusPage>> {
                Ok(self.load_pages(Some(org), Some(id), None, None).await?.pop())
            }

            async fn replace_status_page(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::StatusPageId,
                plan: &pharos_domain::status_page::StatusPagePlan,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::StatusPageWrite> {
                self.save_status_page(org, id, plan, now, false).await
            }

            async fn delete_status_page(
                &self,
                org: pharos_domain::ids::OrganizationId,
                id: pharos_domain::ids::StatusPageId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM status_pages WHERE organization_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(id.0)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn status_page_targets(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
            ) -> $crate::error::StoreResult<Vec<$crate::models::TargetSummary>> {
                // The shared column list, so the row always has every
                // field `TargetSummaryRow` reads (its group too).
                let sql = format!(
                    "SELECT {} FROM targets t LEFT JOIN checks c ON c.id = t.last_check_id \
                     WHERE t.organization_id = $1 AND t.id IN ({})",
                    $crate::rows::TARGET_SUMMARY_COLUMNS,
                    $crate::sql::status_pages::PAGE_TARGETS_IN
                );
                let rows: Vec<$crate::rows::TargetSummaryRow> = sqlx::query_as(&sql)
                    .bind(org.0)
                    .bind(page.0)
                    .fetch_all(self.reader())
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn create_page_incident(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
                id: pharos_domain::ids::PageIncidentId,
                incident: &pharos_domain::status_page::NewPageIncident,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::PageIncidentWrite> {
                use pharos_domain::status_page::IncidentStatus;
                let now = $crate::rows::to_micros(now);
                let resolved_at = (incident.status == IncidentStatus::Resolved).then_some(now);
                let mut tx = self.writer().begin().await?;
                let written = sqlx::query(
                    "INSERT INTO status_page_incidents (id, page_id, kind, title, status, draft, \
                       created_at, updated_at, resolved_at) \
                     SELECT $1, id, $3, $4, $5, $6, $7, $7, $8 FROM status_pages \
                     WHERE organization_id = $9 AND id = $2",
                )
                .bind(id.0)
                .bind(page.0)
                .bind(incident.kind.as_str())
                .bind(incident.title.as_str())
                .bind(incident.status.as_str())
                .bind(incident.draft)
                .bind(now)
                .bind(resolved_at)
                .bind(org.0)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::error::unique_as_conflict(e, "a page incident with this id exists"))?;
                if written.rows_affected() != 1 {
                    return Ok($crate::models::PageIncidentWrite::NotFound);
                }
                if let Some(foreign) = Self::link_incident_targets(&mut tx, page, id, &incident.targets).await? {
                    tx.rollback().await?;
                    return Ok($crate::models::PageIncidentWrite::NotOnPage(foreign));
                }
                if let Some(message) = &incident.message {
                    Self::add_incident_update(&mut tx, id, incident.status, message.as_str(), now).await?;
                }
                tx.commit().await?;
                self.saved_incident(org, page, id).await
            }

            async fn page_incidents(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<$crate::models::PageIncident>> {
                self.load_page_incidents(org, page, None, Some(since)).await
            }

            async fn page_incident(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
                id: pharos_domain::ids::PageIncidentId,
            ) -> $crate::error::StoreResult<Option<$crate::models::PageIncident>> {
                Ok(self.load_page_incidents(org, page, Some(id), None).await?.pop())
            }

            async fn change_page_incident(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
                id: pharos_domain::ids::PageIncidentId,
                change: &pharos_domain::status_page::PageIncidentChange,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<$crate::models::PageIncidentWrite> {
                use pharos_domain::status_page::IncidentStatus;
                let now = $crate::rows::to_micros(now);
                let mut tx = self.writer().begin().await?;
                let current: Option<(String,)> = sqlx::query_as(&format!(
                    "SELECT i.status FROM status_page_incidents i JOIN status_pages p ON p.id = i.page_id \
                     WHERE p.organization_id = $1 AND i.page_id = $2 AND i.id = $3 {}",
                    $row_lock
                ))
                .bind(org.0)
                .bind(page.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((current,)) = current else {
                    return Ok($crate::models::PageIncidentWrite::NotFound);
                };
                let current = IncidentStatus::parse(&current)
                    .ok_or_else(|| $crate::error::StoreError::Corrupt(format!("page incident {id}: status")))?;
                let status = change.status.unwrap_or(current);
                // resolved_at: kept while resolved, set on resolving, cleared on reopening.
                sqlx::query(
                    "UPDATE status_page_incidents SET title = COALESCE($2, title), status = $3, \
                       draft = COALESCE($4, draft), updated_at = $5, \
                       resolved_at = CASE WHEN $3 = 'resolved' THEN COALESCE(resolved_at, $5) ELSE NULL END \
                     WHERE id = $1",
                )
                .bind(id.0)
                .bind(change.title.as_ref().map(|t| t.as_str()))
                .bind(status.as_str())
                .bind(change.draft)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if let Some(targets) = &change.targets {
                    if let Some(foreign) = Self::link_incident_targets(&mut tx, page, id, targets).await? {
                        tx.rollback().await?;
                        return Ok($crate::models::PageIncidentWrite::NotOnPage(foreign));
                    }
                }
                if change.status.is_some() || change.message.is_some() {
                    let message = change.message.as_ref().map(|m| m.as_str()).unwrap_or("");
                    Self::add_incident_update(&mut tx, id, status, message, now).await?;
                }
                tx.commit().await?;
                self.saved_incident(org, page, id).await
            }

            async fn delete_page_incident(
                &self,
                org: pharos_domain::ids::OrganizationId,
                page: pharos_domain::ids::StatusPageId,
                id: pharos_domain::ids::PageIncidentId,
            ) -> $crate::error::StoreResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM status_page_incidents WHERE id = $1 AND page_id = $2 \
                       AND page_id IN (SELECT id FROM status_pages WHERE organization_id = $3)",
                )
                .bind(id.0)
                .bind(page.0)
                .bind(org.0)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn open_auto_drafts(
                &self,
                org: pharos_domain::ids::OrganizationId,
                target: pharos_domain::ids::TargetId,
                source: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<pharos_domain::ids::StatusPageId>> {
                let now = $crate::rows::to_micros(now);
                let mut tx = self.writer().begin().await?;
                let pages: Vec<(uuid::Uuid, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT p.id, e.public_name, t.name FROM status_pages p \
                     JOIN status_page_targets e ON e.page_id = p.id \
                     JOIN targets t ON t.id = e.target_id \
                     WHERE p.organization_id = $1 AND e.target_id = $2 AND p.auto_draft_incidents \
                     ORDER BY p.id",
                )
                .bind(org.0)
                .bind(target.0)
                .fetch_all(&mut *tx)
                .await?;
                let mut opened = Vec::new();
                for (page, public_name, name) in pages {
                    let id = uuid::Uuid::now_v7();
                    // Titled with the name the page shows, never the address.
                    let title = pharos_domain::status_page::auto_draft_title(
                        &pharos_domain::status_page::shown_name(public_name.as_deref(), name.as_deref()),
                    );
                    let added = sqlx::query(
                        "INSERT INTO status_page_incidents (id, page_id, kind, title, status, draft, \
                           source_incident_id, created_at, updated_at) \
                         VALUES ($1, $2, 'incident', $3, 'investigating', TRUE, $4, $5, $5) \
                         ON CONFLICT (page_id, source_incident_id) DO NOTHING",
                    )
                    .bind(id)
                    .bind(page)
                    .bind(&title)
                    .bind(source)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    if added.rows_affected() == 1 {
                        sqlx::query(
                            "INSERT INTO status_page_incident_targets (incident_id, target_id) VALUES ($1, $2)",
                        )
                        .bind(id)
                        .bind(target.0)
                        .execute(&mut *tx)
                        .await?;
                        opened.push(pharos_domain::ids::StatusPageId(page));
                    }
                }
                tx.commit().await?;
                Ok(opened)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::PublicStatusPageStore for $store {
            async fn status_page_by_slug(
                &self,
                slug: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::StatusPage>> {
                Ok(self.load_pages(None, None, Some(slug), None).await?.pop())
            }

            async fn status_page_by_domain(
                &self,
                host: &str,
            ) -> $crate::error::StoreResult<Option<$crate::models::StatusPage>> {
                Ok(self.load_pages(None, None, None, Some(host)).await?.pop())
            }
        }
    };
}

pub(crate) use impl_status_pages;
