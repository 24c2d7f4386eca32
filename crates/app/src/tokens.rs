//! Secret tokens and their keyed hashes: the one place Pharos makes a
//! token and decides how it is stored. The database keeps only
//! HMAC-SHA256(instance secret, token), so a leaked database cannot be
//! replayed. Sessions use it today; API keys, invitations, password-reset
//! links and agent tokens are to use the same.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Hashes tokens under the instance's secret key.
pub struct TokenHasher {
    mac: Hmac<Sha256>,
}

impl TokenHasher {
    pub fn new(secret: &[u8]) -> Self {
        // HMAC accepts keys of any length, so this cannot fail; the
        // fallback only keeps the signature free of a panic.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .or_else(|_| <Hmac<Sha256> as Mac>::new_from_slice(b"-"))
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Self { mac }
    }

    /// The stored form of `token`.
    pub fn hash(&self, token: &str) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher(***)")
    }
}

/// A new random token of `bytes` random bytes, URL-safe base64.
pub fn new_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_and_stable() {
        let a = TokenHasher::new(b"one secret key of enough length here");
        let b = TokenHasher::new(b"another secret key of enough length");
        assert_eq!(a.hash("token"), a.hash("token"));
        assert_ne!(a.hash("token"), a.hash("other"));
        assert_ne!(a.hash("token"), b.hash("token"));
        assert_eq!(a.hash("token").len(), 32);
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let t = new_token(32);
        assert_eq!(t.len(), 43);
        assert_ne!(t, new_token(32));
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
