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
    if dim == 0 {
        return Err(CoreError::InvalidArgument(
            "vectors must have at least one value (dimension 0 given)".to_owned(),
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_rows_or_compares_all_with_one() {
        let a = [0.0, 0.0, 3.0, 4.0];
        let b = [0.0, 0.0];
        let one = MatrixRef::new(&b, 2).unwrap();
        let got = distances(
            Isa::best(),
            Metric::Euclidean,
            MatrixRef::new(&a, 2).unwrap(),
            one,
        );
        assert_eq!(got.unwrap(), [0.0, 5.0]);
    }

    #[test]
    fn vectors_without_values_are_refused() {
        let empty = MatrixRef::new(&[], 0).unwrap();
        let err = distances(Isa::best(), Metric::Euclidean, empty, empty).unwrap_err();
        assert!(err.to_string().contains("at least one value"), "{err}");
    }
}
