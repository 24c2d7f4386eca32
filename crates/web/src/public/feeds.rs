//! A status page's incidents and announcements of the last 90 days as
//! feeds: RSS 2.0 (`/status/{slug}/feed.rss`, the `rss` crate) and Atom
//! (`/status/{slug}/feed.atom`, `atom_syndication`). Each update of a post
//! is one entry, so a feed reader hears of every step ("Investigating",
//! then "Resolved"), not only of the post's first appearance. Built with
//! the page's snapshot, so feeds cost no read of their own.

use atom_syndication as atom;
use chrono::{DateTime, Utc};
use pharos_app::status_pages::{PublicIncident, PublicPage};
use pharos_domain::status_page::PageIncidentKind;

/// Entries a feed holds at most (newest first).
const MAX_ENTRIES: usize = 200;

/// One entry: a post at one of its updates.
struct Entry<'a> {
    id: String,
    title: String,
    text: String,
    at: DateTime<Utc>,
    post: &'a PublicIncident,
}

fn page_url(public_url: &str, slug: &str) -> String {
    format!("{}/status/{slug}", public_url.trim_end_matches('/'))
}

fn entries<'a>(page: &'a PublicPage, page_url: &str) -> Vec<Entry<'a>> {
    let mut entries = Vec::new();
    for post in &page.history {
        let affects = if post.components.is_empty() {
            String::new()
        } else {
            format!("\n\nAffects: {}", post.components.join(", "))
        };
        let title = |status: &str| match post.kind {
            PageIncidentKind::Incident => format!("{}: {status}", post.title),
            PageIncidentKind::Announcement => post.title.clone(),
        };
        if post.updates.is_empty() {
            entries.push(Entry {
                id: format!("{page_url}/history#post-{}", post.id.0),
                title: title(post.status.label()),
                text: format!("{}{affects}", post.status.label()),
                at: post.created_at,
                post,
            });
        }
        for update in &post.updates {
            entries.push(Entry {
                id: format!(
                    "{page_url}/history#post-{}-{}",
                    post.id.0,
                    update.at.timestamp_micros()
                ),
                title: title(update.status.label()),
                text: format!("{}{affects}", update.message),
                at: update.at,
                post,
            });
        }
    }
    entries.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    entries.truncate(MAX_ENTRIES);
    entries
}

fn description(page: &PublicPage) -> String {
    if page.page.description.trim().is_empty() {
        format!("Incidents and announcements of {}", page.page.title)
    } else {
        page.page.description.clone()
    }
}

/// The page's RSS 2.0 document.
pub fn rss(page: &PublicPage, public_url: &str) -> Vec<u8> {
    let link = page_url(public_url, &page.page.slug);
    let entries = entries(page, &link);
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|e| {
            let mut item = rss::Item::default();
            item.set_title(e.title.clone());
            item.set_link(format!("{link}/history"));
            item.set_description(e.text.clone());
            item.set_pub_date(e.at.to_rfc2822());
            item.set_guid(rss::Guid {
                value: e.id.clone(),
                permalink: false,
            });
            item.set_categories(vec![rss::Category {
                name: e.post.kind.as_str().to_owned(),
                domain: None,
            }]);
            item
        })
        .collect();
    let mut channel = rss::Channel::default();
    channel.set_title(page.page.title.clone());
    channel.set_link(link.clone());
    channel.set_description(description(page));
    channel.set_last_build_date(
        entries
            .first()
            .map_or(page.page.updated_at, |e| e.at.max(page.page.updated_at))
            .to_rfc2822(),
    );
    channel.set_ttl("5".to_owned());
    channel.set_items(items);
    channel.to_string().into_bytes()
}

/// The page's Atom document.
pub fn atom(page: &PublicPage, public_url: &str) -> Vec<u8> {
    let link = page_url(public_url, &page.page.slug);
    let entries = entries(page, &link);
    let updated = entries
        .first()
        .map_or(page.page.updated_at, |e| e.at.max(page.page.updated_at));
    let author = atom::Person {
        name: page.page.title.clone(),
        email: None,
        uri: Some(link.clone()),
        ..atom::Person::default()
    };
    let alternate = |href: String| atom::Link {
        href,
        rel: "alternate".to_owned(),
        mime_type: Some("text/html".to_owned()),
        ..atom::Link::default()
    };
    let atom_entries: Vec<atom::Entry> = entries
        .iter()
        .map(|e| atom::Entry {
            id: e.id.clone(),
            title: atom::Text::plain(e.title.clone()),
            updated: e.at.fixed_offset(),
            published: Some(e.at.fixed_offset()),
            links: vec![alternate(format!("{link}/history"))],
            summary: Some(atom::Text::plain(e.text.clone())),
            categories: vec![atom::Category {
                term: e.post.kind.as_str().to_owned(),
                ..atom::Category::default()
            }],
            ..atom::Entry::default()
        })
        .collect();
    let feed = atom::Feed {
        id: format!("{link}/feed.atom"),
        title: atom::Text::plain(page.page.title.clone()),
        subtitle: Some(atom::Text::plain(description(page))),
        updated: updated.fixed_offset(),
        authors: vec![author],
        links: vec![
            alternate(link.clone()),
            atom::Link {
                href: format!("{link}/feed.atom"),
                rel: "self".to_owned(),
                mime_type: Some("application/atom+xml".to_owned()),
                ..atom::Link::default()
            },
        ],
        entries: atom_entries,
        ..atom::Feed::default()
    };
    feed.to_string().into_bytes()
}
