//! dlib's frontal face detector (HOG features, five linear filters over an image pyramid) in
//! pure Rust, read from the file dlib writes (`get_frontal_face_detector().save(path)`), with
//! dlib's boxes and scores.
//!
//! - [`HogDetector::from_bytes`]: validate the file and factor its filters as dlib does.
//! - [`HogDetector::detect`]: dlib's `run(image, upsample, adjust_threshold)`.

mod fhog;
mod filter;
mod geometry;
mod image;
mod model;
mod orient;
mod pool;
mod scan;

pub use crate::image::{Rect, RgbImage};
pub use scan::Detection;

use crate::CoreError;

/// The detector, immutable once loaded: one instance serves every thread.
#[derive(Debug, Clone)]
pub struct HogDetector {
    model: model::Model,
}

/// The most times an image may be doubled before detection: each doubling quadruples the work.
pub const MAX_UPSAMPLE: u32 = 4;

impl HogDetector {
    /// Reads the bytes of dlib's detector file, refusing anything else with
    /// [`CoreError::ModelFormat`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        Ok(Self {
            model: model::Model::from_bytes(bytes)?,
        })
    }

    /// How many filters the detector has (dlib's frontal detector: 5).
    pub fn filters(&self) -> usize {
        self.model.filters.len()
    }

    /// The faces in `image`, best first, as dlib's `run(image, upsample, adjust)` reports
    /// them. `parallel` spreads the pyramid's levels over rayon's threads; the answer is the
    /// same either way.
    pub fn detect(
        &self,
        image: &RgbImage<'_>,
        upsample: u32,
        adjust: f64,
        parallel: bool,
    ) -> Result<Vec<Detection>, CoreError> {
        if upsample > MAX_UPSAMPLE {
            return Err(CoreError::InvalidArgument(format!(
                "upsample must be at most {MAX_UPSAMPLE}, got {upsample}"
            )));
        }
        if !adjust.is_finite() {
            return Err(CoreError::InvalidArgument(
                "the threshold adjustment must be a finite number".to_owned(),
            ));
        }
        Ok(scan::detect(&self.model, image, upsample, adjust, parallel))
    }
}
