//! Safe loads of whole registers from fixed-size arrays, shared by every x86 kernel: the array
//! type proves the bytes exist, so callers need no `unsafe` of their own.

use std::arch::x86_64::*;

/// 16 floats into a 512-bit register.
#[inline]
#[target_feature(enable = "avx512f")]
pub fn load16(x: &[f32; 16]) -> __m512 {
    // SAFETY: an [f32; 16] is 64 readable bytes; loadu has no alignment requirement.
    unsafe { _mm512_loadu_ps(x.as_ptr()) }
}

/// Fewer than 16 floats into a 512-bit register, the other lanes zero.
#[inline]
#[target_feature(enable = "avx512f")]
pub fn load_tail16(x: &[f32]) -> __m512 {
    debug_assert!(x.len() < 16);
    let mask: __mmask16 = (1u16 << x.len()) - 1;
    // SAFETY: the mask enables exactly the first x.len() lanes, and only those are read.
    unsafe { _mm512_maskz_loadu_ps(mask, x.as_ptr()) }
}

/// 8 floats into a 256-bit register.
#[inline]
#[target_feature(enable = "avx")]
pub fn load8(x: &[f32; 8]) -> __m256 {
    // SAFETY: an [f32; 8] is 32 readable bytes; loadu has no alignment requirement.
    unsafe { _mm256_loadu_ps(x.as_ptr()) }
}

/// Asks for the cache lines of `block.len()` values starting `ahead` values past `block`'s
/// start, so that a scan's next rows arrive while it scores these: with the processors' own
/// prefetchers alone the scans waited on memory (the int8 scan at about half the bandwidth;
/// the exact AVX-512 scan of 1M rows took 22.2 ms on an Intel Xeon, 17.8-18.2 with this).
#[inline]
#[target_feature(enable = "sse")]
pub fn prefetch_past<T>(block: &[T], ahead: usize) {
    let start = block.as_ptr().wrapping_add(ahead).cast::<u8>();
    for line in (0..std::mem::size_of_val(block)).step_by(64) {
        // A prefetch is a hint that never faults, wherever it points.
        _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(line).cast());
    }
}
