//! dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`) in pure Rust:
//! a strict reader of dlib's serialization for exactly that network, and a forward pass that
//! gives dlib's 128-d encodings (to float rounding) an order of magnitude faster.
//!
//! - [`Network::from_file`] / [`Network::from_bytes`]: validate every record, refuse a truncated,
//!   altered or extended file with [`CoreError::ModelFormat`](crate::CoreError::ModelFormat), and
//!   fold each affine (batch-norm) layer into its convolution.
//! - [`Network::encode_batch`]: chips (150×150 RGB, H×W×C bytes) to encodings, in parallel;
//!   [`Encoder::encode`] the same on an exact number of threads.

mod act;
mod arch;
mod conv;
mod forward;
mod im2col;
mod matmul;
mod model;
mod ops;
mod records;
mod threads;

#[cfg(test)]
mod tests;

pub use arch::{CHIP_SIZE, ENCODING_DIM};
pub use forward::{CHIP_BYTES, Workspace};
pub use matmul::simd_path;
pub use model::Network;
pub use threads::Encoder;

/// The model file for tests and benchmarks: `FACEGATE_DLIB_MODEL`, else the
/// `face_recognition_models` package in the workspace's `.venv`; `None` when neither has it.
#[doc(hidden)]
pub fn find_model() -> Option<std::path::PathBuf> {
    const MODEL_FILE: &str = "dlib_face_recognition_resnet_model_v1.dat";
    if let Some(path) = std::env::var_os("FACEGATE_DLIB_MODEL") {
        return Some(path.into());
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/lib");
    std::fs::read_dir(venv).ok()?.flatten().find_map(|python| {
        let path = python
            .path()
            .join("site-packages/face_recognition_models/models")
            .join(MODEL_FILE);
        path.is_file().then_some(path)
    })
}
