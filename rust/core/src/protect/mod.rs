//! Template protection (R13, R15–R18, R22).
//!
//! - [`MasterKey`] wraps per-subject [`DataKey`]s; destroying a subject's wrapped data key makes
//!   every template sealed under it unrecoverable (crypto-shredding).
//! - [`seal`] / [`open`] protect one template with AES-256-GCM-SIV, binding deployment,
//!   subject, template id and format version as associated data.
//! - [`Rotation`] is the per-deployment secret orthogonal transform that makes templates of the
//!   same face unlinkable across deployments while preserving distances within one.
//! - [`open_into_gallery`] decrypts a batch in parallel straight into a gallery.
//!
//! Byte formats are documented in `docs/FORMAT.md`. Every secret lives in memory that is wiped
//! on drop, and no `Debug` output or error message contains secret or template bytes.

use crate::CoreError;

mod aead;
mod format;
#[doc(hidden)]
pub mod fuzzing;
mod kdf;
mod keyfile;
mod keys;
mod load;
mod mac;
mod rotation;
mod seal;

pub use keyfile::{create_key_file, key_from_env, read_key_file, write_key_file};
pub use keys::{DataKey, KEY_LEN, KeyId, MasterKey, WRAPPED_KEY_LEN, hex_id};
pub use load::{SealedItem, WrappedItem, open_into_gallery, open_wrapped_into_gallery};
pub use mac::{TAG_LEN, hmac_sha256};
pub use rotation::{Rotation, renew};
pub use seal::{SealContext, open, seal, sealed_len};

/// The primitives under the formats, public so the Wycheproof vectors run through them.
#[doc(hidden)]
pub use aead::{open_raw, seal_raw};
#[doc(hidden)]
pub use kdf::hkdf_sha256;

/// Parses the envelope of sealed-template bytes and encodes it again from the parsed fields: a
/// fuzzing oracle (parse then encode must give back the same header bytes).
#[doc(hidden)]
pub fn reencode_template_header(bytes: &[u8]) -> Result<(Vec<u8>, usize), CoreError> {
    let parsed = format::parse(bytes, format::Kind::Template)?;
    let again = format::header(format::Kind::Template, &parsed.key_id, &parsed.nonce);
    if again.as_slice() != parsed.header {
        return Err(CoreError::Malformed {
            what: format::Kind::Template.what(),
        });
    }
    Ok((again, parsed.body.len()))
}
