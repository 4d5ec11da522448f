//! `facegate._core.ResnetEncoder`: dlib's face-recognition ResNet run by the Rust core.

use crate::errors::{InvalidArgument, to_py};
use facegate_core::encoder::{CHIP_SIZE, ENCODING_DIM, Network};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray4, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::path::PathBuf;

/// The loaded network, shared by every Python thread that holds it.
///
/// `frozen` without a lock: the network is immutable after loading and each encoding works in a
/// per-thread workspace, so concurrent calls need no synchronisation.
#[pyclass(frozen, name = "ResnetEncoder", module = "facegate._core")]
pub struct PyResnetEncoder {
    network: Network,
}

#[pymethods]
impl PyResnetEncoder {
    /// Reads and validates `dlib_face_recognition_resnet_model_v1.dat` at `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let network = py.detach(|| Network::from_file(&path)).map_err(to_py)?;
        Ok(Self { network })
    }

    /// Encodings of `chips` (uint8, n × 150 × 150 × 3 RGB), as float32 n × 128.
    fn encode<'py>(
        &self,
        py: Python<'py>,
        chips: PyReadonlyArray4<'py, u8>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let shape = chips.shape();
        if shape[1..] != [CHIP_SIZE, CHIP_SIZE, 3] {
            return Err(InvalidArgument::new_err(format!(
                "chips must have shape (n, {CHIP_SIZE}, {CHIP_SIZE}, 3), got {shape:?}"
            )));
        }
        let n = shape[0];
        // A copy: another Python thread could change a borrowed array while the GIL is released.
        let pixels = match chips.as_slice() {
            Ok(contiguous) => contiguous.to_vec(),
            Err(_) => chips.as_array().iter().copied().collect(),
        };
        let values = py
            .detach(|| self.network.encode_batch(&pixels))
            .map_err(to_py)?;
        let encodings = Array2::from_shape_vec((n, ENCODING_DIM), values)
            .map_err(|e| InvalidArgument::new_err(e.to_string()))?;
        Ok(encodings.into_pyarray(py))
    }
}
