//! dlib's shape predictor (`shape_predictor_5_face_landmarks.dat`,
//! `shape_predictor_68_face_landmarks.dat`) in pure Rust, giving dlib's landmarks exactly.
//!
//! - [`ShapePredictor::from_file`] / [`ShapePredictor::from_bytes`]: a strict reader that
//!   checks every count and index, refusing a truncated or altered file with
//!   [`CoreError::ModelFormat`](crate::CoreError::ModelFormat).
//! - [`ShapePredictor::predict`]: the landmarks of the face in a box, as dlib's
//!   `shape_predictor(img, rect)` gives them; [`ShapePredictor::predict_batch`] for many boxes.
//! - [`RgbImage`], [`Rect`], [`Point`]: the image and geometry types, shared with
//!   [`chips`](crate::chips).
//!
//! Bit-for-bit parity comes from doing dlib's arithmetic: f32 where dlib uses float, f64 where
//! it uses double, sums in its order, and its own SVD behind the transforms (`crate::svd`,
//! which the detector shares).

mod model;
mod predict;
pub(crate) mod transform;

#[cfg(test)]
mod tests;

pub use crate::image::{Point, Rect, RgbImage};
pub use model::ShapePredictor;
pub use transform::DPoint;

/// dlib's landmark model with `parts` points (5 or 68) for tests and benchmarks:
/// `FACEGATE_DLIB_MODEL_DIR`, else the `face_recognition_models` package in the workspace's
/// `.venv`; `None` when neither has it.
#[doc(hidden)]
pub fn find_model(parts: usize) -> Option<std::path::PathBuf> {
    let file = format!("shape_predictor_{parts}_face_landmarks.dat");
    if let Some(dir) = std::env::var_os("FACEGATE_DLIB_MODEL_DIR") {
        let path = std::path::Path::new(&dir).join(&file);
        return path.is_file().then_some(path);
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/lib");
    std::fs::read_dir(venv).ok()?.flatten().find_map(|python| {
        let path = python
            .path()
            .join("site-packages/face_recognition_models/models")
            .join(&file);
        path.is_file().then_some(path)
    })
}
