//! dlib's `drectangle` and the few `rectangle` operations chip extraction uses
//! (`dlib/geometry/drectangle.h`, `rectangle.h`), with their edge cases: a rectangle is empty
//! when `left > right` or `top > bottom`, and its width counts both edges (`right - left + 1`).

use crate::landmarks::{DPoint, Rect};

/// `std::min` as C++ defines it (the first argument unless the second is smaller), which
/// differs from `f64::min` for NaN.
fn cmin(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

fn cmax(a: f64, b: f64) -> f64 {
    if a < b { b } else { a }
}

/// dlib's `drectangle`: double bounds, inclusive in dlib's sense.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DRect {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl DRect {
    /// dlib's default rectangle, empty.
    pub const EMPTY: Self = Self {
        left: 0.0,
        top: 0.0,
        right: -1.0,
        bottom: -1.0,
    };

    pub fn is_empty(&self) -> bool {
        self.top > self.bottom || self.left > self.right
    }

    pub fn width(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.right - self.left + 1.0
        }
    }

    pub fn height(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.bottom - self.top + 1.0
        }
    }

    pub fn area(&self) -> f64 {
        self.width() * self.height()
    }

    pub fn center(&self) -> DPoint {
        [
            (self.left + self.right) / 2.0,
            (self.top + self.bottom) / 2.0,
        ]
    }

    pub fn tl(&self) -> DPoint {
        [self.left, self.top]
    }

    pub fn tr(&self) -> DPoint {
        [self.right, self.top]
    }

    pub fn bl(&self) -> DPoint {
        [self.left, self.bottom]
    }

    pub fn br(&self) -> DPoint {
        [self.right, self.bottom]
    }

    /// dlib's `centered_drect(p, width, height)`.
    pub fn centered(p: DPoint, width: f64, height: f64) -> Self {
        let (w, h) = (width - 1.0, height - 1.0);
        Self {
            left: p[0] - w / 2.0,
            top: p[1] - h / 2.0,
            right: p[0] + w / 2.0,
            bottom: p[1] + h / 2.0,
        }
    }

    /// dlib's `operator+`: the smallest rectangle holding both (an empty one adds nothing).
    pub fn union(&self, other: &Self) -> Self {
        if other.is_empty() {
            return *self;
        }
        if self.is_empty() {
            return *other;
        }
        Self {
            left: cmin(self.left, other.left),
            top: cmin(self.top, other.top),
            right: cmax(self.right, other.right),
            bottom: cmax(self.bottom, other.bottom),
        }
    }

    /// `*this += p`.
    pub fn with_point(&self, p: DPoint) -> Self {
        self.union(&Self {
            left: p[0],
            top: p[1],
            right: p[0],
            bottom: p[1],
        })
    }

    pub fn intersect(&self, other: &Self) -> Self {
        Self {
            left: cmax(self.left, other.left),
            top: cmax(self.top, other.top),
            right: cmin(self.right, other.right),
            bottom: cmin(self.bottom, other.bottom),
        }
    }

    /// dlib's `grow_rect(rect, num)`, written as it is: `shrink_rect(rect, -num)`.
    pub fn grow(&self, num: f64) -> Self {
        let num = -num;
        Self {
            left: self.left + num,
            top: self.top + num,
            right: self.right - num,
            bottom: self.bottom - num,
        }
    }

    /// dlib's `translate_rect(rect, p)` for an integer offset.
    pub fn translate(&self, dx: i64, dy: i64) -> Self {
        let (dx, dy) = (dx as f64, dy as f64);
        Self {
            left: self.left + dx,
            top: self.top + dy,
            right: self.right + dx,
            bottom: self.bottom + dy,
        }
    }

    /// dlib's conversion to `rectangle`: each bound `lround`ed (halves away from zero).
    pub fn lround(&self) -> Rect {
        Rect {
            left: self.left.round() as i64,
            top: self.top.round() as i64,
            right: self.right.round() as i64,
            bottom: self.bottom.round() as i64,
        }
    }

    /// `pyramid_down<2>::rect_down`: both corners mapped by `p/2 - (1.25, 0.75)`.
    pub fn down(&self) -> Self {
        let down = |p: DPoint| [p[0] / 2.0 - 1.25, p[1] / 2.0 - 0.75];
        let (a, b) = (down(self.tl()), down(self.br()));
        Self::EMPTY.with_point(a).with_point(b)
    }
}

impl From<Rect> for DRect {
    fn from(r: Rect) -> Self {
        Self {
            left: r.left as f64,
            top: r.top as f64,
            right: r.right as f64,
            bottom: r.bottom as f64,
        }
    }
}

/// dlib's `rectangle` emptiness and size, for the integer bounding box.
pub(crate) fn rect_is_empty(r: &Rect) -> bool {
    r.top > r.bottom || r.left > r.right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_both_edges_and_empty_is_zero() {
        let r = DRect::centered([10.0, 20.0], 5.0, 3.0);
        assert_eq!((r.left, r.right, r.top, r.bottom), (8.0, 12.0, 19.0, 21.0));
        assert_eq!((r.width(), r.height(), r.area()), (5.0, 3.0, 15.0));
        assert!(DRect::EMPTY.is_empty());
        assert_eq!(DRect::EMPTY.area(), 0.0);
        assert_eq!(DRect::EMPTY.union(&r), r);
        assert_eq!(r.union(&DRect::EMPTY), r);
    }

    #[test]
    fn lround_rounds_halves_away_from_zero() {
        let r = DRect {
            left: -0.5,
            top: 0.5,
            right: 2.5,
            bottom: 2.4999,
        };
        assert_eq!(
            r.lround(),
            Rect {
                left: -1,
                top: 1,
                right: 3,
                bottom: 2
            }
        );
    }

    #[test]
    fn rect_down_halves_and_shifts() {
        let r = DRect {
            left: 0.0,
            top: 0.0,
            right: 99.0,
            bottom: 49.0,
        }
        .down();
        assert_eq!(
            (r.left, r.top, r.right, r.bottom),
            (-1.25, -0.75, 48.25, 23.75)
        );
    }
}
