//! Renewable, unlinkable templates (R18, after ISO/IEC 24745).
//!
//! Each deployment transforms templates with its own secret orthogonal matrix before sealing.
//! Orthogonal maps preserve Euclidean distances (and cosines) exactly, so matching within the
//! deployment is unchanged, while the same face enrolled in two deployments yields templates at
//! the distance of two unrelated faces. A new epoch gives a new matrix: re-keying a deployment
//! opens each template, undoes the old rotation, applies the new one and reseals it.
//!
//! The matrix is derived, not stored: HKDF-SHA256 over the master key, the deployment id, the
//! epoch and the dimension seeds ChaCha20 (`rand_chacha`), whose output becomes Gaussian values
//! (Box–Muller); Householder QR with the sign convention of Mezzadri (2007) turns that into a
//! Haar-distributed orthogonal matrix. The QR is numerical code, not a cryptographic primitive.

use super::keys::MasterKey;
use crate::CoreError;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::Zeroizing;

const ROTATION_SALT: &[u8] = b"facegate rotation v1";

/// A secret orthogonal `dim × dim` matrix, wiped on drop.
pub struct Rotation {
    dim: usize,
    matrix: Zeroizing<Vec<f32>>,
}

impl std::fmt::Debug for Rotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rotation(dim={})", self.dim)
    }
}

impl Rotation {
    /// The rotation of `deployment` at `epoch` for `dim`-wide templates.
    pub fn derive(
        master: &MasterKey,
        deployment: &[u8],
        epoch: u32,
        dim: usize,
    ) -> Result<Self, CoreError> {
        if dim == 0 || dim > 4096 {
            return Err(CoreError::InvalidArgument(format!(
                "a rotation needs a dimension between 1 and 4096, got {dim}"
            )));
        }
        let mut info = Vec::with_capacity(deployment.len() + 12);
        info.extend_from_slice(&(deployment.len() as u32).to_le_bytes());
        info.extend_from_slice(deployment);
        info.extend_from_slice(&epoch.to_le_bytes());
        info.extend_from_slice(&(dim as u32).to_le_bytes());
        let mut seed = Zeroizing::new([0u8; 32]);
        master.derive(ROTATION_SALT, &info, seed.as_mut());
        let mut rng = ChaCha20Rng::from_seed(*seed);
        let gaussian = Zeroizing::new(
            (0..dim * dim)
                .map(|_| normal(&mut rng))
                .collect::<Vec<f64>>(),
        );
        let q = orthogonalize(&gaussian, dim);
        Ok(Self {
            dim,
            matrix: Zeroizing::new(q.iter().map(|&x| x as f32).collect()),
        })
    }

    /// Template width.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// `Q v` for each `dim`-wide row of `rows`.
    pub fn apply(&self, rows: &[f32]) -> Result<Zeroizing<Vec<f32>>, CoreError> {
        self.multiply(rows, false)
    }

    /// `Qᵀ v`, the inverse, for each row.
    pub fn apply_inverse(&self, rows: &[f32]) -> Result<Zeroizing<Vec<f32>>, CoreError> {
        self.multiply(rows, true)
    }

    fn multiply(&self, rows: &[f32], transpose: bool) -> Result<Zeroizing<Vec<f32>>, CoreError> {
        let dim = self.dim;
        if !rows.len().is_multiple_of(dim) {
            return Err(CoreError::InvalidArgument(format!(
                "{} values do not form rows of the rotation's dimension {dim}",
                rows.len()
            )));
        }
        let mut out = Zeroizing::new(vec![0.0f32; rows.len()]);
        for (v, o) in rows.chunks_exact(dim).zip(out.chunks_exact_mut(dim)) {
            for (i, slot) in o.iter_mut().enumerate() {
                let mut acc = 0.0f64;
                for (j, &x) in v.iter().enumerate() {
                    let q = if transpose {
                        self.matrix[j * dim + i]
                    } else {
                        self.matrix[i * dim + j]
                    };
                    acc += f64::from(q) * f64::from(x);
                }
                *slot = acc as f32;
            }
        }
        Ok(out)
    }
}

/// Re-keys one sealed template from rotation `old` to rotation `new` (same dimension): opens
/// it, turns it back with `old`, forward with `new`, and seals it again with a fresh nonce. The
/// plaintext exists only in wiped buffers inside this call.
pub fn renew(
    sealed: &[u8],
    key: &super::DataKey,
    ctx: &super::SealContext<'_>,
    old: &Rotation,
    new: &Rotation,
) -> Result<Vec<u8>, CoreError> {
    if old.dim != new.dim {
        return Err(CoreError::DimensionMismatch {
            expected: old.dim,
            got: new.dim,
        });
    }
    let plain = super::open(sealed, key, ctx)?;
    let renewed = new.apply(&old.apply_inverse(&plain)?)?;
    super::seal(&renewed, key, ctx)
}

