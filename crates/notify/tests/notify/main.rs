//! The notify crate against real receivers on 127.0.0.1: an HTTP server
//! capturing every request and an SMTP server with STARTTLS. One test
//! binary (one link) for all of them.

mod support;

mod config;
mod deliveries;
mod email;
mod formats;
mod hostile;
mod transport;
