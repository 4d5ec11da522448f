//! dlib's integer rectangles and the point mappings of its pyramids, with dlib's rounding.
//!
//! dlib converts a `drectangle` to a `rectangle` with `std::lround` (halves away from zero), maps
//! points between pyramid levels in `double`, and divides integer points with C++'s truncating
//! division; the boxes it reports depend on each of these, so they are reproduced exactly.

pub use crate::image::Rect;

/// `pyramid_down<6>` (each level 5/6 of the one before): a point one level up.
pub fn up6((x, y): (f64, f64)) -> (f64, f64) {
    let ratio = 6.0 / 5.0;
    (x * ratio + 0.3, y * ratio + 0.3)
}

/// `pyramid_down<6>`: a point one level down.
pub fn down6((x, y): (f64, f64)) -> (f64, f64) {
    let ratio = 5.0 / 6.0;
    ((x - 0.3) * ratio, (y - 0.3) * ratio)
}

/// `pyramid_down<2>` (halving, used to upsample before detection): a point one level up.
pub fn up2((x, y): (f64, f64)) -> (f64, f64) {
    ((x + 1.25) * 2.0, (y + 0.75) * 2.0)
}

/// `pyramid_down<2>`: a point one level down.
pub fn down2((x, y): (f64, f64)) -> (f64, f64) {
    (x / 2.0 - 1.25, y / 2.0 - 0.75)
}

/// A point mapping applied `levels` times, in `double` throughout, as dlib's `point_up(p, l)`.
pub fn repeat(f: fn((f64, f64)) -> (f64, f64), levels: usize) -> impl Fn((f64, f64)) -> (f64, f64) {
    move |mut p| {
        for _ in 0..levels {
            p = f(p);
        }
        p
    }
}

/// dlib's `fhog_to_image` for one point: a cell of the feature map (with the filter's padding)
/// to the pixel at the centre of that cell.
fn fhog_point_to_image(x: i64, y: i64, cell: i64, rows_pad: i64, cols_pad: i64) -> (i64, i64) {
    let px = (x + 1 - (cols_pad - 1) / 2) * cell + 1;
    let py = (y + 1 - (rows_pad - 1) / 2) * cell + 1;
    let half = cell / 2;
    let ox = if px >= 0 { half } else { -half };
    let oy = if py >= 0 { half } else { -half };
    (px + ox, py + oy)
}

/// dlib's `fhog_to_image` for a rectangle of cells.
pub fn fhog_to_image(rect: Rect, cell: i64, rows_pad: i64, cols_pad: i64) -> Rect {
    by_corners(rect, |x, y| {
        fhog_point_to_image(x, y, cell, rows_pad, cols_pad)
    })
}

/// dlib's `image_to_fhog` for one point (C++ integer division truncates toward zero, as Rust's).
fn image_point_to_fhog(x: i64, y: i64, cell: i64, rows_pad: i64, cols_pad: i64) -> (i64, i64) {
    (
        (x - 1) / cell - 1 + (cols_pad - 1) / 2,
        (y - 1) / cell - 1 + (rows_pad - 1) / 2,
    )
}

/// dlib's `image_to_fhog` for a rectangle of pixels.
pub fn image_to_fhog(rect: Rect, cell: i64, rows_pad: i64, cols_pad: i64) -> Rect {
    by_corners(rect, |x, y| {
        image_point_to_fhog(x, y, cell, rows_pad, cols_pad)
    })
}

/// The rectangle whose corners are `rect`'s mapped by `f`, as dlib maps rectangles.
fn by_corners(rect: Rect, f: impl Fn(i64, i64) -> (i64, i64)) -> Rect {
    let (left, top) = f(rect.left, rect.top);
    let (right, bottom) = f(rect.right, rect.bottom);
    Rect {
        left,
        top,
        right,
        bottom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_80_pixel_window_is_10_cells_of_8() {
        let window = image_to_fhog(Rect::centered(0, 0, 80, 80), 8, 1, 1);
        assert_eq!((window.width(), window.height()), (10, 10));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        let r = Rect {
            left: 0,
            top: 0,
            right: 9,
            bottom: 9,
        };
        // (0 + 1.25) * 2 = 2.5 -> 3, (0 + 0.75) * 2 = 1.5 -> 2, 10.25 * 2 = 20.5 -> 21,
        // 9.75 * 2 = 19.5 -> 20.
        assert_eq!(
            r.mapped(up2),
            Rect {
                left: 3,
                top: 2,
                right: 21,
                bottom: 20
            }
        );
        let back = r.mapped(up2).mapped(down2);
        assert_eq!((back.left, back.top), (0, 0)); // 3/2 - 1.25 = 0.25, 2/2 - 0.75 = 0.25
    }

    #[test]
    fn union_is_the_bounding_box_not_the_set_union() {
        let a = Rect::centered(0, 0, 10, 10);
        let b = Rect::centered(20, 0, 10, 10);
        assert_eq!(a.union(&b).area(), 30 * 10);
        assert_eq!(a.intersect(&b).area(), 0);
    }
}
