//! Keyed tags: HMAC-SHA256 (RustCrypto) under keys that HKDF derives from the master key, one key
//! per domain. The audit trail authenticates its head with one and names subjects by another, so
//! neither needs a key of its own and no key ever leaves Rust.

use super::MasterKey;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Bytes in a tag.
pub const TAG_LEN: usize = 32;

const SALT: &[u8] = b"facegate mac v1";

/// HMAC-SHA256(key, message).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; TAG_LEN] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl MasterKey {
    /// The tag of `message` under this master key's key for `domain`.
    pub fn tag(&self, domain: &str, message: &[u8]) -> [u8; TAG_LEN] {
        let mut key = Zeroizing::new([0u8; 32]);
        self.derive(SALT, domain.as_bytes(), key.as_mut());
        hmac_sha256(key.as_ref(), message)
    }

    /// Whether `tag` is the tag of `message` for `domain`, compared in constant time.
    pub fn check_tag(&self, domain: &str, message: &[u8], tag: &[u8]) -> bool {
        let mut key = Zeroizing::new([0u8; 32]);
        self.derive(SALT, domain.as_bytes(), key.as_mut());
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_ref())
            .expect("HMAC accepts keys of any length");
        mac.update(message);
        mac.verify_slice(tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tags_depend_on_key_domain_and_message() {
        let a = MasterKey::from_bytes(&[1; 32]).unwrap();
        let b = MasterKey::from_bytes(&[2; 32]).unwrap();
        let tag = a.tag("audit head", b"m");
        assert!(a.check_tag("audit head", b"m", &tag));
        assert!(!a.check_tag("audit head", b"n", &tag));
        assert!(!a.check_tag("subject", b"m", &tag));
        assert!(!b.check_tag("audit head", b"m", &tag));
        assert!(!a.check_tag("audit head", b"m", &tag[..31]));
        assert_ne!(a.tag("subject", b"m"), tag);
    }
}
