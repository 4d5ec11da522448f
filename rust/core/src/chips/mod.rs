//! Aligned face chips as dlib cuts them (`get_face_chip_details` + `extract_image_chip`,
//! which dlib's Python `get_face_chip` runs), in pure Rust, pixel for pixel.
//!
//! - [`face_chip_details`]: where the chip lies, from 5 or 68 landmarks.
//! - [`extract_image_chip`]: the chip's pixels (image pyramid, bilinear sampling, black
//!   outside the image).
//! - [`face_chip`] / [`face_chips`]: both steps, for one face or many faces of one image
//!   (in parallel), as the 150×150 input of the face encoder.
//!
//! Each face's chip is cut on its own, as `dlib.get_face_chip` and
//! `compute_face_descriptor(img, shape)` do. (dlib's `get_face_chips`, with several faces,
//! builds one pyramid over all of them, which can move pixels by a grey level or so.)

mod details;
mod extract;
mod pyramid;
mod rect;

#[cfg(test)]
mod tests;

pub use details::{ChipDetails, MAX_CHIP_SIZE, face_chip_details};
pub use extract::extract_image_chip;
pub use rect::DRect;

use crate::CoreError;
use crate::landmarks::{Point, RgbImage};
use rayon::prelude::*;

/// The aligned `size`×`size` RGB chip of the face with landmarks `parts` (5 or 68), as
/// `dlib.get_face_chip(img, shape, size, padding)` returns it.
pub fn face_chip(
    image: &RgbImage<'_>,
    parts: &[Point],
    size: usize,
    padding: f64,
) -> Result<Vec<u8>, CoreError> {
    extract_image_chip(image, &face_chip_details(parts, size, padding)?)
}

/// [`face_chip`] for each face of one image, concatenated (`faces.len() × size × size × 3`),
/// cut in parallel on rayon's pool. The size and every face are checked before any chip is
/// cut.
pub fn face_chips(
    image: &RgbImage<'_>,
    faces: &[Vec<Point>],
    size: usize,
    padding: f64,
) -> Result<Vec<u8>, CoreError> {
    details::check_size(size)?;
    let details = faces
        .iter()
        .map(|parts| face_chip_details(parts, size, padding))
        .collect::<Result<Vec<_>, _>>()?;
    let chip_bytes = size * size * 3;
    let mut out = vec![0u8; faces.len() * chip_bytes];
    out.par_chunks_mut(chip_bytes.max(1))
        .zip(&details)
        .try_for_each(|(slot, d)| {
            slot.copy_from_slice(&extract_image_chip(image, d)?);
            Ok::<_, CoreError>(())
        })?;
    Ok(out)
}
