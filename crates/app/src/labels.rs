//! Tags and groups: how an organization sorts its targets. Everyone in it
//! reads them; members, admins and owners make, change and delete them
//! (as they do targets), and put targets in them.

use chrono::Utc;
use pharos_domain::ids::{GroupId, TagId, TargetId};
use pharos_domain::labels::{GroupName, TagColor, TagName};
use pharos_domain::ValidationError;
use pharos_storage::models::{Group, Tag};
use pharos_storage::StoreError;
use serde_json::Value;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

/// Tags an organization may have: the dashboard's filter lists them all.
pub const MAX_TAGS: u32 = 200;
/// Groups an organization may have: the dashboard shows every group.
pub const MAX_GROUPS: u32 = 100;
/// Tags one target may carry.
pub const MAX_TAGS_PER_TARGET: usize = 20;

/// A taken name is the `name` field's fault, so forms show it there.
fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(what) => ValidationError::new("name", what).into(),
        e => e.into(),
    }
}

pub async fn tags(app: &App, actor: &Actor) -> AppResult<Vec<Tag>> {
    Ok(app.store.tags(actor.organization).await?)
}

pub async fn create_tag(
    app: &App,
    actor: &Actor,
    name: &str,
    color: Option<&str>,
) -> AppResult<Tag> {
    actor.require_editor()?;
    let name = TagName::parse(name)?;
    let color = match color {
        Some(raw) => TagColor::parse("color", raw)?,
        None => TagColor::DEFAULT,
    };
    app.store
        .create_tag(
            actor.organization,
            name.as_str(),
            color,
            Utc::now(),
            MAX_TAGS,
        )
        .await
        .map_err(name_taken)?
        .ok_or_else(|| {
            ValidationError::new(
                "name",
                format!("an organization has at most {MAX_TAGS} tags; delete one first"),
            )
            .into()
        })
}

pub async fn update_tag(
    app: &App,
    actor: &Actor,
    id: TagId,
    name: Option<&str>,
    color: Option<&str>,
) -> AppResult<Tag> {
    actor.require_editor()?;
    let name = name.map(TagName::parse).transpose()?;
    let color = color.map(|c| TagColor::parse("color", c)).transpose()?;
    app.store
        .update_tag(
            actor.organization,
            id,
            name.as_ref().map(TagName::as_str),
            color,
        )
        .await
        .map_err(name_taken)?
        .ok_or(AppError::NotFound)
}

pub async fn delete_tag(app: &App, actor: &Actor, id: TagId) -> AppResult<()> {
    actor.require_editor()?;
    match app.store.delete_tag(actor.organization, id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound),
    }
}

pub async fn groups(app: &App, actor: &Actor) -> AppResult<Vec<Group>> {
    Ok(app.store.groups(actor.organization).await?)
}

pub async fn create_group(app: &App, actor: &Actor, name: &str) -> AppResult<Group> {
    actor.require_editor()?;
    let name = GroupName::parse(name)?;
    app.store
        .create_group(actor.organization, name.as_str(), Utc::now(), MAX_GROUPS)
        .await
        .map_err(name_taken)?
        .ok_or_else(|| {
            ValidationError::new(
                "name",
                format!("an organization has at most {MAX_GROUPS} groups; delete one first"),
            )
            .into()
        })
}

pub async fn rename_group(app: &App, actor: &Actor, id: GroupId, name: &str) -> AppResult<Group> {
    actor.require_editor()?;
    let name = GroupName::parse(name)?;
    app.store
        .rename_group(actor.organization, id, name.as_str())
        .await
        .map_err(name_taken)?
        .ok_or(AppError::NotFound)
}

pub async fn delete_group(app: &App, actor: &Actor, id: GroupId) -> AppResult<()> {
    actor.require_editor()?;
    match app.store.delete_group(actor.organization, id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound),
    }
}

