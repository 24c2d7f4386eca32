//! Request body schemas the derive cannot state: rules shared by several
//! fields, and fields tied to each other. Each bound here is the one the
//! server enforces (the constants are the domain's own), so the document
//! says what a request must be to be accepted.

use std::borrow::Cow;

use pharos_domain::organization::OrganizationName;
use pharos_domain::user::{Email, Password};
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, Object, ObjectBuilder, Schema, SchemaType,
    Type,
};
use utoipa::openapi::RefOr;

use super::models::RegisterRequest;

/// Control characters as Rust's `char::is_control` sees them (Unicode Cc).
const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";

/// Text without control characters.
fn no_control_chars() -> String {
    format!("^[^{CONTROL}]*$")
}

/// Text without control characters that is not only whitespace (the server
/// trims names and refuses an empty one).
fn not_blank() -> String {
    format!("^[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*$")
}

/// An email address as `Email::parse` accepts it (ASCII spelling): a local
/// part of at most 64 characters, one `@`, and a domain with a dot that
/// neither starts nor ends with one; none of `"(),;<>[\]`.
fn email_pattern() -> &'static str {
    r#"^[!#-'*+\-.-:=?A-Z^-~]{1,64}@[!#-'*+\-/-:=?A-Z^-~][!#-'*+\-.-:=?A-Z^-~]*\.[!#-'*+\-.-:=?A-Z^-~]*[!#-'*+\-/-:=?A-Z^-~]$"#
}

fn nullable(ty: Type) -> SchemaType {
    SchemaType::from_iter([ty, Type::Null])
}

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn closed_object(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(description))
}

/// The email an account signs in with.
pub fn email() -> Object {
    text("An email address, at most 254 characters; compared without case.")
        .max_length(Some(Email::MAX_LEN))
        .pattern(Some(email_pattern()))
        .build()
}

/// A new password.
pub fn new_password() -> Object {
    text("10 to 256 characters, no control characters.")
        .min_length(Some(Password::MIN_LEN))
        .max_length(Some(Password::MAX_LEN))
        .pattern(Some(no_control_chars()))
        .build()
}

/// An organization's display name.
pub fn organization_name() -> Object {
    text("1 to 100 characters after trimming; no control characters.")
        .min_length(Some(1))
        .max_length(Some(OrganizationName::MAX_LEN))
        .pattern(Some(not_blank()))
        .build()
}

impl utoipa::PartialSchema for RegisterRequest {
    fn schema() -> RefOr<Schema> {
        let organization = {
            let mut name = organization_name();
            name.schema_type = nullable(Type::String);
            name.description = Some(
                "Name of the organization to create (1 to 100 characters after trimming); \
                 absent or `null`, the email."
                    .to_owned(),
            );
            name
        };
        let fields = closed_object("A new account and the organization it owns.")
            .property("email", email())
            .required("email")
            .property("password", new_password())
            .required("password")
            .property("organization", organization)
            .build();
        // The organization's name defaults to the email, so without one the
        // email must also fit a name.
        let default_name_fits = AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .property(
                        "organization",
                        ObjectBuilder::new().schema_type(Type::String),
                    )
                    .required("organization"),
            )
            .item(
                ObjectBuilder::new().property(
                    "email",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .max_length(Some(OrganizationName::MAX_LEN)),
                ),
            )
            .description(Some(
                "Without `organization`, the email names it, so it must be at most 100 characters.",
            ));
        AllOfBuilder::new()
            .item(fields)
            .item(default_name_fits)
            .into()
    }
}

impl utoipa::ToSchema for RegisterRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RegisterRequest")
    }
}
