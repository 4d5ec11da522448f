//! Batched 1:1 distances.

use crate::detach::detached;
use crate::errors::Result;
use crate::gallery::copy_matrix;
use facegate_core::matching::{self, Isa, MatrixRef, Metric};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

/// Row-wise distances between `a` and `b` (equal row counts, or `b` a single row).
#[pyfunction]
#[pyo3(signature = (a, b, metric = "euclidean"))]
pub fn distances<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f32>,
    b: PyReadonlyArray2<'py, f32>,
    metric: &str,
) -> Result<Bound<'py, PyArray1<f32>>> {
    let metric = Metric::parse(metric)?;
    let ((a, a_cols), (b, b_cols)) = (copy_matrix(&a), copy_matrix(&b));
    let out = detached(py, || {
        let a = MatrixRef::new(&a, a_cols)?;
        let b = MatrixRef::new(&b, b_cols)?;
        matching::distances(Isa::best(), metric, a, b)
    })?;
    Ok(out.into_pyarray(py))
}