/// A target's `tag_ids` as submitted: a list of the organization's tag
/// ids, each refusal naming the field (`tag_ids[2]`).
pub async fn parse_tag_ids(app: &App, actor: &Actor, raw: Value) -> AppResult<Vec<TagId>> {
    let Value::Array(items) = raw else {
        return Err(ValidationError::new("tag_ids", "must be a list of tag ids").into());
    };
    if items.len() > MAX_TAGS_PER_TARGET {
        return Err(ValidationError::new(
            "tag_ids",
            format!("a target carries at most {MAX_TAGS_PER_TARGET} tags"),
        )
        .into());
    }
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let id = item
            .as_str()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(TagId)
            .ok_or_else(|| AppError::InvalidField {
                field: format!("tag_ids[{i}]"),
                message: format!("tag_ids[{i}]: must be a tag id"),
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(ids);
    }
    let known: std::collections::HashSet<TagId> =
        tags(app, actor).await?.into_iter().map(|t| t.id).collect();
    // Another organization's tag is as unknown as one never made.
    if let Some(id) = ids.iter().find(|id| !known.contains(id)) {
        return Err(AppError::InvalidField {
            field: "tag_ids".to_owned(),
            message: format!("tag_ids: {} is no tag of this organization", id.0),
        });
    }
    Ok(ids)
}

/// A target's `group_id` as submitted: the organization's group, or
/// `null` for none.
pub async fn parse_group_id(app: &App, actor: &Actor, raw: Value) -> AppResult<Option<GroupId>> {
    let id = match raw {
        Value::Null => return Ok(None),
        Value::String(s) => uuid::Uuid::parse_str(&s).ok().map(GroupId),
        _ => None,
    }
    .ok_or_else(|| ValidationError::new("group_id", "must be a group id or null"))?;
    let known = groups(app, actor).await?.iter().any(|g| g.id == id);
    if !known {
        return Err(ValidationError::new("group_id", "is no group of this organization").into());
    }
    Ok(Some(id))
}

/// Where a target goes: its tags and its group, when they were sent.
#[derive(Debug, Default)]
pub struct Placement {
    pub tags: Option<Vec<TagId>>,
    pub group: Option<Option<GroupId>>,
}

impl Placement {
    /// Takes `tag_ids` and `group_id` out of submitted target fields.
    pub async fn take(
        app: &App,
        actor: &Actor,
        fields: &mut serde_json::Map<String, Value>,
    ) -> AppResult<Self> {
        let tags = match fields.remove("tag_ids") {
            None => None,
            Some(Value::Null) => Some(Vec::new()),
            Some(raw) => Some(parse_tag_ids(app, actor, raw).await?),
        };
        let group = match fields.remove("group_id") {
            None => None,
            Some(raw) => Some(parse_group_id(app, actor, raw).await?),
        };
        Ok(Self { tags, group })
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_none() && self.group.is_none()
    }

    /// Writes it. A tag or group deleted since it was judged refuses by
    /// its field.
    pub async fn apply(&self, app: &App, actor: &Actor, target: TargetId) -> AppResult<()> {
        if let Some(tags) = &self.tags {
            if !app
                .store
                .set_target_tags(actor.organization, target, tags)
                .await?
            {
                return Err(ValidationError::new(
                    "tag_ids",
                    "a tag was deleted meanwhile; try again",
                )
                .into());
            }
        }
        if let Some(group) = self.group {
            if !app
                .store
                .set_target_group(actor.organization, target, group)
                .await?
            {
                return Err(ValidationError::new(
                    "group_id",
                    "the group was deleted meanwhile; try again",
                )
                .into());
            }
        }
        Ok(())
    }
}

/// The tags of the given targets, by target.
pub async fn tags_of(
    app: &App,
    actor: &Actor,
    targets: &[TargetId],
) -> AppResult<std::collections::HashMap<TargetId, Vec<TagId>>> {
    let mut map: std::collections::HashMap<TargetId, Vec<TagId>> = std::collections::HashMap::new();
    for (target, tag) in app
        .store
        .tags_of_targets(actor.organization, targets)
        .await?
    {
        map.entry(target).or_default().push(tag);
    }
    Ok(map)
}
