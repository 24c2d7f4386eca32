pub mod admin;
pub mod bench;
pub mod migrate;
pub mod run;
