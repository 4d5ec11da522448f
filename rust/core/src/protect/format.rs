//! The shared header of every sealed object, and the associated-data encoding.
//!
//! `version (1) | kind (1) | key id (8) | nonce (12)`, then ciphertext and a 16-byte tag. The
//! whole header is part of the associated data, so no header byte can change undetected.

use super::aead::{NONCE_LEN, TAG_LEN};
use super::keys::KeyId;
use crate::CoreError;

/// The only format version so far.
pub const VERSION: u8 = 1;
/// Bytes before the ciphertext.
pub const HEADER_LEN: usize = 2 + 8 + NONCE_LEN;

/// What a sealed object holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A face template sealed under a data key.
    Template,
    /// A data key wrapped under a master key.
    DataKey,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Template => b'T',
            Kind::DataKey => b'K',
        }
    }

    /// How error messages name it.
    pub fn what(self) -> &'static str {
        match self {
            Kind::Template => "sealed template",
            Kind::DataKey => "wrapped data key",
        }
    }
}

/// A parsed header, borrowing the bytes it came from.
pub struct Parsed<'a> {
    pub header: &'a [u8],
    pub key_id: KeyId,
    pub nonce: [u8; NONCE_LEN],
    pub body: &'a [u8],
}

/// The header for a new object.
pub fn header(kind: Kind, key_id: &KeyId, nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(&[VERSION, kind.byte()]);
    out.extend_from_slice(key_id);
    out.extend_from_slice(nonce);
    out
}

/// Splits `bytes` into header fields and ciphertext-with-tag, checking version, kind and length.
pub fn parse(bytes: &[u8], kind: Kind) -> Result<Parsed<'_>, CoreError> {
    let what = kind.what();
    if let Some(&version) = bytes.first()
        && version != VERSION
    {
        return Err(CoreError::UnsupportedVersion { what, version });
    }
    if bytes.len() < HEADER_LEN + TAG_LEN || bytes[1] != kind.byte() {
        return Err(CoreError::Malformed { what });
    }
    let (header, body) = bytes.split_at(HEADER_LEN);
    Ok(Parsed {
        header,
        key_id: header[2..10].try_into().expect("8 bytes"),
        nonce: header[10..].try_into().expect("12 bytes"),
        body,
    })
}

/// Associated data: a domain string, the header, then each field prefixed by its u32 length, so
/// that no two different field lists encode the same bytes.
pub fn associated_data(domain: &[u8], header: &[u8], fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(domain.len() + header.len() + 64);
    for part in [domain, header].into_iter().chain(fields.iter().copied()) {
        out.extend_from_slice(&(part.len() as u32).to_le_bytes());
        out.extend_from_slice(part);
    }
    out
}
