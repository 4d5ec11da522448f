//! `facegate._core`: the thin PyO3 layer over `facegate-core`.
//!
//! Private to the `facegate` package, which wraps every name here with argument checking and
//! documentation; users never import this module. The signatures are strict (contiguous arrays of
//! the exact dtype); the Python side does the forgiving conversions.

mod detach;
mod detector;
mod distance;
mod encoder;
mod errors;
mod gallery;
mod images;
mod landmarks;
mod protect;
mod simd;

use pyo3::prelude::*;

#[pymodule]
mod _core {
    #[pymodule_export]
    use crate::detector::PyHogDetector;
    #[pymodule_export]
    use crate::distance::distances;
    #[pymodule_export]
    use crate::encoder::PyResnetEncoder;
    #[pymodule_export]
    use crate::gallery::PyGallery;
    #[pymodule_export]
    use crate::landmarks::{PyShapePredictor, face_chips};
    #[pymodule_export]
    use crate::protect::{
        PyDataKey, PyMasterKey, PyRotation, open_into_gallery, open_keys_into_gallery,
        open_template, renew_template, seal_template, sealed_len,
    };
    #[pymodule_export]
    use crate::simd::simd_paths;

    /// Marks the importing process as the one whose parallel work runs on rayon's global pool;
    /// processes forked from it build their own (see `facegate_core::parallel`).
    #[pymodule_init]
    fn init(_module: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        facegate_core::parallel::note_loader();
        Ok(())
    }
}
