//! `facegate._core.ResnetEncoder`: dlib's face-recognition ResNet run by the Rust core.

use crate::detach::detached;
use crate::errors::Result;
use facegate_core::CoreError;
use facegate_core::encoder::{CHIP_SIZE, ENCODING_DIM, Encoder, Network};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray4, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::path::PathBuf;

/// The loaded network, shared by every Python thread that holds it.
///
/// `frozen`: the network is immutable after loading and each encoding works in a per-thread
/// workspace, so concurrent calls need no synchronisation.
#[pyclass(frozen, name = "ResnetEncoder", module = "facegate._core")]
pub struct PyResnetEncoder {
    inner: Encoder,
}

#[pymethods]
impl PyResnetEncoder {
    /// Reads and validates `dlib_face_recognition_resnet_model_v1.dat` at `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> Result<Self> {
        let network = detached(py, || Network::from_file(&path))?;
        Ok(Self {
            inner: Encoder::new(network),
        })
    }

    /// Encodings of `chips` (uint8, n × 150 × 150 × 3 RGB), as float32 n × 128.
    ///
    /// `threads`: `None` spreads the chips over rayon's global pool (every core); a count runs
    /// them on exactly that many threads (1 = the calling thread), so benchmarks can measure
    /// one core. The encodings are the same either way, bit for bit.
    #[pyo3(signature = (chips, *, threads = None))]
    fn encode<'py>(
        &self,
        py: Python<'py>,
        chips: PyReadonlyArray4<'py, u8>,
        threads: Option<i64>,
    ) -> Result<Bound<'py, PyArray2<f32>>> {
        let shape = chips.shape();
        if shape[1..] != [CHIP_SIZE, CHIP_SIZE, 3] {
            // The core sees bytes; only here is the array's layout known.
            return Err(CoreError::InvalidArgument(format!(
                "chips must have shape (n, {CHIP_SIZE}, {CHIP_SIZE}, 3), got {shape:?}"
            ))
            .into());
        }
        // A negative count is as wrong as zero: the core refuses both.
        let threads = threads.map(|t| usize::try_from(t).unwrap_or(0));
        // A copy: another Python thread could change a borrowed array while the GIL is released.
        let pixels = match chips.as_slice() {
            Ok(contiguous) => contiguous.to_vec(),
            Err(_) => chips.as_array().iter().copied().collect(),
        };
        let values = detached(py, || self.inner.encode(&pixels, threads))?;
        let rows = values.len() / ENCODING_DIM;
        let encodings = Array2::from_shape_vec((rows, ENCODING_DIM), values).expect("rows × 128");
        Ok(encodings.into_pyarray(py))
    }
}
