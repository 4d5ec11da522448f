//! Sealing one face template.
//!
//! The associated data binds the deployment, the subject, the template id and the dimension, so
//! a sealed template copied to another row, subject or deployment fails to open instead of
//! matching as someone else.

use super::aead::{TAG_LEN, open_raw, random_nonce, seal_raw};
use super::format::{self, HEADER_LEN, Kind};
use super::keys::DataKey;
use crate::CoreError;
use crate::error::MAX_ABS_VALUE;
use zeroize::Zeroizing;

const SEAL_DOMAIN: &[u8] = b"facegate template v1";

/// Where a template belongs; every field is authenticated with it.
#[derive(Clone, Copy, Debug)]
pub struct SealContext<'a> {
    /// The deployment's id.
    pub deployment: &'a [u8],
    /// The subject's opaque id.
    pub subject: &'a [u8],
    /// The template's id (its gallery id).
    pub template: u64,
}

impl SealContext<'_> {
    fn associated_data(&self, header: &[u8], dim: usize) -> Vec<u8> {
        let template = self.template.to_le_bytes();
        let dim = (dim as u32).to_le_bytes();
        format::associated_data(
            SEAL_DOMAIN,
            header,
            &[self.deployment, self.subject, &template, &dim],
        )
    }
}

/// Bytes of a sealed template of `dim` values.
pub fn sealed_len(dim: usize) -> usize {
    HEADER_LEN + 4 * dim + TAG_LEN
}

/// Seals `template` (finite values) under `key` for `ctx`, with a fresh random nonce.
pub fn seal(template: &[f32], key: &DataKey, ctx: &SealContext<'_>) -> Result<Vec<u8>, CoreError> {
    if template.is_empty()
        || template
            .iter()
            .any(|x| x.is_nan() || x.abs() > MAX_ABS_VALUE)
    {
        return Err(CoreError::OutOfRange { row: 0 });
    }
    let nonce = random_nonce()?;
    let mut out = format::header(Kind::Template, &key.id(), &nonce);
    let aad = ctx.associated_data(&out, template.len());
    let plain: Zeroizing<Vec<u8>> =
        Zeroizing::new(template.iter().flat_map(|x| x.to_le_bytes()).collect());
    out.extend(seal_raw(key.secret_bytes(), &nonce, &aad, &plain));
    Ok(out)
}

/// Opens a sealed template; the values live in memory wiped on drop.
pub fn open(
    sealed: &[u8],
    key: &DataKey,
    ctx: &SealContext<'_>,
) -> Result<Zeroizing<Vec<f32>>, CoreError> {
    let mut out = Zeroizing::new(vec![
        0.0f32;
        (sealed.len().saturating_sub(HEADER_LEN + TAG_LEN)) / 4
    ]);
    open_into(sealed, key, ctx, &mut out)?;
    Ok(out)
}

/// Opens a sealed template into `out`, which must have exactly its dimension.
pub(super) fn open_into(
    sealed: &[u8],
    key: &DataKey,
    ctx: &SealContext<'_>,
    out: &mut [f32],
) -> Result<(), CoreError> {
    let what = Kind::Template.what();
    let parsed = format::parse(sealed, Kind::Template)?;
    if parsed.body.len() != 4 * out.len() + TAG_LEN {
        return Err(CoreError::Malformed { what });
    }
    let aad = ctx.associated_data(parsed.header, out.len());
    // The tag is checked first; only a failure pays for the key id that tells a wrong key from
    // tampered bytes.
    let Some(plain) = open_raw(key.secret_bytes(), &parsed.nonce, &aad, parsed.body) else {
        return Err(if parsed.key_id != key.id() {
            CoreError::WrongKey { what }
        } else {
            CoreError::Tampered { what }
        });
    };
    for (value, bytes) in out.iter_mut().zip(plain.as_chunks::<4>().0) {
        *value = f32::from_le_bytes(*bytes);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: SealContext<'static> = SealContext {
        deployment: b"lobby",
        subject: b"s1",
        template: 9,
    };

    #[test]
    fn round_trip_and_fresh_nonces() {
        let key = DataKey::generate().unwrap();
        let template: Vec<f32> = (0..128).map(|i| i as f32 / 300.0 - 0.2).collect();
        let a = seal(&template, &key, &CTX).unwrap();
        let b = seal(&template, &key, &CTX).unwrap();
        assert_eq!(a.len(), sealed_len(128));
        assert_ne!(a, b);
        assert_eq!(
            open(&a, &key, &CTX).unwrap().as_slice(),
            template.as_slice()
        );
    }

    #[test]
    fn every_bit_flip_and_every_other_context_is_refused() {
        let key = DataKey::generate().unwrap();
        let sealed = seal(&[0.25; 16], &key, &CTX).unwrap();
        for bit in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(open(&bad, &key, &CTX).is_err(), "bit {bit}");
        }
        for ctx in [
            SealContext {
                deployment: b"lobby2",
                ..CTX
            },
            SealContext {
                subject: b"s2",
                ..CTX
            },
            SealContext {
                template: 10,
                ..CTX
            },
        ] {
            assert!(matches!(
                open(&sealed, &key, &ctx),
                Err(CoreError::Tampered { .. })
            ));
        }
        let other = DataKey::generate().unwrap();
        assert!(matches!(
            open(&sealed, &other, &CTX),
            Err(CoreError::WrongKey { .. })
        ));
        assert!(matches!(
            open(&sealed[..sealed.len() - 1], &key, &CTX),
            Err(CoreError::Malformed { .. })
        ));
        let mut future = sealed.clone();
        future[0] = 2;
        assert!(matches!(
            open(&future, &key, &CTX),
            Err(CoreError::UnsupportedVersion { version: 2, .. })
        ));
    }

    #[test]
    fn non_finite_templates_are_not_sealed() {
        let key = DataKey::generate().unwrap();
        assert!(seal(&[f32::NAN; 4], &key, &CTX).is_err());
        assert!(seal(&[], &key, &CTX).is_err());
    }
}
