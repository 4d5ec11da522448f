//! Running the cascade: dlib's `shape_predictor::operator()(img, rect)`, in dlib's precision.
//!
//! The shape lives in the face box's unit square as f32. Each level fits the similarity taking
//! the mean shape to the current one (in f64, then rounded to f32 as dlib does), places its
//! feature pixels with it (f32), maps them into the image through the box's affine transform
//! (f64), rounds to whole pixels and reads their grey levels; then every tree of the level adds
//! the leaf the pixel differences lead to. The arithmetic order is dlib's throughout (each
//! coordinate gets the trees' increments in tree order), so the landmarks are dlib's to the bit.

use super::model::{LEAF_BLOCK, Level, ShapePredictor, Tree};
use super::transform::{Affine, DPoint, affine3, round_coordinate, similarity};
use crate::image::{Point, Rect, RgbImage};
use rayon::prelude::*;

/// dlib's `unnormalizing_tform(rect)`: the unit square onto the box, fitted through the box's
/// top-left, top-right and bottom-right corners, which dlib converts to f32 first.
fn unnormalizing(rect: Rect) -> Affine {
    let f = |v: i64| f64::from(v as f32);
    let (l, t, r, b) = (f(rect.left), f(rect.top), f(rect.right), f(rect.bottom));
    affine3(
        &[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]],
        &[[l, t], [r, t], [r, b]],
    )
}

impl ShapePredictor {
    /// The landmarks of the face in `rect`, as dlib's `shape_predictor(img, rect)` returns them
    /// (`full_object_detection` points: each coordinate rounded as `floor(v + 0.5)`). Pixels
    /// outside the image read as 0; `rect` may extend past the image or lie outside it.
    pub fn predict(&self, image: &RgbImage<'_>, rect: Rect) -> Vec<Point> {
        self.predict_unrounded(image, rect)
            .into_iter()
            .map(|[x, y]| Point {
                x: round_coordinate(x),
                y: round_coordinate(y),
            })
            .collect()
    }

    /// [`predict`](Self::predict) for many boxes of one image, spread over rayon's pool.
    pub fn predict_batch(&self, image: &RgbImage<'_>, rects: &[Rect]) -> Vec<Vec<Point>> {
        rects.par_iter().map(|&r| self.predict(image, r)).collect()
    }

    /// The landmarks before dlib rounds them to whole pixels (dlib computes these doubles and
    /// keeps only the rounded points).
    pub fn predict_unrounded(&self, image: &RgbImage<'_>, rect: Rect) -> Vec<DPoint> {
        #[cfg(target_arch = "x86_64")]
        if crate::matching::Isa::best() >= crate::matching::Isa::Avx2 {
            // SAFETY: the CPU has AVX2 and FMA (checked by `Isa::best`).
            return unsafe { self.predict_avx2(image, rect) };
        }
        self.predict_with(image, rect)
    }

    /// [`predict_with`](Self::predict_with) compiled for AVX2, where rounding to whole pixels
    /// is one instruction rather than a call (the same operations, so the same bits).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn predict_avx2(&self, image: &RgbImage<'_>, rect: Rect) -> Vec<DPoint> {
        self.predict_with(image, rect)
    }

    #[inline(always)]
    fn predict_with(&self, image: &RgbImage<'_>, rect: Rect) -> Vec<DPoint> {
        let to_image = unnormalizing(rect);
        let mut shape = self.initial.clone();
        let mut features = vec![0f32; self.max_features];
        let mut current = Vec::with_capacity(self.parts());
        let mut leaves =
            Vec::with_capacity(self.levels.iter().map(|l| l.trees.len()).max().unwrap_or(0));
        for level in &self.levels {
            let tform = self.tform_to(&shape, &mut current);
            sample(level, image, &to_image, &tform, &shape, &mut features);
            leaves.clear();
            for tree in &level.trees {
                leaves.push(leaf(level, tree, &features, self.stride));
            }
            add_leaves(&mut shape, &level.leaves, &leaves);
        }
        shape[..2 * self.parts()]
            .chunks_exact(2)
            .map(|p| to_image.apply([f64::from(p[0]), f64::from(p[1])]))
            .collect()
    }

    /// dlib's `find_tform_between_shapes(initial, shape)`, its matrix rounded to f32.
    fn tform_to(&self, shape: &[f32], buffer: &mut Vec<DPoint>) -> [[f32; 2]; 2] {
        if self.parts() == 1 {
            return [[1.0, 0.0], [0.0, 1.0]];
        }
        buffer.clear();
        let points = shape[..2 * self.parts()].chunks_exact(2);
        buffer.extend(points.map(|p| [f64::from(p[0]), f64::from(p[1])]));
        similarity(&self.initial_points, buffer)
            .m
            .map(|row| row.map(|v| v as f32))
    }
}

/// Reads the grey level under each of the level's feature pixels.
#[inline(always)]
fn sample(
    level: &Level,
    image: &RgbImage<'_>,
    to_image: &Affine,
    tform: &[[f32; 2]; 2],
    shape: &[f32],
    features: &mut [f32],
) {
    let [[a, b], [c, d]] = *tform;
    for ((value, &anchor), delta) in features.iter_mut().zip(&level.anchors).zip(&level.deltas) {
        let at = 2 * anchor as usize;
        let x = (a * delta[0] + b * delta[1]) + shape[at];
        let y = (c * delta[0] + d * delta[1]) + shape[at + 1];
        let [px, py] = to_image.apply([f64::from(x), f64::from(y)]);
        *value = image.intensity(round_coordinate(px), round_coordinate(py));
    }
}

/// Walks one tree from its root; returns where its leaf's shape increment starts in the level's
/// leaf table.
#[inline(always)]
fn leaf(level: &Level, tree: &Tree, features: &[f32], stride: usize) -> usize {
    let splits = &level.splits[tree.first_split as usize..][..tree.splits as usize];
    let mut i = 0;
    while i < splits.len() {
        let s = splits[i];
        // Left child when the difference exceeds the threshold; written without a branch,
        // which the pixel data would make unpredictable.
        let left = features[s.a as usize] - features[s.b as usize] > s.thresh;
        i = 2 * i + 2 - usize::from(left);
    }
    (tree.first_leaf as usize + (i - splits.len())) * stride
}

/// `shape += leaf` for every leaf of a level, in tree order for each coordinate, as dlib adds
/// them. A level reads one leaf of every tree from a table far larger than the caches (65 MB
/// for 68 points). Going through the leaves one cache line at a time, summing in registers,
/// instead of one whole leaf after another, leaves the loads independent of each other, so
/// they overlap.
#[inline(always)]
fn add_leaves(shape: &mut [f32], table: &[f32], leaves: &[usize]) {
    for (b, block) in shape.chunks_exact_mut(LEAF_BLOCK).enumerate() {
        let mut sum: [f32; LEAF_BLOCK] = block.try_into().expect("whole blocks");
        for &at in leaves {
            let leaf = &table[at + b * LEAF_BLOCK..][..LEAF_BLOCK];
            for (s, add) in sum.iter_mut().zip(leaf) {
                *s += add;
            }
        }
        block.copy_from_slice(&sum);
    }
}
