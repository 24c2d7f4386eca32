pub mod admin;
pub mod agent;
pub mod backup;
pub mod bench;
pub mod doctor;
pub mod migrate;
pub mod run;
