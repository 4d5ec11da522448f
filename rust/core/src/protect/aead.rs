//! The one AEAD facegate uses: AES-256-GCM-SIV (RFC 8452) from RustCrypto.
//!
//! Chosen over XChaCha20-Poly1305 for two reasons measured here. It is nonce-misuse resistant:
//! with random 96-bit nonces a collision (likely only after about 2³² seals under one data key,
//! while a data key seals a handful of templates) reveals at most that two sealed templates are
//! identical, never the key stream. And the `aes` and `polyval` crates select AES-NI and
//! CLMUL at run time, so a portable wheel opens a 512-byte template in about 0.5 µs, against
//! about 1.9 µs for the ChaCha20-Poly1305 crates without compile-time AVX2.
//! These raw functions are what the Wycheproof vectors test; `seal` and `keys` add the formats.

use aes_gcm_siv::aead::AeadInOut;
use aes_gcm_siv::{Aes256GcmSiv, KeyInit, Nonce, Tag};
use zeroize::Zeroizing;

/// Nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// Tag length in bytes.
pub const TAG_LEN: usize = 16;

/// Encrypts `plaintext` under the 32-byte `key` and `nonce`, authenticating `aad`: ciphertext
/// then tag.
pub fn seal_raw(key: &[u8], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256GcmSiv::new_from_slice(key).expect("32-byte keys only");
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(*nonce), aad, out.as_mut_slice().into())
        .expect("messages of a few KiB are within AES-GCM-SIV's limits");
    out.extend_from_slice(&tag);
    out
}

/// Decrypts ciphertext-then-tag into `out` (the ciphertext's length); `false` if the key or
/// nonce has the wrong length or the tag does not verify (nothing else is revealed, and `out`
/// is zeroed).
pub fn open_raw_into(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8], out: &mut [u8]) -> bool {
    let Ok(cipher) = Aes256GcmSiv::new_from_slice(key) else {
        return false;
    };
    let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(nonce) else {
        return false;
    };
    let Some(body_len) = sealed.len().checked_sub(TAG_LEN) else {
        return false;
    };
    let Ok(tag) = Tag::try_from(&sealed[body_len..]) else {
        return false;
    };
    if out.len() != body_len {
        return false;
    }
    out.copy_from_slice(&sealed[..body_len]);
    let ok = cipher
        .decrypt_inout_detached(&Nonce::from(nonce), aad, out.into(), &tag)
        .is_ok();
    if !ok {
        out.fill(0);
    }
    ok
}

/// Like [`open_raw_into`], into a new buffer wiped on drop.
pub fn open_raw(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; sealed.len().checked_sub(TAG_LEN)?]);
    open_raw_into(key, nonce, aad, sealed, &mut out).then_some(out)
}

/// A fresh random nonce.
pub fn random_nonce() -> Result<[u8; NONCE_LEN], crate::CoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| crate::CoreError::Entropy)?;
    Ok(nonce)
}
