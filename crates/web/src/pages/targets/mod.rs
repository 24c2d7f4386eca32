//! Adding, editing, viewing and deleting a target: `form` is the new and
//! edit pages (and "Check now"), `detail` the target's page and the
//! actions on it (pause, resume, delete). The route table in `pages`
//! names the handlers re-exported here.

mod detail;
mod form;

pub use detail::{badge_off, badge_on, badge_rotate, delete, detail, pause, resume};
pub use form::{create, edit_form, new_form, update};
