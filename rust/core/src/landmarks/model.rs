//! Reading a dlib `shape_predictor` file (`dlib/image_processing/shape_predictor.h`).
//!
//! The file is `int version = 1`, the initial shape (a float column matrix of x, y pairs), the
//! forests (one vector of regression trees per cascade level; a tree is its splits then its
//! leaf vectors), then per level the anchor landmark and offset of every feature pixel. Every
//! count is checked against the bytes left before anything is allocated for it, and every index
//! against what it indexes, so a truncated or altered file is refused with
//! [`CoreError::ModelFormat`], never a panic or a wild allocation at prediction time.

use super::transform::DPoint;
use crate::CoreError;
use crate::serial::{self, Reader};
use std::path::Path;

/// Floats in one block of a leaf vector: one cache line.
pub(crate) const LEAF_BLOCK: usize = 16;

/// Cap on the file read into memory: the 68-point model is 99.7 MB.
const MAX_FILE_BYTES: u64 = 256 << 20;
/// Smallest encodings dlib writes: an integer is a control byte and at least one digit, a float
/// is two integers.
const MIN_INT: usize = 2;
const MIN_FLOAT: usize = 2 * MIN_INT;

/// One split of a regression tree: go left when `pixel[a] - pixel[b] > thresh`.
#[derive(Clone, Copy)]
pub(crate) struct Split {
    pub a: u32,
    pub b: u32,
    pub thresh: f32,
}

/// A complete binary tree: `splits` (2^depth - 1 of them, breadth first) in its level's split
/// table from `first_split`, and 2^depth leaf vectors in its level's leaf table from
/// `first_leaf` (each [`ShapePredictor::stride`] floats).
#[derive(Clone, Copy)]
pub(crate) struct Tree {
    pub first_split: u32,
    pub splits: u32,
    pub first_leaf: u32,
}

/// One level of the cascade: its trees, and the feature pixels they compare, each placed at an
/// offset (`delta`, in the mean shape's frame) from one landmark (`anchor`).
pub(crate) struct Level {
    pub trees: Vec<Tree>,
    pub splits: Vec<Split>,
    /// The leaf vectors, each `2 · parts` floats padded with zeros to the stride.
    pub leaves: Vec<f32>,
    pub anchors: Vec<u32>,
    pub deltas: Vec<[f32; 2]>,
}

/// dlib's shape predictor (an ensemble of regression trees, Kazemi and Sullivan 2014), ready to
/// run. Immutable after loading, so one instance serves any number of threads.
pub struct ShapePredictor {
    /// The mean shape in the face box's unit square, x and y interleaved, then zeros to the
    /// stride.
    pub(crate) initial: Vec<f32>,
    /// `2 · parts` rounded up to whole [`LEAF_BLOCK`]s: the length of every leaf vector and
    /// of the shape being refined, so leaves are added a fixed-size block at a time (the
    /// padding adds zeros to zeros).
    pub(crate) stride: usize,
    /// The same points in double precision, as dlib's similarity transform reads them.
    pub(crate) initial_points: Vec<DPoint>,
    pub(crate) levels: Vec<Level>,
    /// The most feature pixels any level samples: the size of the per-call buffer.
    pub(crate) max_features: usize,
}

impl std::fmt::Debug for ShapePredictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShapePredictor")
            .field("parts", &self.parts())
            .field("levels", &self.levels.len())
            .finish_non_exhaustive()
    }
}

/// Reads a count of items at least `min_bytes` long each, refusing one the rest of the file
/// cannot hold.
fn count(
    r: &mut Reader<'_>,
    total: usize,
    min_bytes: usize,
    what: &str,
) -> Result<usize, CoreError> {
    let at = r.offset();
    let n = r.unsigned(8, what)?;
    let left = (total - r.offset()) as u64;
    if n.checked_mul(min_bytes as u64)
        .is_none_or(|need| need > left)
    {
        return Err(Reader::error_at(
            at,
            format!("{what} (the file ends first)"),
        ));
    }
    Ok(n as usize)
}

/// A `matrix<float,0,1>`: dlib writes `-rows` and `-1` (its current format), then the values.
fn column(
    r: &mut Reader<'_>,
    total: usize,
    rows: Option<usize>,
    what: &str,
) -> Result<Vec<f32>, CoreError> {
    let at = r.offset();
    let nr = r.signed(8, what)?;
    let left = ((total - r.offset()) / MIN_FLOAT) as i64;
    let ok = match rows {
        Some(rows) => nr == -(rows as i64),
        None => nr < 0 && -nr <= left,
    };
    if !ok {
        let want = rows.map_or("a column length".to_owned(), |n| format!("{n} rows"));
        return Err(Reader::error_at(at, format!("{what}: {want}")));
    }
    r.expect_signed(8, -1, &format!("{what}: one column"))?;
    (0..-nr).map(|_| r.f32(what)).collect()
}

