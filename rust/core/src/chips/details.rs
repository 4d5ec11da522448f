//! dlib's `get_face_chip_details` and the `chip_details` it builds
//! (`dlib/image_transforms/interpolation.h`).
//!
//! The chip is the similarity transform that best takes a mean face, scaled into a
//! `size`×`size` square with `padding` around it, onto the landmarks. For 5 points all five are
//! used; for 68 points the 33 outside the jaw line, eyebrows and lower lip.

use super::rect::DRect;
use crate::CoreError;
use crate::landmarks::Point;
use crate::landmarks::transform::{DPoint, similarity};

/// Largest chip side accepted: a 4096×4096 chip is 48 MiB.
pub const MAX_CHIP_SIZE: usize = 4096;

/// Where a chip lies in the image (dlib's `chip_details`): the rectangle it covers before
/// rotation, the rotation about its centre (radians), and its size in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChipDetails {
    pub rect: DRect,
    pub angle: f64,
    pub rows: usize,
    pub cols: usize,
}

/// dlib's 5-point mean face (eye corners and nose), in the unit square.
const MEAN_FACE_5: [DPoint; 5] = [
    [0.8595674595992, 0.2134981538014],
    [0.6460604764104, 0.2289674387677],
    [0.1205750620789, 0.2137274526848],
    [0.3340850613712, 0.2290642403242],
    [0.4901123135679, 0.6277975316475],
];

/// dlib's mean positions of the 68-point scheme's points 17 to 67.
#[rustfmt::skip]
const MEAN_FACE_68_X: [f64; 51] = [
    0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
    0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
    0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
    0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
    0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
    0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
    0.553364, 0.490127, 0.42689,
];
#[rustfmt::skip]
const MEAN_FACE_68_Y: [f64; 51] = [
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
    0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
    0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
    0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
    0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
    0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
    0.784792, 0.824182, 0.831803, 0.824182,
];

/// The 68-point landmarks dlib aligns on: not the eyebrows (17–26) nor the lower lip (55–59,
/// 65–67), which move with expression.
fn aligned_68(i: usize) -> bool {
    !((17..=26).contains(&i) || (55..=59).contains(&i) || (65..=67).contains(&i))
}

/// Refuses a chip side of 0 or above [`MAX_CHIP_SIZE`].
pub(crate) fn check_size(size: usize) -> Result<(), CoreError> {
    if size == 0 || size > MAX_CHIP_SIZE {
        return Err(CoreError::InvalidArgument(format!(
            "the chip size must be 1 to {MAX_CHIP_SIZE} pixels, got {size}"
        )));
    }
    Ok(())
}

/// dlib's `get_face_chip_details(det, size, padding)` for 5- or 68-point landmarks.
///
/// `padding` is the margin around the mean face as a fraction of its size (dlib's Python
/// `get_face_chip` default is 0.25, passed through a C++ `float`). Refuses another number of
/// landmarks, a size of 0 or above [`MAX_CHIP_SIZE`], and a negative or non-finite padding.
pub fn face_chip_details(
    parts: &[Point],
    size: usize,
    padding: f64,
) -> Result<ChipDetails, CoreError> {
    check_size(size)?;
    if !(padding >= 0.0 && padding.is_finite()) {
        return Err(CoreError::InvalidArgument(
            "the chip padding must be a finite number >= 0".to_owned(),
        ));
    }
    let scale = size as f64;
    let point = |p: &Point| [p.x as f64, p.y as f64];
    let (from, to): (Vec<DPoint>, Vec<DPoint>) = match parts.len() {
        5 => {
            // dlib writes (padding + p) / (2·padding + 1) on a vector, which its expression
            // templates turn into a multiplication by the reciprocal.
            let inv = 1.0 / (2.0 * padding + 1.0);
            MEAN_FACE_5
                .iter()
                .zip(parts)
                .map(|(m, p)| {
                    let t = [(m[0] + padding) * inv, (m[1] + padding) * inv];
                    ([t[0] * scale, t[1] * scale], point(p))
                })
                .unzip()
        }
        68 => (17..68)
            .filter(|&i| aligned_68(i))
            .map(|i| {
                // Here dlib divides scalars: a true division.
                let t = [
                    (padding + MEAN_FACE_68_X[i - 17]) / (2.0 * padding + 1.0),
                    (padding + MEAN_FACE_68_Y[i - 17]) / (2.0 * padding + 1.0),
                ];
                ([t[0] * scale, t[1] * scale], point(&parts[i]))
            })
            .unzip(),
        n => {
            return Err(CoreError::InvalidArgument(format!(
                "face chips need 5 or 68 landmarks (dlib's two models), got {n}"
            )));
        }
    };
    Ok(chip_details(&from, &to, size, size))
}

/// dlib's `chip_details(chip_points, img_points, dims)`: the similarity from chip to image,
/// split into an angle and a rectangle of the chip's size times the scale.
fn chip_details(chip: &[DPoint], image: &[DPoint], rows: usize, cols: usize) -> ChipDetails {
    let tform = similarity(chip, image);
    // tform.m · (1, 0), with dlib's zero terms kept.
    let p = [
        tform.m[0][0] + tform.m[0][1] * 0.0,
        tform.m[1][0] + tform.m[1][1] * 0.0,
    ];
    let angle = p[1].atan2(p[0]);
    let scale = (p[0] * p[0] + p[1] * p[1]).sqrt();
    let centre = tform.apply([cols as f64 / 2.0, rows as f64 / 2.0]);
    ChipDetails {
        rect: DRect::centered(centre, cols as f64 * scale, rows as f64 * scale),
        angle,
        rows,
        cols,
    }
}
