//! Master keys and per-subject data keys.
//!
//! A master key (key-encryption key) never enters the database; it wraps one random data key per
//! subject, and the store keeps only the wrapped form. Deleting a subject's wrapped key destroys
//! every template sealed under it (crypto-shredding). Key ids are HKDF-derived fingerprints: they
//! tell which key made an object without revealing anything about the key.

use super::aead::{open_raw, random_nonce, seal_raw};
use super::format::{self, Kind};
use super::kdf::hkdf_sha256;
use crate::CoreError;
use std::fmt;
use zeroize::Zeroizing;

/// Key length in bytes (256 bits).
pub const KEY_LEN: usize = 32;
/// Bytes of a wrapped data key: header, encrypted key, tag.
pub const WRAPPED_KEY_LEN: usize = format::HEADER_LEN + KEY_LEN + super::aead::TAG_LEN;
/// A key's public fingerprint.
pub type KeyId = [u8; 8];

const WRAP_DOMAIN: &[u8] = b"facegate data-key wrap v1";

/// 32 secret bytes, wiped on drop, never printed.
struct Secret(Zeroizing<[u8; KEY_LEN]>);

impl Secret {
    fn random() -> Result<Self, CoreError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(bytes.as_mut()).map_err(|_| CoreError::Entropy)?;
        Ok(Self(bytes))
    }

    fn from_slice(bytes: &[u8], what: &str) -> Result<Self, CoreError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
            CoreError::InvalidArgument(format!(
                "{what} must be {KEY_LEN} bytes, got {} bytes",
                bytes.len()
            ))
        })?;
        Ok(Self(Zeroizing::new(array)))
    }

    fn id(&self) -> KeyId {
        let mut id = [0u8; 8];
        hkdf_sha256(b"facegate key id", self.0.as_ref(), b"v1", &mut id)
            .expect("8 bytes is a valid HKDF-SHA256 output length");
        id
    }
}

/// The key-encryption key. Loaded from a key file, the environment or bytes by the caller.
pub struct MasterKey {
    secret: Secret,
    id: KeyId,
}

/// A subject's template key. Its id is derived on first use: loading a gallery unwraps one data
/// key per template and never needs it unless a template fails to open.
pub struct DataKey {
    secret: Secret,
    id: std::sync::OnceLock<KeyId>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(id={})", hex_id(&self.id))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey(id={})", hex_id(&self.id()))
    }
}

/// A key id as 16 lowercase hex digits.
pub fn hex_id(id: &KeyId) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

impl MasterKey {
    /// A new random master key.
    pub fn generate() -> Result<Self, CoreError> {
        Ok(Self::from_secret(Secret::random()?))
    }

    /// A master key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        Ok(Self::from_secret(Secret::from_slice(
            bytes,
            "a master key",
        )?))
    }

    fn from_secret(secret: Secret) -> Self {
        let id = secret.id();
        Self { secret, id }
    }

    /// The public fingerprint.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The next key of a one-way ratchet: HKDF-SHA256 of this key with `label`. Whoever holds
    /// the result cannot compute this key back (the erasure epochs rely on it).
    pub fn ratchet(&self, label: &[u8]) -> Result<Self, CoreError> {
        let mut next = Zeroizing::new([0u8; KEY_LEN]);
        hkdf_sha256(
            b"facegate erasure ratchet v1",
            self.secret.0.as_ref(),
            label,
            next.as_mut(),
        )?;
        Self::from_bytes(next.as_ref())
    }

    /// The secret bytes, for writing a key file; the caller must wipe any copy.
    pub fn secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.secret.0
    }

    /// `key` wrapped for `subject`: only this master key can unwrap it, and only for `subject`.
    pub fn wrap(&self, key: &DataKey, subject: &[u8]) -> Result<Vec<u8>, CoreError> {
        let nonce = random_nonce()?;
        let mut out = format::header(Kind::DataKey, &self.id, &nonce);
        let aad = format::associated_data(WRAP_DOMAIN, &out, &[subject]);
        out.extend(seal_raw(
            self.secret.0.as_ref(),
            &nonce,
            &aad,
            key.secret.0.as_ref(),
        ));
        Ok(out)
    }

    /// The data key inside `wrapped`, which must have been wrapped by this key for `subject`.
    pub fn unwrap(&self, wrapped: &[u8], subject: &[u8]) -> Result<DataKey, CoreError> {
        let what = Kind::DataKey.what();
        let parsed = format::parse(wrapped, Kind::DataKey)?;
        if parsed.key_id != self.id {
            return Err(CoreError::WrongKey { what });
        }
        let aad = format::associated_data(WRAP_DOMAIN, parsed.header, &[subject]);
        let plain = open_raw(self.secret.0.as_ref(), &parsed.nonce, &aad, parsed.body)
            .ok_or(CoreError::Tampered { what })?;
        let secret =
            Secret::from_slice(&plain, "a data key").map_err(|_| CoreError::Malformed { what })?;
        Ok(DataKey::from_secret(secret))
    }

    /// Re-wraps under `new` a key wrapped under this one (master-key rotation): the templates
    /// sealed under the data key are untouched.
    pub fn rewrap(
        &self,
        wrapped: &[u8],
        subject: &[u8],
        new: &MasterKey,
    ) -> Result<Vec<u8>, CoreError> {
        new.wrap(&self.unwrap(wrapped, subject)?, subject)
    }

    /// HKDF-SHA256 output keyed by this master key, for deriving per-deployment secrets.
    pub(crate) fn derive(&self, salt: &[u8], info: &[u8], out: &mut [u8]) {
        hkdf_sha256(salt, self.secret.0.as_ref(), info, out)
            .expect("derived secrets are far below HKDF-SHA256's 8160-byte limit");
    }
}

