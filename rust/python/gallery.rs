//! `facegate._core.Gallery`.

use crate::errors::{InvalidArgument, poisoned, to_py};
use facegate_core::matching::{Gallery, Isa, MatrixRef, Metric, SearchParams};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use zeroize::Zeroizing;

/// The gallery shared by every Python thread that holds it.
///
/// `frozen` with an inner `RwLock` because Python threads (and free-threaded Python) may call
/// concurrently: searches share the read lock, changes take the write lock. Every heavy call
/// copies its inputs into Rust memory and releases the GIL, since a borrowed numpy array could be
/// changed by another thread while we read it.
#[pyclass(frozen, name = "Gallery", module = "facegate._core")]
pub struct PyGallery {
    inner: RwLock<Gallery>,
}

/// Copies a float32 matrix into a buffer wiped on drop; returns it with its column count.
pub fn copy_matrix(a: &PyReadonlyArray2<'_, f32>) -> (Zeroizing<Vec<f32>>, usize) {
    let cols = a.as_array().ncols();
    let values = match a.as_slice() {
        Ok(contiguous) => contiguous.to_vec(),
        Err(_) => a.as_array().iter().copied().collect(),
    };
    (Zeroizing::new(values), cols)
}

pub fn parse_metric(name: &str) -> PyResult<Metric> {
    Metric::from_name(name).ok_or_else(|| {
        InvalidArgument::new_err(format!(
            "metric must be 'euclidean' or 'cosine', got {name:?}"
        ))
    })
}

impl PyGallery {
    pub(crate) fn read(&self) -> PyResult<RwLockReadGuard<'_, Gallery>> {
        self.inner.read().map_err(|_| poisoned())
    }

    pub(crate) fn write(&self) -> PyResult<RwLockWriteGuard<'_, Gallery>> {
        self.inner.write().map_err(|_| poisoned())
    }
}

#[pymethods]
impl PyGallery {
    #[new]
    #[pyo3(signature = (dim = 128, *, metric = "euclidean", quantized = false, simd = None))]
    fn new(dim: usize, metric: &str, quantized: bool, simd: Option<&str>) -> PyResult<Self> {
        let mut gallery = Gallery::new(dim, parse_metric(metric)?, quantized).map_err(to_py)?;
        if let Some(name) = simd {
            let isa = Isa::from_name(name).ok_or_else(|| {
                InvalidArgument::new_err(format!(
                    "simd must be one of 'portable', 'avx2', 'avx512', got {name:?}"
                ))
            })?;
            gallery = gallery.with_isa(isa).map_err(to_py)?;
        }
        Ok(Self {
            inner: RwLock::new(gallery),
        })
    }

    fn add(
        &self,
        py: Python<'_>,
        ids: PyReadonlyArray1<'_, u64>,
        vectors: PyReadonlyArray2<'_, f32>,
    ) -> PyResult<()> {
        let ids = ids.as_array().to_vec();
        let (values, cols) = copy_matrix(&vectors);
        py.detach(|| {
            let mut gallery = self.write()?;
            gallery
                .add(&ids, MatrixRef::new(&values, cols).map_err(to_py)?)
                .map_err(to_py)
        })
    }

    fn remove(&self, py: Python<'_>, ids: PyReadonlyArray1<'_, u64>) -> PyResult<()> {
        let ids = ids.as_array().to_vec();
        py.detach(|| self.write()?.remove(&ids).map_err(to_py))
    }

    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| {
            self.write()?.clear();
            Ok(())
        })
    }

    #[pyo3(signature = (queries, k = 1, max_distance = None, rerank = None, exact = false))]
    #[allow(clippy::type_complexity)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        queries: PyReadonlyArray2<'py, f32>,
        k: usize,
        max_distance: Option<f32>,
        rerank: Option<usize>,
        exact: bool,
    ) -> PyResult<(Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f32>>)> {
        let (values, cols) = copy_matrix(&queries);
        let params = SearchParams {
            k,
            max_distance,
            rerank,
            exact,
        };
        let found = py.detach(|| {
            let gallery = self.read()?;
            gallery
                .search(MatrixRef::new(&values, cols).map_err(to_py)?, &params)
                .map_err(to_py)
        })?;
        let shape = (values.len() / cols.max(1), k);
        let ids = Array2::from_shape_vec(shape, found.ids).expect("m × k ids");
        let distances = Array2::from_shape_vec(shape, found.distances).expect("m × k distances");
        Ok((ids.into_pyarray(py), distances.into_pyarray(py)))
    }

    fn ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u64>>> {
        Ok(self.read()?.ids().to_vec().into_pyarray(py))
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.read()?.len())
    }

    fn __contains__(&self, id: u64) -> PyResult<bool> {
        Ok(self.read()?.contains(id))
    }

    #[getter]
    fn nbytes(&self) -> PyResult<usize> {
        Ok(self.read()?.nbytes())
    }

    #[getter]
    fn dim(&self) -> PyResult<usize> {
        Ok(self.read()?.dim())
    }

    #[getter]
    fn metric(&self) -> PyResult<&'static str> {
        Ok(self.read()?.metric().name())
    }

    #[getter]
    fn quantized(&self) -> PyResult<bool> {
        Ok(self.read()?.is_quantized())
    }

    #[getter]
    fn simd(&self) -> PyResult<&'static str> {
        Ok(self.read()?.isa().name())
    }
}
