//! `facegate._core.HogDetector`: dlib's frontal face detector run by the Rust core.

use crate::detach::detached;
use crate::errors::Result;
use crate::images::copy_image;
use facegate_core::detector::{HogDetector, RgbImage};
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray3};
use pyo3::prelude::*;

/// Boxes (int64 n x 4: left, top, right, bottom, inclusive as dlib's), scores and filters.
type Found<'py> = (
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i64>>,
);

/// The loaded detector, shared by every Python thread (`frozen`: immutable after loading;
/// each call works in its own buffers).
#[pyclass(frozen, name = "HogDetector", module = "facegate._core")]
pub struct PyHogDetector {
    inner: HogDetector,
}

#[pymethods]
impl PyHogDetector {
    /// Reads and validates the bytes of dlib's detector file.
    #[new]
    fn new(py: Python<'_>, model: Vec<u8>) -> Result<Self> {
        let inner = detached(py, || HogDetector::from_bytes(&model))?;
        Ok(Self { inner })
    }

    /// The number of filters (dlib's frontal detector has 5).
    #[getter]
    fn filters(&self) -> usize {
        self.inner.filters()
    }

    /// dlib's `run(image, upsample, adjust_threshold)` on `image` (uint8 H x W x 3 RGB):
    /// every detection, best first. `parallel` spreads the pyramid over every core.
    #[pyo3(signature = (image, upsample = 1, adjust = 0.0, *, parallel = true))]
    fn detect<'py>(
        &self,
        py: Python<'py>,
        image: PyReadonlyArray3<'py, u8>,
        upsample: u32,
        adjust: f64,
        parallel: bool,
    ) -> Result<Found<'py>> {
        let (pixels, width, height) = copy_image(&image)?;
        let found = detached(py, || {
            let image = RgbImage::new(&pixels, width, height)?;
            self.inner.detect(&image, upsample, adjust, parallel)
        })?;
        let n = found.len();
        let rects: Vec<i64> = found
            .iter()
            .flat_map(|d| [d.rect.left, d.rect.top, d.rect.right, d.rect.bottom])
            .collect();
        let rects = Array2::from_shape_vec((n, 4), rects).expect("n x 4");
        let scores = Array1::from_iter(found.iter().map(|d| d.score));
        let filters = Array1::from_iter(found.iter().map(|d| d.filter as i64));
        Ok((
            rects.into_pyarray(py),
            scores.into_pyarray(py),
            filters.into_pyarray(py),
        ))
    }
}
