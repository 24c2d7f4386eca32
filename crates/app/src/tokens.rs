//! Secret tokens and their keyed hashes: the one place Pharos makes a
//! token and decides how it is stored. The database keeps only
//! HMAC-SHA256(instance secret, token), so a leaked database cannot be
//! replayed. Sessions and API keys use it; invitations, password-reset
//! links and agent tokens are to use the same.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::distributions::{Alphanumeric, DistString};
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

    /// Whether `hash` is the stored form of `token`, compared in constant
    /// time (for signatures a visitor hands back, such as unsubscribe
    /// links).
    pub fn verify(&self, token: &str, hash: &[u8]) -> bool {
        let mut mac = self.mac.clone();
        mac.update(token.as_bytes());
        mac.verify_slice(hash).is_ok()
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

/// An API key, `phk_<random>_<checksum>`: 32 random base62 characters
/// (about 190 bits) and the CRC32 of `phk_<random>` in 6 base62
/// characters. The `phk_` prefix lets secret scanners find a leaked key;
/// the checksum lets Pharos refuse a mistyped or truncated key before it
/// reads anything. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    const PREFIX: &'static str = "phk_";
    const RANDOM_LEN: usize = 32;
    const CHECKSUM_LEN: usize = 6;
    /// `phk_`, the random part, `_`, the checksum.
    pub const LEN: usize = Self::PREFIX.len() + Self::RANDOM_LEN + 1 + Self::CHECKSUM_LEN;
    /// How much of a key its list shows: `phk_` and 8 random characters.
    const SHOWN_LEN: usize = Self::PREFIX.len() + 8;

    /// A new random key.
    pub fn generate() -> Self {
        let random = Alphanumeric.sample_string(&mut rand::thread_rng(), Self::RANDOM_LEN);
        let body = format!("{}{random}", Self::PREFIX);
        let checksum = Self::checksum(&body);
        Self(format!("{body}_{checksum}"))
    }

    /// `raw` if it is a well-formed key whose checksum matches; `None`
    /// for anything else (no I/O: this runs before any lookup).
    pub fn parse(raw: &str) -> Option<Self> {
        // ASCII first: the slicing below is then on character boundaries.
        if !raw.is_ascii() || raw.len() != Self::LEN || !raw.starts_with(Self::PREFIX) {
            return None;
        }
        let (body, checksum) = raw.split_at(Self::PREFIX.len() + Self::RANDOM_LEN);
        let checksum = checksum.strip_prefix('_')?;
        let random = &body[Self::PREFIX.len()..];
        let base62 = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !base62(random) || !base62(checksum) || Self::checksum(body) != checksum {
            return None;
        }
        Some(Self(raw.to_owned()))
    }

    /// The whole key: to hand to its maker once, and to hash.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its first characters (`phk_` and 8 more), kept to recognise it by.
    pub fn shown_prefix(&self) -> &str {
        &self.0[..Self::SHOWN_LEN]
    }

    fn checksum(body: &str) -> String {
        const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut n = crc32fast::hash(body.as_bytes());
        // 62^6 > 2^32: six digits hold every CRC32, most significant first.
        let mut digits = [b'0'; Self::CHECKSUM_LEN];
        for digit in digits.iter_mut().rev() {
            *digit = DIGITS[(n % 62) as usize];
            n /= 62;
        }
        digits.iter().map(|&d| char::from(d)).collect()
    }
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}***)", self.shown_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_have_the_documented_shape_and_check_their_checksum() {
        let key = ApiKeySecret::generate();
        let raw = key.expose();
        assert_eq!(raw.len(), ApiKeySecret::LEN);
        assert!(raw.starts_with("phk_"), "{raw}");
        let parts: Vec<&str> = raw.split('_').collect();
        assert_eq!(parts.len(), 3, "{raw}");
        assert_eq!(parts[1].len(), 32);
        assert_eq!(parts[2].len(), 6);
        assert_eq!(ApiKeySecret::parse(raw), Some(key.clone()));
        assert_eq!(key.shown_prefix(), &raw[..12]);
        assert_ne!(ApiKeySecret::generate(), key);
        assert!(!format!("{key:?}").contains(parts[1]));
    }

    #[test]
    fn a_mistyped_key_fails_its_checksum() {
        let key = ApiKeySecret::generate();
        let raw = key.expose();
        // Every single-character change in the random part is caught.
        for at in 4..36 {
            let mut typo = raw.as_bytes().to_vec();
            typo[at] = if typo[at] == b'x' { b'y' } else { b'x' };
            let typo = String::from_utf8(typo).expect("ascii");
            assert_eq!(ApiKeySecret::parse(&typo), None, "{typo}");
        }
        // Two neighbours swapped, a character dropped, one too many.
        let mut swapped = raw.as_bytes().to_vec();
        let (a, b) = (10, 11);
        if swapped[a] != swapped[b] {
            swapped.swap(a, b);
            let swapped = String::from_utf8(swapped).expect("ascii");
            assert_eq!(ApiKeySecret::parse(&swapped), None);
        }
        assert_eq!(ApiKeySecret::parse(&raw[..raw.len() - 1]), None);
        assert_eq!(ApiKeySecret::parse(&format!("{raw}0")), None);
        assert_eq!(ApiKeySecret::parse(&raw.replacen("phk_", "pkh_", 1)), None);
        assert_eq!(ApiKeySecret::parse(""), None);
        let multibyte = format!("phk_{}é{}", "a".repeat(31), "b".repeat(6));
        assert_eq!(multibyte.len(), ApiKeySecret::LEN);
        assert_eq!(ApiKeySecret::parse(&multibyte), None);
    }

    #[test]
    fn the_checksum_is_the_crc32_of_the_prefix_and_random_part_in_base62() {
        // The checksum written out by other means than `checksum`: digit
        // by digit from the CRC, 0-9 then A-Z then a-z.
        let body = format!("phk_{}", "0".repeat(32));
        let crc = crc32fast::hash(body.as_bytes());
        let mut expected = String::new();
        let mut n = u64::from(crc);
        for _ in 0..6 {
            let d = (n % 62) as u32;
            let c = match d {
                0..=9 => char::from_digit(d, 10).expect("digit"),
                10..=35 => char::from(b'A' + (d - 10) as u8),
                _ => char::from(b'a' + (d - 36) as u8),
            };
            expected.insert(0, c);
            n /= 62;
        }
        let key = format!("{body}_{expected}");
        assert!(ApiKeySecret::parse(&key).is_some(), "{key}");
    }

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
