//! Secrets at rest: the one place Pharos encrypts what it must be able to
//! read back (a channel's tokens, passwords, keyed URLs, its webhook
//! signing secret), where `tokens` hashes what it only compares.
//!
//! The key is derived from the instance's secret key with HKDF-SHA256 (its
//! own label, so it is never the key that hashes tokens), and each value
//! is sealed with XChaCha20-Poly1305 under a fresh random 24-byte nonce
//! kept beside it. The row it belongs to (organization and channel ids) is
//! bound in as associated data: a sealed value copied to another row does
//! not open. Stored form: `1 || nonce || ciphertext+tag`.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use pharos_domain::ids::{ChannelId, OrganizationId};
use sha2::Sha256;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const SALT: &[u8] = b"pharos sealing";
const INFO: &[u8] = b"pharos sealing v1: channel secrets";

/// What a sealed value belongs to; it opens only there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealContext {
    Channel {
        organization: OrganizationId,
        channel: ChannelId,
    },
    /// A user's TOTP secret.
    TwoFactor { user: pharos_domain::ids::UserId },
    /// A status page webhook subscriber's signing secret.
    Subscriber {
        page: pharos_domain::ids::StatusPageId,
        subscriber: uuid::Uuid,
    },
}

impl SealContext {
    fn associated_data(&self) -> Vec<u8> {
        match self {
            SealContext::Channel {
                organization,
                channel,
            } => {
                let mut aad = b"channel:".to_vec();
                aad.extend_from_slice(organization.0.as_bytes());
                aad.extend_from_slice(channel.0.as_bytes());
                aad
            }
            SealContext::TwoFactor { user } => {
                let mut aad = b"two-factor:".to_vec();
                aad.extend_from_slice(user.0.as_bytes());
                aad
            }
            SealContext::Subscriber { page, subscriber } => {
                let mut aad = b"status-page-subscriber:".to_vec();
                aad.extend_from_slice(page.0.as_bytes());
                aad.extend_from_slice(subscriber.as_bytes());
                aad
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not something `seal` made, made under another key, for another row,
    /// or altered.
    #[error("a sealed secret does not open (another secret key, another row, or altered)")]
    DoesNotOpen,
    #[error("a secret could not be sealed")]
    Seal,
}

/// Seals and opens secrets under the key derived from the instance secret.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub fn new(instance_secret: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(SALT), instance_secret);
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32.
        hkdf.expand(INFO, &mut key)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 length"));
        let cipher = XChaCha20Poly1305::new(&key.into());
        key.fill(0);
        Self { cipher }
    }

    pub fn seal(&self, context: SealContext, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = context.associated_data();
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, context: SealContext, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let (version, rest) = sealed.split_first().ok_or(SealError::DoesNotOpen)?;
        if *version != VERSION || rest.len() < NONCE_LEN {
            return Err(SealError::DoesNotOpen);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = context.associated_data();
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::DoesNotOpen)
    }
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl pharos_notify::sender::ChannelSecrets for Sealer {
    fn open_channel_secret(
        &self,
        organization: OrganizationId,
        channel: ChannelId,
        sealed: &[u8],
    ) -> Result<Vec<u8>, pharos_notify::sender::SecretError> {
        self.open(
            SealContext::Channel {
                organization,
                channel,
            },
            sealed,
        )
        .map_err(|_| pharos_notify::sender::SecretError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> SealContext {
        SealContext::Channel {
            organization: OrganizationId::new(),
            channel: ChannelId::new(),
        }
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let sealer = Sealer::new(b"an instance secret key of enough length");
        let here = context();
        let sealed = sealer.seal(here, b"{\"token\":\"xoxb-1\"}").expect("seal");
        assert_eq!(
            sealer.open(here, &sealed).expect("open"),
            b"{\"token\":\"xoxb-1\"}"
        );
        // Never the clear text, and a fresh nonce each time.
        assert!(!sealed.windows(6).any(|w| w == b"xoxb-1"));
        assert_ne!(
            sealed,
            sealer.seal(here, b"{\"token\":\"xoxb-1\"}").expect("seal")
        );
        // Another row, another key, an altered byte, garbage: refused.
        assert_eq!(sealer.open(context(), &sealed), Err(SealError::DoesNotOpen));
        let other = Sealer::new(b"another instance secret key, also long");
        assert_eq!(other.open(here, &sealed), Err(SealError::DoesNotOpen));
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(sealer.open(here, &altered), Err(SealError::DoesNotOpen));
        assert_eq!(sealer.open(here, b""), Err(SealError::DoesNotOpen));
        assert_eq!(sealer.open(here, &[1, 2, 3]), Err(SealError::DoesNotOpen));
    }
}
