//! Batched 1:1 distances.

use crate::errors::{InvalidArgument, to_py};
use crate::gallery::{copy_matrix, parse_metric};
use facegate_core::matching::{self, Isa, MatrixRef};
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
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let metric = parse_metric(metric)?;
    let ((a, a_cols), (b, b_cols)) = (copy_matrix(&a), copy_matrix(&b));
    if a_cols != b_cols {
        return Err(InvalidArgument::new_err(format!(
            "cannot compare vectors of dimension {a_cols} with vectors of dimension {b_cols}"
        )));
    }
    let out = py.detach(|| {
        let a = MatrixRef::new(&a, a_cols)?;
        let b = MatrixRef::new(&b, b_cols)?;
        matching::distances(Isa::best(), metric, a, b)
    });
    Ok(out.map_err(to_py)?.into_pyarray(py))
}
