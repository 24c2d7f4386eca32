//! Matrix: `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}`
//! with the access token as a bearer token. The transaction id comes from
//! the delivery key, so the homeserver drops a retry of a message it
//! already has. `m.text`, not `m.notice`: default push rules silence
//! notices, and an alert must notify.

use pharos_domain::ChannelKind;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::config::KindConfig;
use super::fields::{check_base_url, check_token, ConfigError, Mask, Secret};
use super::form::{FormField, FormInput};
use super::text::{self, html};
use super::{join_url, json_request, plain_message, RenderContext, RenderError};
use crate::delivery::{Delivery, HttpVerb};
use crate::notice::Notice;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixConfig {
    /// The client-server API base (`https://matrix.example.org`).
    pub homeserver: String,
    pub access_token: Secret,
    /// A room id (`!abc:example.org`), not an alias.
    pub room_id: String,
}

impl KindConfig for MatrixConfig {
    const SECRETS: &'static [(&'static str, Mask)] = &[("access_token", Mask::Opaque)];
    const FORM: &'static [FormField] = &[
        FormField::text("homeserver", "Homeserver", "The client-server API address.")
            .input(FormInput::Url)
            .example("https://matrix.example.org"),
        FormField::text(
            "access_token",
            "Access token",
            "The token of the account Pharos posts as; it must have joined the room.",
        )
        .secret(),
        FormField::text(
            "room_id",
            "Room id",
            "The room's id, starting with ! (not a #alias): in the room's settings.",
        )
        .example("!abcdefg:example.org"),
    ];

    fn validate(&self) -> Result<(), ConfigError> {
        check_base_url("homeserver", &self.homeserver)?;
        check_token("access_token", self.access_token.expose(), 512)?;
        // Room ids start with `!`; since room version 12 they may have no
        // `:server` part, so only the sigil and the characters are judged.
        if !self.room_id.starts_with('!') || self.room_id.len() > 255 {
            return Err(ConfigError::new(
                "room_id",
                "must be a room id starting with ! (not a #alias)",
            ));
        }
        check_token("room_id", &self.room_id, 255)
    }
}

pub(crate) fn render(
    config: &MatrixConfig,
    notice: &Notice,
    ctx: &RenderContext,
) -> Result<Delivery, RenderError> {
    let txn_id = format!("pharos-{}", ctx.delivery_key);
    let url = join_url(
        ChannelKind::Matrix,
        &config.homeserver,
        &[
            "_matrix",
            "client",
            "v3",
            "rooms",
            &config.room_id,
            "send",
            "m.room.message",
            &txn_id,
        ],
    )?;
    let mut formatted = format!(
        "<p><strong><font color=\"{colour}\" data-mx-color=\"{colour}\">{word}</font></strong>: {name}</p><p>{sentence}</p><ul>",
        colour = text::colour_hex(notice.kind),
        word = text::word(notice.kind),
        name = html(&text::target_name(notice)),
        sentence = html(&text::sentence(notice, ctx.now)),
    );
    for (label, value) in text::facts(notice) {
        formatted.push_str(&format!(
            "<li><strong>{}</strong>: {}</li>",
            html(label),
            html(&value)
        ));
    }
    let link = text::link(notice, ctx);
    formatted.push_str(&format!(
        "</ul><p><a href=\"{}\">Open in Pharos</a></p>",
        html(&link)
    ));
    let payload = json!({
        "msgtype": "m.text",
        "body": format!("{}\n{}\n\n{link}", text::title(notice), plain_message(notice, ctx)),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
    });
    let token = config.access_token.expose().to_owned();
    Ok(json_request(
        HttpVerb::Put,
        url,
        vec![("Authorization".to_owned(), format!("Bearer {token}"))],
        &payload,
        vec![token],
    ))
}
