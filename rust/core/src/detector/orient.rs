//! Which of dlib's 18 orientations each gradient is nearest, as a table of every gradient the
//! features can meet (each component a difference of two bytes), made once from dlib's rule
//! and looked up per pixel.

#[cfg(target_arch = "x86_64")]
use crate::matching::Isa;

/// dlib's nine unit directions, rounded to four decimals as dlib writes them.
const DIRECTIONS: [(f32, f32); 9] = [
    (1.0000, 0.0000),
    (0.9397, 0.3420),
    (0.7660, 0.6428),
    (0.500, 0.8660),
    (0.1736, 0.9848),
    (-0.1736, 0.9848),
    (-0.5000, 0.8660),
    (-0.7660, 0.6428),
    (-0.9397, 0.3420),
];

/// Which of the 18 signed orientations the gradient is nearest (0 for none): dlib's loop, each
/// direction tried both ways and a strictly larger dot product replacing the best (so the
/// earliest of equals wins). It only fills the table, so it is written as dlib writes it.
fn orientation(gx: f32, gy: f32) -> u32 {
    let (mut best_dot, mut best) = (0.0f32, 0u32);
    for (o, &(dx, dy)) in DIRECTIONS.iter().enumerate() {
        let dot = dx * gx + dy * gy;
        if dot > best_dot {
            (best_dot, best) = (dot, o as u32);
        }
        if -dot > best_dot {
            (best_dot, best) = (-dot, o as u32 + 9);
        }
    }
    best
}

/// A gradient's place in [`bins`]: each component is a difference of two bytes.
#[inline(always)]
pub fn key(gx: f32, gy: f32) -> f32 {
    (gy + 255.0) * 511.0 + (gx + 255.0)
}

/// How many keys there are: one per gradient of two byte differences.
const KEYS: usize = 511 * 511;

/// Every byte gradient's orientation ([`orientation`]), looked up rather than worked out per
/// pixel: the nine directions' dot products and comparisons were most of a pixel's work.
pub fn bins() -> &'static [u8] {
    static BINS: std::sync::OnceLock<Box<[u8]>> = std::sync::OnceLock::new();
    BINS.get_or_init(|| {
        // Three bytes past the last key: a vector gather reads four bytes from each.
        let mut bins = vec![0u8; KEYS + 3];
        for gy in -255..=255 {
            for gx in -255..=255 {
                let (x, y) = (gx as f32, gy as f32);
                bins[key(x, y) as usize] = orientation(x, y) as u8;
            }
        }
        bins.into()
    })
}

/// `at[i] = bins[keys[i]] · stride + cols[i]`: each pixel's place in its row's sums, sixteen
/// or eight lookups an instruction where the CPU has gathers.
pub fn places(bins: &[u8], keys: &[u32], cols: &[u32], stride: u32, at: &mut [u32]) {
    let n = at.len();
    let (keys, cols) = (&keys[..n], &cols[..n]);
    assert!(bins.len() >= KEYS + 3);
    #[cfg(target_arch = "x86_64")]
    match Isa::best() {
        // SAFETY: the CPU has AVX-512 F (checked by `Isa::best`); the table is padded.
        Isa::Avx512 => return unsafe { gather::avx512(bins, keys, cols, stride, at) },
        // SAFETY: the CPU has AVX2 (checked by `Isa::best`); the table is padded.
        Isa::Avx2 => return unsafe { gather::avx2(bins, keys, cols, stride, at) },
        Isa::Portable => {}
    }
    for ((a, &k), &c) in at.iter_mut().zip(keys).zip(cols) {
        *a = place(bins[(k as usize).min(KEYS - 1)], stride, c);
    }
}

/// A bin's place in a row of sums of `stride` columns a bin.
#[inline(always)]
fn place(bin: u8, stride: u32, col: u32) -> u32 {
    u32::from(bin).wrapping_mul(stride).wrapping_add(col)
}

/// [`places`] with gathers: each reads four bytes at a key and keeps the first.
#[cfg(target_arch = "x86_64")]
mod gather {
    use super::KEYS;
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU has AVX-512 F; `bins` holds KEYS + 3 bytes; the slices have one length.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(bins: &[u8], keys: &[u32], cols: &[u32], stride: u32, at: &mut [u32]) {
        let (last, byte) = (_mm512_set1_epi32(KEYS as i32 - 1), _mm512_set1_epi32(0xff));
        let stride = _mm512_set1_epi32(stride as i32);
        let n = at.len();
        for i in (0..n).step_by(16) {
            let m = ((1u32 << (n - i).min(16)) - 1) as __mmask16;
            // SAFETY: the lanes in `m` are below n; each key is clamped to the table, whose
            // last four bytes from KEYS - 1 exist.
            unsafe {
                let k = _mm512_maskz_loadu_epi32(m, keys.as_ptr().add(i).cast());
                let k = _mm512_min_epu32(k, last);
                let b = _mm512_mask_i32gather_epi32::<1>(k, m, k, bins.as_ptr().cast());
                let c = _mm512_maskz_loadu_epi32(m, cols.as_ptr().add(i).cast());
                let bin = _mm512_and_si512(b, byte);
                let sum = _mm512_add_epi32(_mm512_mullo_epi32(bin, stride), c);
                _mm512_mask_storeu_epi32(at.as_mut_ptr().add(i).cast(), m, sum);
            }
        }
    }

    /// # Safety
    /// The CPU has AVX2; `bins` holds KEYS + 3 bytes; the slices have one length.
    #[target_feature(enable = "avx2")]
    pub unsafe fn avx2(bins: &[u8], keys: &[u32], cols: &[u32], stride: u32, at: &mut [u32]) {
        let (last, byte) = (_mm256_set1_epi32(KEYS as i32 - 1), _mm256_set1_epi32(0xff));
        let stride_v = _mm256_set1_epi32(stride as i32);
        let n = at.len();
        let whole = n / 8 * 8;
        for i in (0..whole).step_by(8) {
            // SAFETY: i + 8 <= n; each key is clamped to the table, whose last four bytes
            // from KEYS - 1 exist.
            unsafe {
                let k = _mm256_loadu_si256(keys.as_ptr().add(i).cast());
                let k = _mm256_min_epu32(k, last);
                let b = _mm256_i32gather_epi32::<1>(bins.as_ptr().cast(), k);
                let c = _mm256_loadu_si256(cols.as_ptr().add(i).cast());
                let bin = _mm256_and_si256(b, byte);
                let sum = _mm256_add_epi32(_mm256_mullo_epi32(bin, stride_v), c);
                _mm256_storeu_si256(at.as_mut_ptr().add(i).cast(), sum);
            }
        }
        for i in whole..n {
            at[i] = super::place(bins[(keys[i] as usize).min(KEYS - 1)], stride, cols[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_dlibs_orientation_for_every_gradient_of_bytes() {
        let bins = bins();
        for gy in -255..=255 {
            for gx in -255..=255 {
                let (x, y) = (gx as f32, gy as f32);
                let want = orientation(x, y);
                assert_eq!(u32::from(bins[key(x, y) as usize]), want, "({gx}, {gy})");
                let mut at = [0];
                places(bins, &[key(x, y) as u32], &[2], 100, &mut at);
                assert_eq!(at[0], want * 100 + 2, "({gx}, {gy}) through the gather");
            }
        }
        // A vertical gradient lies between directions 4 and 5: the earlier wins.
        assert_eq!((orientation(0.0, 7.0), orientation(0.0, -7.0)), (4, 13));
    }
}
