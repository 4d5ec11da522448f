//! `facegate._core.ResnetEncoder`: dlib's face-recognition ResNet run by the Rust core.

use crate::errors::{InvalidArgument, to_py};
use facegate_core::encoder::{CHIP_BYTES, CHIP_SIZE, ENCODING_DIM, Network, Workspace};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray4, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// The loaded network, shared by every Python thread that holds it.
///
/// `frozen`: the network is immutable after loading and each encoding works in a per-thread
/// workspace, so concurrent calls need no synchronisation. The one lock guards `spare`, the
/// workspaces of calls with an explicit thread count, and is held only to take or return one.
#[pyclass(frozen, name = "ResnetEncoder", module = "facegate._core")]
pub struct PyResnetEncoder {
    network: Network,
    /// Workspaces kept between `encode(..., threads=n)` calls, whose threads are new each call:
    /// reusing them saves allocating and faulting in a few MB per thread and call.
    spare: Mutex<Vec<Workspace>>,
}

#[pymethods]
impl PyResnetEncoder {
    /// Reads and validates `dlib_face_recognition_resnet_model_v1.dat` at `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let network = py.detach(|| Network::from_file(&path)).map_err(to_py)?;
        Ok(Self {
            network,
            spare: Mutex::new(Vec::new()),
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
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let shape = chips.shape();
        if shape[1..] != [CHIP_SIZE, CHIP_SIZE, 3] {
            return Err(InvalidArgument::new_err(format!(
                "chips must have shape (n, {CHIP_SIZE}, {CHIP_SIZE}, 3), got {shape:?}"
            )));
        }
        let threads = match threads {
            None => None,
            Some(t) if t >= 1 => Some(usize::try_from(t).unwrap_or(usize::MAX)),
            Some(t) => {
                return Err(InvalidArgument::new_err(format!(
                    "threads must be at least 1, got {t}"
                )));
            }
        };
        let n = shape[0];
        // A copy: another Python thread could change a borrowed array while the GIL is released.
        let pixels = match chips.as_slice() {
            Ok(contiguous) => contiguous.to_vec(),
            Err(_) => chips.as_array().iter().copied().collect(),
        };
        let values = match threads {
            None => py
                .detach(|| self.network.encode_batch(&pixels))
                .map_err(to_py)?,
            Some(t) => py.detach(|| self.encode_on(&pixels, t)),
        };
        let encodings = Array2::from_shape_vec((n, ENCODING_DIM), values)
            .map_err(|e| InvalidArgument::new_err(e.to_string()))?;
        Ok(encodings.into_pyarray(py))
    }
}

impl PyResnetEncoder {
    /// Encodes whole chips (`pixels.len()` is a multiple of `CHIP_BYTES`, as `encode` checked the
    /// shape) on `threads` threads, each taking a contiguous share of the batch: scoped threads
    /// rather than a rayon pool, so the count is exact and no pool outlives the call.
    fn encode_on(&self, pixels: &[u8], threads: usize) -> Vec<f32> {
        let n = pixels.len() / CHIP_BYTES;
        let mut out = vec![0f32; n * ENCODING_DIM];
        if n == 0 {
            return out;
        }
        let per_thread = n.div_ceil(threads.min(n));
        let shares = pixels
            .chunks(per_thread * CHIP_BYTES)
            .zip(out.chunks_mut(per_thread * ENCODING_DIM));
        if threads == 1 || n == 1 {
            for (chips, encodings) in shares {
                self.encode_share(chips, encodings);
            }
        } else {
            std::thread::scope(|scope| {
                for (chips, encodings) in shares {
                    scope.spawn(move || self.encode_share(chips, encodings));
                }
            });
        }
        out
    }

    /// One thread's share: its chips one after another in one workspace.
    fn encode_share(&self, chips: &[u8], encodings: &mut [f32]) {
        // The vector of spare workspaces is valid whatever a panicking holder did.
        let take = || self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        let mut ws = take().pop().unwrap_or_default();
        for (chip, encoding) in chips
            .chunks_exact(CHIP_BYTES)
            .zip(encodings.chunks_exact_mut(ENCODING_DIM))
        {
            self.network.encode_into(chip, &mut ws, encoding);
        }
        take().push(ws);
    }
}
