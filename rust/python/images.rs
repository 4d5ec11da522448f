//! The one way an RGB image crosses from numpy into the core.

use crate::errors::Result;
use facegate_core::CoreError;
use numpy::{PyReadonlyArray3, PyUntypedArrayMethods};

/// An `(H, W, 3)` uint8 image copied out of numpy, with its width and height. A copy: another
/// Python thread could change a borrowed array while the GIL is released.
pub fn copy_image(image: &PyReadonlyArray3<'_, u8>) -> Result<(Vec<u8>, usize, usize)> {
    let shape = image.shape();
    if shape[2] != 3 {
        return Err(CoreError::InvalidArgument(format!(
            "the image must have shape (height, width, 3), got {shape:?}"
        ))
        .into());
    }
    let pixels = match image.as_slice() {
        Ok(contiguous) => contiguous.to_vec(),
        Err(_) => image.as_array().iter().copied().collect(),
    };
    Ok((pixels, shape[1], shape[0]))
}
