//! The image and geometry types the face pipeline shares: the detector, the shape predictor
//! and the chips all read a borrowed RGB image and speak in dlib's integer rectangles.

use crate::CoreError;

/// A borrowed RGB image: row-major `height × width × 3` bytes, as numpy holds an `(H, W, 3)`
/// uint8 array.
#[derive(Clone, Copy)]
pub struct RgbImage<'a> {
    pixels: &'a [u8],
    width: usize,
    height: usize,
}

impl<'a> RgbImage<'a> {
    /// Wraps `pixels`, which must hold exactly `width · height · 3` bytes.
    pub fn new(pixels: &'a [u8], width: usize, height: usize) -> Result<Self, CoreError> {
        let expected = width.checked_mul(height).and_then(|n| n.checked_mul(3));
        if expected != Some(pixels.len()) {
            return Err(CoreError::InvalidArgument(format!(
                "an RGB image of {width}x{height} pixels needs {width}*{height}*3 bytes, got {}",
                pixels.len()
            )));
        }
        Ok(Self {
            pixels,
            width,
            height,
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn pixels(&self) -> &'a [u8] {
        self.pixels
    }

    /// dlib's grey level of the pixel at (x, y) (`get_pixel_intensity` of an `rgb_pixel`: the
    /// integer mean of the three channels, rounded down), or 0 outside the image, as the shape
    /// predictor samples it.
    #[inline]
    pub(crate) fn intensity(&self, x: i64, y: i64) -> f32 {
        if x < 0 || y < 0 || x as u64 >= self.width as u64 || y as u64 >= self.height as u64 {
            return 0.0;
        }
        let at = (y as usize * self.width + x as usize) * 3;
        let p = &self.pixels[at..at + 3];
        ((u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) / 3) as f32
    }
}

/// dlib's `rectangle`: integer bounds, all four inclusive (a 10-pixel-wide box has
/// `right = left + 9`). The face detector's boxes are these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rect {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
}

impl Rect {
    pub fn width(&self) -> i64 {
        self.right - self.left + 1
    }

    pub fn height(&self) -> i64 {
        self.bottom - self.top + 1
    }

    /// dlib's `area()`: zero for an empty rectangle.
    pub fn area(&self) -> i64 {
        if self.right < self.left || self.bottom < self.top {
            0
        } else {
            self.width() * self.height()
        }
    }

    pub fn intersect(&self, other: &Rect) -> Rect {
        Rect {
            left: self.left.max(other.left),
            top: self.top.max(other.top),
            right: self.right.min(other.right),
            bottom: self.bottom.min(other.bottom),
        }
    }

    /// dlib's `a + b`: the smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        Rect {
            left: self.left.min(other.left),
            top: self.top.min(other.top),
            right: self.right.max(other.right),
            bottom: self.bottom.max(other.bottom),
        }
    }

    /// dlib's `centered_rect(point(x, y), width, height)`.
    pub fn centered(x: i64, y: i64, width: i64, height: i64) -> Rect {
        let left = x - width / 2;
        let top = y - height / 2;
        Rect {
            left,
            top,
            right: left + width - 1,
            bottom: top + height - 1,
        }
    }

    /// The rectangle with each corner mapped by `f` (in `double`) and rounded as dlib converts
    /// a `drectangle` to a `rectangle` (`std::lround`: halves away from zero, as `f64::round`).
    pub fn mapped(&self, f: impl Fn((f64, f64)) -> (f64, f64)) -> Rect {
        let (l, t) = f((self.left as f64, self.top as f64));
        let (r, b) = f((self.right as f64, self.bottom as f64));
        Rect {
            left: l.round() as i64,
            top: t.round() as i64,
            right: r.round() as i64,
            bottom: b.round() as i64,
        }
    }
}

/// dlib's `point`: an integer pixel position, as `full_object_detection` holds landmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Point {
    pub x: i64,
    pub y: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_must_agree() {
        assert!(RgbImage::new(&[0; 12], 2, 2).is_ok());
        assert!(RgbImage::new(&[0; 11], 2, 2).is_err());
        assert!(RgbImage::new(&[], usize::MAX, 3).is_err());
    }

    #[test]
    fn intensity_is_the_floored_channel_mean_and_zero_outside() {
        let pixels = [10, 20, 31, 255, 255, 254];
        let image = RgbImage::new(&pixels, 2, 1).unwrap();
        assert_eq!(image.intensity(0, 0), 20.0); // 61 / 3
        assert_eq!(image.intensity(1, 0), 254.0); // 764 / 3
        for (x, y) in [(-1, 0), (2, 0), (0, 1), (0, -1), (i64::MIN, i64::MAX)] {
            assert_eq!(image.intensity(x, y), 0.0);
        }
    }
}