impl DataKey {
    /// A new random data key.
    pub fn generate() -> Result<Self, CoreError> {
        Ok(Self::from_secret(Secret::random()?))
    }

    /// A data key from exactly 32 bytes (the KMS path, where a key service unwraps it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        Ok(Self::from_secret(Secret::from_slice(bytes, "a data key")?))
    }

    fn from_secret(secret: Secret) -> Self {
        Self {
            secret,
            id: std::sync::OnceLock::new(),
        }
    }

    /// The public fingerprint.
    pub fn id(&self) -> KeyId {
        *self.id.get_or_init(|| self.secret.id())
    }

    /// The secret bytes (AEAD key, and the KMS path).
    pub fn secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.secret.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_round_trips_and_binds_key_and_subject() {
        let (master, other) = (
            MasterKey::generate().unwrap(),
            MasterKey::generate().unwrap(),
        );
        let key = DataKey::generate().unwrap();
        let wrapped = master.wrap(&key, b"alice").unwrap();
        assert_eq!(wrapped.len(), WRAPPED_KEY_LEN);
        assert_eq!(
            master.unwrap(&wrapped, b"alice").unwrap().secret_bytes(),
            key.secret_bytes()
        );
        assert!(matches!(
            master.unwrap(&wrapped, b"bob"),
            Err(CoreError::Tampered { .. })
        ));
        assert!(matches!(
            other.unwrap(&wrapped, b"alice"),
            Err(CoreError::WrongKey { .. })
        ));
        for bit in 0..wrapped.len() * 8 {
            let mut bad = wrapped.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(master.unwrap(&bad, b"alice").is_err(), "bit {bit}");
        }
        assert!(matches!(
            master.unwrap(&wrapped[..30], b"alice"),
            Err(CoreError::Malformed { .. })
        ));
    }

    #[test]
    fn rewrap_moves_a_key_to_the_new_master() {
        let (old, new) = (
            MasterKey::generate().unwrap(),
            MasterKey::generate().unwrap(),
        );
        let key = DataKey::generate().unwrap();
        let moved = old
            .rewrap(&old.wrap(&key, b"s").unwrap(), b"s", &new)
            .unwrap();
        assert_eq!(new.unwrap(&moved, b"s").unwrap().id(), key.id());
        assert!(old.unwrap(&moved, b"s").is_err());
    }

    #[test]
    fn the_ratchet_is_deterministic_and_moves_to_another_key() {
        let key = MasterKey::from_bytes(&[9u8; 32]).unwrap();
        let next = key.ratchet(b"epoch 1").unwrap();
        assert_eq!(next.id(), key.ratchet(b"epoch 1").unwrap().id());
        assert_ne!(next.id(), key.id());
        assert_ne!(next.id(), key.ratchet(b"epoch 2").unwrap().id());
        // RFC 5869's HKDF-SHA256 of the key, computed independently of this code.
        let mut expected = [0u8; KEY_LEN];
        hkdf::Hkdf::<sha2::Sha256>::new(Some(b"facegate erasure ratchet v1"), &[9u8; 32])
            .expand(b"epoch 1", &mut expected)
            .unwrap();
        assert_eq!(next.secret_bytes(), &expected);
        let wrapped = next.wrap(&DataKey::generate().unwrap(), b"s").unwrap();
        assert!(key.unwrap(&wrapped, b"s").is_err());
    }

    #[test]
    fn debug_shows_only_the_id() {
        let key = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.starts_with("MasterKey(id=") && !shown.contains("0707"));
        assert!(MasterKey::from_bytes(&[1, 2, 3]).is_err());
    }
}
