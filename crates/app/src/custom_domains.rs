//! A status page's own host name (`status.example.com`). The owner sets
//! it; Pharos makes a token the domain must publish in a TXT record at
//! `_pharos-challenge.<host>`, and checks it through its resolver when
//! asked (`verify`). Only a verified domain is served (the web layer's
//! `public::custom_domain`), and only that page's public routes there.
//! Owners and admins manage it, like the page.

use chrono::Utc;
use pharos_domain::ids::StatusPageId;
use pharos_domain::ValidationError;
use pharos_storage::models::StatusPage;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

const REFUSAL: &str = "only owners and admins manage status pages";
const FIELD: &str = "custom_domain";
/// Random bytes in a domain's proof token.
const TOKEN_BYTES: usize = 24;

/// The TXT record's name for `host`.
pub fn challenge_name(host: &str) -> String {
    format!("_pharos-challenge.{host}")
}

/// A host name as a custom domain: lowercase, no trailing dot, DNS label
/// rules, at least two labels, not an address, not an internal name, and
/// not the instance's own host.
pub fn parse_host(raw: &str, own_host: Option<&str>) -> AppResult<String> {
    let bad = |why: &str| AppError::from(ValidationError::new(FIELD, why.to_owned()));
    let host = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.len() > 253 {
        return Err(bad("must be a host name of 1 to 253 characters"));
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(bad(
            "must be a host name such as status.example.com (letters, digits and hyphens, \
             punycode for other scripts)",
        ));
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("must be a host name, not an address"));
    }
    if let Some(reason) = pharos_domain::hostname::internal_name_reason(&host) {
        return Err(bad(&format!("must be a public host name ({reason})")));
    }
    if own_host.is_some_and(|own| own.eq_ignore_ascii_case(&host)) {
        return Err(bad("is this Pharos instance's own address"));
    }
    Ok(host)
}

/// Sets the page's custom domain (a new proof token, unverified) or, with
/// `None`, removes it.
pub async fn set(
    app: &App,
    actor: &Actor,
    id: StatusPageId,
    raw: Option<&str>,
) -> AppResult<StatusPage> {
    actor.require_manager(REFUSAL)?;
    let own_host = url::Url::parse(&app.settings.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    let host = raw
        .map(|raw| parse_host(raw, own_host.as_deref()))
        .transpose()?;
    let token = crate::tokens::new_token(TOKEN_BYTES);
    app.store
        .set_custom_domain(
            actor.organization,
            id,
            host.as_deref().map(|h| (h, token.as_str())),
            Utc::now(),
        )
        .await
        .map_err(|e| match e {
            pharos_storage::StoreError::Conflict(what) => ValidationError::new(FIELD, what).into(),
            other => AppError::from(other),
        })?
        .ok_or(AppError::NotFound)
}

/// Looks up `_pharos-challenge.<host>` and marks the domain verified when
/// a TXT record there holds the page's token; else 422 on `custom_domain`
/// saying what was found.
pub async fn verify(app: &App, actor: &Actor, id: StatusPageId) -> AppResult<StatusPage> {
    actor.require_manager(REFUSAL)?;
    let page = crate::status_pages::get(app, actor, id).await?;
    let (Some(host), Some(token)) = (&page.custom_domain, &page.custom_domain_token) else {
        return Err(ValidationError::new(FIELD, "the page has no custom domain to verify").into());
    };
    let name = challenge_name(host);
    let records = app
        .txt
        .txt(&name)
        .await
        .map_err(|e| AppError::from(ValidationError::new(FIELD, e)))?;
    // Constant time: the token is a secret until it is published.
    let found = records
        .iter()
        .any(|r| subtle::ConstantTimeEq::ct_eq(r.trim().as_bytes(), token.as_bytes()).into());
    if !found {
        let what = if records.is_empty() {
            format!("no TXT record at {name} yet (DNS changes can take a while to appear)")
        } else {
            format!("the TXT records at {name} do not hold this page's token")
        };
        return Err(ValidationError::new(FIELD, what).into());
    }
    app.store
        .mark_custom_domain_verified(actor.organization, id, host, Utc::now())
        .await?;
    crate::status_pages::get(app, actor, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_judged() {
        assert_eq!(
            parse_host(" Status.Example.COM. ", None).ok().as_deref(),
            Some("status.example.com")
        );
        for bad in [
            "",
            "localhost",
            "example",
            "1.2.3.4",
            "-a.example.com",
            "a_b.example.com",
            "status.example.com/path",
            "status.example.com:8080",
            "db.internal",
        ] {
            assert!(parse_host(bad, None).is_err(), "{bad}");
        }
        assert!(parse_host("pharos.example.com", Some("pharos.example.com")).is_err());
    }
}
