//! HKDF-SHA256 (RFC 5869) from RustCrypto, behind one function that the Wycheproof vectors test.

use crate::CoreError;
use hkdf::Hkdf;
use sha2::Sha256;

/// Fills `out` with HKDF-SHA256(salt, ikm, info); refuses more than 255 × 32 bytes.
pub fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), CoreError> {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .map_err(|_| {
            CoreError::InvalidArgument(format!(
                "HKDF-SHA256 yields at most 8160 bytes, {} were asked for",
                out.len()
            ))
        })
}
