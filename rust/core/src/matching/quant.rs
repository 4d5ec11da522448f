//! int8 codes for the compressed scan.
//!
//! One symmetric scale for the whole gallery (not one per dimension), because only a uniform
//! scale keeps squared distances between codes proportional to squared Euclidean distances, which
//! lets the scan use exact integer arithmetic. The scale follows the largest magnitude stored; a
//! batch that exceeds it re-encodes the gallery once. Codes only pick candidates: every returned
//! distance is recomputed exactly in f32.

use super::Isa;
use super::kernels::i8::{self as kernel, RowStats};
use super::rows::Rows;
use zeroize::Zeroizing;

/// Largest code magnitude; -128 is left unused so the code range is symmetric.
const QMAX: f32 = 127.0;

/// The int8 codes of every gallery row and the scale they were made with.
pub struct Codes {
    max_abs: f32,
    codes: Rows<i8>,
    /// Sum and sum of squares of each row's codes, for the dot-product kernel.
    stats: Vec<RowStats>,
}

impl Codes {
    /// No codes yet, for rows of `dim` values.
    pub fn new(dim: usize) -> Self {
        Self {
            max_abs: 0.0,
            codes: Rows::new(dim),
            stats: Vec::new(),
        }
    }

    /// The codes, row-major.
    pub fn as_slice(&self) -> &[i8] {
        self.codes.as_slice()
    }

    /// Bytes held.
    pub fn capacity_bytes(&self) -> usize {
        self.codes.capacity_bytes() + self.stats.capacity() * std::mem::size_of::<RowStats>()
    }

    /// Squared distances from the coded query `q` to rows `first..first + out.len()`.
    pub fn l2sq_block(&self, isa: Isa, q: &[i8], first: usize, out: &mut [i32]) {
        let dim = q.len();
        let rows = &self.codes.as_slice()[first * dim..(first + out.len()) * dim];
        let stats = &self.stats[first..first + out.len()];
        kernel::l2sq_rows_stats(isa, q, kernel::row_stats(q)[1], rows, stats, out);
    }

    /// Encodes `values` with the current scale, clamping what lies outside it.
    pub fn encode(&self, values: &[f32]) -> Zeroizing<Vec<i8>> {
        let step = if self.max_abs > 0.0 {
            QMAX / self.max_abs
        } else {
            0.0
        };
        Zeroizing::new(
            values
                .iter()
                .map(|&x| (x * step).round().clamp(-QMAX, QMAX) as i8)
                .collect(),
        )
    }

    /// Appends codes for `new`; `all` is every stored row after the append (the f32 originals),
    /// used to re-encode when `new` widens the range.
    pub fn extend(&mut self, new: &[f32], all: &[f32]) {
        let widest = new.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let dim = self.codes.dim();
        if widest > self.max_abs {
            self.max_abs = widest;
            self.codes.clear();
            self.stats.clear();
            self.codes.extend(&self.encode(all));
        } else {
            self.codes.extend(&self.encode(new));
        }
        let done = self.stats.len();
        let fresh = &self.codes.as_slice()[done * dim..];
        self.stats
            .extend(fresh.chunks_exact(dim).map(kernel::row_stats));
    }

    /// See [`Rows::swap_remove`]; mirrors the f32 rows.
    pub fn swap_remove(&mut self, i: usize) {
        self.codes.swap_remove(i);
        self.stats.swap_remove(i);
    }

    /// Wipes every code and forgets the scale.
    pub fn clear(&mut self) {
        self.codes.clear();
        self.stats.clear();
        self.max_abs = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_batch_re_encodes_earlier_rows() {
        let mut codes = Codes::new(2);
        let first = [0.1f32, -0.1];
        codes.extend(&first, &first);
        assert_eq!(codes.as_slice(), &[127, -127]);
        let all = [0.1f32, -0.1, 0.2, 0.0];
        codes.extend(&all[2..], &all);
        assert_eq!(codes.as_slice(), &[64, -64, 127, 0]);
    }

    #[test]
    fn queries_outside_the_range_are_clamped() {
        let mut codes = Codes::new(1);
        codes.extend(&[0.5], &[0.5]);
        assert_eq!(codes.encode(&[2.0, -2.0]).as_slice(), &[127, -127]);
    }
}