impl ShapePredictor {
    /// Reads and validates the model file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, CoreError> {
        let about = "a shape predictor is at most about 100 MB";
        Self::from_bytes(&serial::read_capped(path, MAX_FILE_BYTES, about)?)
    }

    /// Parses a shape predictor from its bytes, refusing anything dlib would not have written.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        let total = bytes.len();
        let mut r = Reader::new(bytes);
        r.expect_signed(4, 1, "shape predictor version")?;
        let at = r.offset();
        let initial = column(&mut r, total, None, "the initial shape")?;
        if initial.len() % 2 != 0 || initial.len() / 2 > i32::MAX as usize {
            return Err(Reader::error_at(at, "an initial shape of x, y pairs"));
        }
        let dims = initial.len();
        let stride = dims.div_ceil(LEAF_BLOCK) * LEAF_BLOCK;

        let cascade = count(&mut r, total, MIN_INT, "the number of cascade levels")?;
        let mut levels = Vec::with_capacity(cascade);
        // Per level: the largest split index and where it was read, checked once the level's
        // feature count is known.
        let mut widest = Vec::with_capacity(cascade);
        for _ in 0..cascade {
            let (level, max_index) = forest(&mut r, total, dims, stride)?;
            levels.push(level);
            widest.push(max_index);
        }

        let at = r.offset();
        if count(&mut r, total, MIN_INT, "the anchor lists")? != cascade {
            return Err(Reader::error_at(
                at,
                format!("{cascade} anchor lists, one per level"),
            ));
        }
        for level in &mut levels {
            let n = count(&mut r, total, MIN_INT, "the number of feature pixels")?;
            if n > u32::MAX as usize {
                return Err(Reader::error_at(at, "fewer feature pixels"));
            }
            level.anchors = (0..n)
                .map(|_| {
                    let at = r.offset();
                    match r.unsigned(8, "an anchor landmark")? {
                        a if a < (dims / 2) as u64 => Ok(a as u32),
                        _ => Err(Reader::error_at(
                            at,
                            format!("an anchor below {}", dims / 2),
                        )),
                    }
                })
                .collect::<Result<_, _>>()?;
        }
        for (level, (max_index, at)) in levels.iter().zip(&widest) {
            if let Some(max_index) = max_index
                && *max_index as usize >= level.anchors.len()
            {
                return Err(Reader::error_at(
                    *at,
                    format!("a split feature below {}", level.anchors.len()),
                ));
            }
        }

        let at = r.offset();
        if count(&mut r, total, MIN_INT, "the offset lists")? != cascade {
            return Err(Reader::error_at(
                at,
                format!("{cascade} offset lists, one per level"),
            ));
        }
        for level in &mut levels {
            let at = r.offset();
            let n = level.anchors.len();
            if count(&mut r, total, 2 * MIN_FLOAT, "the number of offsets")? != n {
                return Err(Reader::error_at(
                    at,
                    format!("{n} offsets, one per feature pixel"),
                ));
            }
            level.deltas = (0..n)
                .map(|_| Ok([r.f32("an offset")?, r.f32("an offset")?]))
                .collect::<Result<_, CoreError>>()?;
        }
        r.finish()?;

        let max_features = levels.iter().map(|l| l.anchors.len()).max().unwrap_or(0);
        let initial_points = initial
            .chunks_exact(2)
            .map(|p| [f64::from(p[0]), f64::from(p[1])])
            .collect();
        let mut initial = initial;
        initial.resize(stride, 0.0);
        Ok(Self {
            initial,
            stride,
            initial_points,
            levels,
            max_features,
        })
    }

    /// How many landmarks each prediction gives (5 or 68 for dlib's models).
    pub fn parts(&self) -> usize {
        self.initial_points.len()
    }
}

/// One level's forest: its trees, with the largest split index and the offset it was read at.
fn forest(
    r: &mut Reader<'_>,
    total: usize,
    dims: usize,
    stride: usize,
) -> Result<(Level, (Option<u32>, usize)), CoreError> {
    let n_trees = count(r, total, 2 * MIN_INT, "the number of trees")?;
    let mut level = Level {
        trees: Vec::with_capacity(n_trees),
        splits: Vec::new(),
        leaves: Vec::new(),
        anchors: Vec::new(),
        deltas: Vec::new(),
    };
    let mut widest: (Option<u32>, usize) = (None, 0);
    for _ in 0..n_trees {
        let n_splits = count(r, total, 2 * MIN_INT + MIN_FLOAT, "the number of splits")?;
        let first_split = level.splits.len();
        for _ in 0..n_splits {
            let at = r.offset();
            let index = |r: &mut Reader<'_>| -> Result<u32, CoreError> {
                let v = r.unsigned(8, "a split feature")?;
                u32::try_from(v).map_err(|_| Reader::error_at(at, "a split feature"))
            };
            let (a, b) = (index(r)?, index(r)?);
            let thresh = r.f32("a split threshold")?;
            if widest.0.is_none_or(|w| a.max(b) > w) {
                widest = (Some(a.max(b)), at);
            }
            level.splits.push(Split { a, b, thresh });
        }
        let at = r.offset();
        let n_leaves = count(
            r,
            total,
            2 * MIN_INT + dims * MIN_FLOAT,
            "the number of leaves",
        )?;
        // dlib walks the tree breadth first and needs it full: 2^d - 1 splits, 2^d leaves.
        if n_leaves != n_splits + 1 || !n_leaves.is_power_of_two() {
            return Err(Reader::error_at(
                at,
                format!(
                    "{} leaves in a full tree of {n_splits} splits",
                    n_splits + 1
                ),
            ));
        }
        let first_leaf = level.leaves.len() / stride;
        for _ in 0..n_leaves {
            level.leaves.extend(column(r, total, Some(dims), "a leaf")?);
            level.leaves.resize(level.leaves.len() + stride - dims, 0.0);
        }
        let too_big = |_| Reader::error_at(at, "a smaller forest");
        level.trees.push(Tree {
            first_split: u32::try_from(first_split).map_err(too_big)?,
            splits: u32::try_from(n_splits).map_err(too_big)?,
            first_leaf: u32::try_from(first_leaf).map_err(too_big)?,
        });
    }
    Ok((level, widest))
}
