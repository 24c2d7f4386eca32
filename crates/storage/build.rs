//! `sqlx::migrate!` embeds the migration files at compile time, but cargo
//! only rebuilds a crate when its Rust sources change. Without this, a new
//! or edited migration would be silently left out of the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
