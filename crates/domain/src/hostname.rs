//! Host names that name something inside the operator's own network.

/// Suffixes reserved for private or special use (RFC 6761, RFC 6762,
/// RFC 8375, ICANN's `.internal`) and the common home-router ones.
const INTERNAL_SUFFIXES: &[&str] = &[
    "localhost",
    "local",
    "internal",
    "localdomain",
    "home.arpa",
    "lan",
    "intranet",
    "corp",
    "private",
    "invalid",
];

/// Why `host` (a parsed, lower-case domain name) is internal, or `None`.
pub fn internal_name_reason(host: &str) -> Option<&'static str> {
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return Some("an empty host name");
    }
    if !host.contains('.') {
        return Some("a single-label (internal) host name");
    }
    for suffix in INTERNAL_SUFFIXES {
        let under = host.len() > suffix.len()
            && host.ends_with(suffix)
            && host.as_bytes()[host.len() - suffix.len() - 1] == b'.';
        if host == *suffix || under {
            return Some("an internal host name");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_are_recognised() {
        for host in [
            "localhost",
            "localhost.",
            "app.localhost",
            "printer.local",
            "metadata.google.internal",
            "router.home.arpa",
            "nas.lan",
            "intranet",
            "db",
        ] {
            assert!(internal_name_reason(host).is_some(), "{host}");
        }
    }

    #[test]
    fn public_names_pass() {
        for host in [
            "example.com",
            "status.localhost-news.com",
            "local.example.org",
            "api.internalize.io",
        ] {
            assert_eq!(internal_name_reason(host), None, "{host}");
        }
    }
}
