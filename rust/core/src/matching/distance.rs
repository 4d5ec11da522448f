//! 1:1 distances between templates, the verification primitive.

use super::gallery::Metric;
use super::{Isa, MatrixRef, kernels};
use crate::error::CoreError;
use rayon::prelude::*;
use std::ops::Deref;

/// Row-wise distances: `a[i]` to `b[i]`, or every row of `a` to the single row of `b`.
/// Both must be finite and of the same width; the metric is as for [`Gallery`](super::Gallery).
pub fn distances(
    isa: Isa,
    metric: Metric,
    a: MatrixRef<'_>,
    b: MatrixRef<'_>,
) -> Result<Vec<f32>, CoreError> {
    let dim = a.cols();
    a.check(dim)?;
    b.check(dim)?;
    if b.rows() != a.rows() && b.rows() != 1 {
        return Err(CoreError::InvalidArgument(format!(
            "cannot pair {} rows with {} rows (give equal counts, or one row to compare with all)",
            a.rows(),
            b.rows()
        )));
    }
    let (na, nb);
    let (a, b): (&[f32], &[f32]) = match metric {
        Metric::Euclidean => (a.as_slice(), b.as_slice()),
        Metric::Cosine => {
            (na, nb) = (a.normalized()?, b.normalized()?);
            (na.deref(), nb.deref())
        }
    };
    if dim == 0 {
        return Ok(vec![0.0; a.len()]);
    }
    let step = if b.len() == dim { 0 } else { dim };
    Ok(a.par_chunks_exact(dim)
        .enumerate()
        .map(|(i, row)| {
            let sq = kernels::f32::l2sq(isa, row, &b[i * step..][..dim]);
            match metric {
                Metric::Euclidean => sq.sqrt(),
                Metric::Cosine => sq / 2.0,
            }
        })
        .collect())
}
