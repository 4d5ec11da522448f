//! The one AEAD facegate uses: XChaCha20-Poly1305 from RustCrypto.
//!
//! Chosen for its 192-bit nonces: drawn at random for every seal, they cannot collide in
//! practice (2⁹⁶ seals under one key before a collision becomes likely), so no counter state has
//! to survive crashes or be shared between processes. These raw functions are what the
//! Wycheproof vectors test; the wrappers in `seal` and `keys` add the formats.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// Nonce length in bytes.
pub const NONCE_LEN: usize = 24;
/// Tag length in bytes.
pub const TAG_LEN: usize = 16;

/// Encrypts `plaintext` under `key` and `nonce`, authenticating `aad`: ciphertext then tag.
pub fn seal_raw(key: &[u8], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).expect("32-byte keys only");
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(&XNonce::from(*nonce), aad, out.as_mut_slice().into())
        .expect("messages of a few KiB are within XChaCha20's limits");
    out.extend_from_slice(&tag);
    out
}

/// Decrypts ciphertext-then-tag; `None` if the key or nonce has the wrong length or the tag does
/// not verify (nothing else is revealed).
pub fn open_raw(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).ok()?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let body_len = sealed.len().checked_sub(TAG_LEN)?;
    let tag = Tag::try_from(&sealed[body_len..]).ok()?;
    let mut body = Zeroizing::new(sealed[..body_len].to_vec());
    cipher
        .decrypt_inout_detached(&XNonce::from(nonce), aad, body.as_mut_slice().into(), &tag)
        .ok()?;
    Some(body)
}

/// A fresh random nonce.
pub fn random_nonce() -> Result<[u8; NONCE_LEN], crate::CoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| crate::CoreError::Entropy)?;
    Ok(nonce)
}
