//! A borrowed row-major matrix, checked once at the boundary.

use crate::error::{CoreError, MAX_ABS_VALUE};
use rayon::prelude::*;
use zeroize::Zeroizing;

/// `rows × cols` f32 values, row-major, borrowed from the caller.
#[derive(Clone, Copy, Debug)]
pub struct MatrixRef<'a> {
    data: &'a [f32],
    cols: usize,
}

impl<'a> MatrixRef<'a> {
    /// Views `data` as rows of `cols` values; refuses a length that is not a whole number of rows.
    pub fn new(data: &'a [f32], cols: usize) -> Result<Self, CoreError> {
        if cols == 0 && !data.is_empty() || cols != 0 && !data.len().is_multiple_of(cols) {
            return Err(CoreError::InvalidArgument(format!(
                "{} values do not form rows of {cols}",
                data.len()
            )));
        }
        Ok(Self { data, cols })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.data.len().checked_div(self.cols).unwrap_or(0)
    }

    /// Values per row.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &'a [f32] {
        self.data
    }

    /// Refuses a width other than `dim` and any row with NaN, infinities or huge values.
    pub fn check(&self, dim: usize) -> Result<(), CoreError> {
        if self.cols != dim {
            return Err(CoreError::DimensionMismatch {
                expected: dim,
                got: self.cols,
            });
        }
        let bad = |row: &[f32]| row.iter().any(|x| x.is_nan() || x.abs() > MAX_ABS_VALUE);
        match self.data.par_chunks(dim.max(1)).position_first(bad) {
            Some(row) => Err(CoreError::OutOfRange { row }),
            None => Ok(()),
        }
    }

    /// A copy with every row scaled to unit length (for the cosine metric), in a buffer that is
    /// wiped when dropped. Refuses zero rows.
    pub fn normalized(&self) -> Result<Zeroizing<Vec<f32>>, CoreError> {
        let mut out = Zeroizing::new(self.data.to_vec());
        for (row, values) in out.chunks_exact_mut(self.cols.max(1)).enumerate() {
            let norm = values
                .iter()
                .map(|&x| f64::from(x).powi(2))
                .sum::<f64>()
                .sqrt();
            if norm == 0.0 {
                return Err(CoreError::ZeroNorm { row });
            }
            values
                .iter_mut()
                .for_each(|x| *x = (f64::from(*x) / norm) as f32);
        }
        Ok(out)
    }
}