/// A standard normal value from two uniform ones (Box–Muller).
fn normal(rng: &mut ChaCha20Rng) -> f64 {
    let unit = |x: u64| ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let (u, v) = (unit(rng.next_u64()), unit(rng.next_u64()));
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The Q of a Householder QR of `a` (row-major n × n), with columns signed so that R has a
/// positive diagonal, which makes Q Haar-distributed when `a` is Gaussian.
fn orthogonalize(a: &[f64], n: usize) -> Zeroizing<Vec<f64>> {
    let mut r = Zeroizing::new(a.to_vec());
    let mut q = Zeroizing::new(vec![0.0f64; n * n]);
    (0..n).for_each(|i| q[i * n + i] = 1.0);
    let mut signs = vec![1.0f64; n];
    let mut v = Zeroizing::new(vec![0.0f64; n]);
    for k in 0..n {
        let norm = (k..n).map(|i| r[i * n + k].powi(2)).sum::<f64>().sqrt();
        let x0 = r[k * n + k];
        let alpha = if x0 >= 0.0 { -norm } else { norm };
        signs[k] = if alpha < 0.0 { -1.0 } else { 1.0 };
        (k..n).for_each(|i| v[i] = r[i * n + k]);
        v[k] -= alpha;
        let vnorm2 = (k..n).map(|i| v[i] * v[i]).sum::<f64>();
        if vnorm2 == 0.0 {
            continue;
        }
        // R ← H R and Q ← Q H with H = I − 2 v vᵀ / ‖v‖².
        for j in 0..n {
            let dot = (k..n).map(|i| v[i] * r[i * n + j]).sum::<f64>() * 2.0 / vnorm2;
            (k..n).for_each(|i| r[i * n + j] -= dot * v[i]);
        }
        for i in 0..n {
            let dot = (k..n).map(|j| q[i * n + j] * v[j]).sum::<f64>() * 2.0 / vnorm2;
            (k..n).for_each(|j| q[i * n + j] -= dot * v[j]);
        }
    }
    for i in 0..n {
        (0..n).for_each(|j| q[i * n + j] *= signs[j]);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::testutil::{l2sq_f64, uniform};

    #[test]
    fn is_orthogonal_and_deterministic() {
        let master = MasterKey::from_bytes(&[3; 32]).unwrap();
        let r = Rotation::derive(&master, b"lobby", 0, 64).unwrap();
        let again = Rotation::derive(&master, b"lobby", 0, 64).unwrap();
        assert_eq!(r.matrix.as_slice(), again.matrix.as_slice());
        for i in 0..64 {
            for j in 0..64 {
                let dot: f64 = (0..64)
                    .map(|k| f64::from(r.matrix[i * 64 + k]) * f64::from(r.matrix[j * 64 + k]))
                    .sum();
                assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-6, "{i},{j}");
            }
        }
    }

    #[test]
    fn preserves_distances_and_inverts() {
        let master = MasterKey::from_bytes(&[4; 32]).unwrap();
        let r = Rotation::derive(&master, b"gate", 1, 128).unwrap();
        let rows = uniform(128 * 10, 8);
        let turned = r.apply(&rows).unwrap();
        for i in 0..10 {
            for j in 0..10 {
                let before = l2sq_f64(&rows[i * 128..][..128], &rows[j * 128..][..128]).sqrt();
                let after = l2sq_f64(&turned[i * 128..][..128], &turned[j * 128..][..128]).sqrt();
                assert!((before - after).abs() < 1e-5);
            }
        }
        let back = r.apply_inverse(&turned).unwrap();
        assert!(
            rows.iter()
                .zip(back.iter())
                .all(|(a, b)| (a - b).abs() < 1e-5)
        );
    }

    #[test]
    fn renew_moves_a_sealed_template_to_the_new_epoch() {
        let master = MasterKey::from_bytes(&[9; 32]).unwrap();
        let (old, new) = (
            Rotation::derive(&master, b"d", 0, 16).unwrap(),
            Rotation::derive(&master, b"d", 1, 16).unwrap(),
        );
        let key = crate::protect::DataKey::generate().unwrap();
        let ctx = crate::protect::SealContext {
            deployment: b"d",
            subject: b"s",
            template: 1,
        };
        let face = uniform(16, 3);
        let sealed = crate::protect::seal(&old.apply(&face).unwrap(), &key, &ctx).unwrap();
        let renewed = renew(&sealed, &key, &ctx, &old, &new).unwrap();
        let opened = crate::protect::open(&renewed, &key, &ctx).unwrap();
        let want = new.apply(&face).unwrap();
        assert!(
            opened
                .iter()
                .zip(want.iter())
                .all(|(a, b)| (a - b).abs() < 1e-5)
        );
    }

    #[test]
    fn other_deployments_and_epochs_give_other_rotations() {
        let master = MasterKey::from_bytes(&[5; 32]).unwrap();
        let a = Rotation::derive(&master, b"a", 0, 32).unwrap();
        for other in [
            Rotation::derive(&master, b"b", 0, 32).unwrap(),
            Rotation::derive(&master, b"a", 1, 32).unwrap(),
            Rotation::derive(&MasterKey::from_bytes(&[6; 32]).unwrap(), b"a", 0, 32).unwrap(),
        ] {
            assert_ne!(a.matrix.as_slice(), other.matrix.as_slice());
        }
    }
}
