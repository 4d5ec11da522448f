//! A strict reader of dlib's `object_detector<scan_fhog_pyramid<pyramid_down<6>>>` file (what
//! `dlib.get_frontal_face_detector().save(path)` writes), and the filter banks dlib builds from
//! it when it loads one.
//!
//! dlib does not filter with the weights as stored: it factors each 10x10 filter plane by SVD,
//! drops singular values below `max(1e-4, 0.001 · largest)` and filters with the remaining
//! separable pairs (unless there are so many that the full filters are cheaper). The same
//! factorisation is made here in double precision, so the scores equal dlib's to float rounding.

use super::fhog::PLANES;
use crate::CoreError;
use crate::serial::Reader;
use crate::svd;

/// One separable part of a filter plane: `col` runs down the rows, `row` along each row.
#[derive(Debug, Clone)]
pub struct Separable {
    pub row: Vec<f32>,
    pub col: Vec<f32>,
}

/// One of the detector's filters (dlib's five: frontal, left, right, and frontal turned left
/// and right): its separable parts per plane and its threshold.
#[derive(Debug, Clone)]
pub struct Filter {
    pub planes: Vec<Vec<Separable>>,
    pub threshold: f64,
}

/// dlib's `test_box_overlap`: which detections suppress one another.
#[derive(Debug, Clone, Copy)]
pub struct Overlap {
    pub iou: f64,
    pub covered: f64,
}

/// Everything the detector file holds.
#[derive(Debug, Clone)]
pub struct Model {
    pub cell: usize,
    /// The filter's size in cells (rows, cols), padding included.
    pub filter_rows: usize,
    pub filter_cols: usize,
    pub padding: usize,
    pub max_levels: usize,
    pub min_level_width: i64,
    pub min_level_height: i64,
    pub overlap: Overlap,
    pub filters: Vec<Filter>,
}

/// Largest sizes accepted: dlib's frontal detector has 8-pixel cells, an 80x80 window and five
/// filters; the bounds only keep a hostile file from asking for absurd work.
const MAX_WINDOW: u64 = 1024;
const MAX_FILTERS: u64 = 64;

/// The side of a filter in cells: the frontal detector's 80-pixel window in 8-pixel cells, the
/// one geometry this reader accepts (dlib's SVD is reproduced for this size).
pub const FILTER: usize = 10;

impl Model {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        let mut r = Reader::new(bytes);
        r.expect_signed(4, 2, "object_detector version")?;
        r.expect_signed(4, 1, "scan_fhog_pyramid version")?;
        // The scanner's cached features: always saved empty.
        r.expect_unsigned(8, 0, "cached feature pyramid (max size)")?;
        r.expect_unsigned(8, 0, "cached feature pyramid (size)")?;
        let at = r.offset();
        let cell = r.signed(4, "cell size")?;
        // dlib computes 1-pixel cells with a different method, which this reader does not.
        if !(2..=64).contains(&cell) {
            return Err(Reader::error_at(at, "cell size (2 to 64 pixels)"));
        }
        let cell = cell as usize;
        let padding = bounded(&mut r, "padding", 0, 16)?;
        let window_width = bounded(&mut r, "window width", 1, MAX_WINDOW)?;
        let window_height = bounded(&mut r, "window height", 1, MAX_WINDOW)?;
        let max_levels = bounded(&mut r, "most pyramid levels", 1, 100_000)?;
        let min_width = bounded(&mut r, "smallest level width", 1, 1 << 20)?;
        let min_height = bounded(&mut r, "smallest level height", 1, 1 << 20)?;
        let at = r.offset();
        let nuclear = r.f64("nuclear norm regularisation strength")?;
        if !(nuclear.is_finite() && nuclear >= 0.0) {
            return Err(Reader::error_at(at, "nuclear norm strength (not negative)"));
        }
        // `compute_fhog_window_size`: the window in cells, grown by the padding.
        let window = super::geometry::image_to_fhog(
            super::geometry::Rect::centered(0, 0, window_width as i64, window_height as i64),
            cell as i64,
            1,
            1,
        );
        let filter_cols = (window.width() + 2 * padding as i64) as usize;
        let filter_rows = (window.height() + 2 * padding as i64) as usize;
        if filter_rows != FILTER || filter_cols != FILTER {
            return Err(Reader::error_at(
                at,
                format!("a window of {FILTER}x{FILTER} cells (dlib's frontal detector)"),
            ));
        }
        let dims = PLANES * filter_rows * filter_cols;
        r.expect_signed(8, dims as i64, "feature dimensions")?;
        let at = r.offset();
        let iou = r.f64("overlap: intersection over union")?;
        let covered = r.f64("overlap: share covered")?;
        if !((0.0..=1.0).contains(&iou) && (0.0..=1.0).contains(&covered)) {
            return Err(Reader::error_at(at, "overlap thresholds between 0 and 1"));
        }
        let count = bounded(&mut r, "number of filters", 1, MAX_FILTERS)?;
        let mut filters = Vec::with_capacity(count as usize);
        for i in 0..count {
            let what = format!("filter {i}");
            r.expect_signed(8, -(dims as i64 + 1), &format!("{what}: rows"))?;
            r.expect_signed(8, -1, &format!("{what}: columns"))?;
            let mut weights = Vec::with_capacity(dims + 1);
            for _ in 0..=dims {
                let at = r.offset();
                let w = r.f64(&format!("{what}: weight"))?;
                if !w.is_finite() {
                    return Err(Reader::error_at(at, format!("{what}: a finite weight")));
                }
                weights.push(w);
            }
            let at = r.offset();
            let planes = separate(&weights[..dims], filter_rows, filter_cols).ok_or_else(|| {
                Reader::error_at(
                    at,
                    format!("{what}: low-rank planes (dlib's frontal detector)"),
                )
            })?;
            filters.push(Filter {
                planes,
                threshold: weights[dims],
            });
        }
        r.finish()?;
        Ok(Self {
            cell,
            filter_rows,
            filter_cols,
            padding: padding as usize,
            max_levels: max_levels as usize,
            min_level_width: min_width as i64,
            min_level_height: min_height as i64,
            overlap: Overlap { iou, covered },
            filters,
        })
    }
}

fn bounded(r: &mut Reader<'_>, what: &str, low: u64, high: u64) -> Result<u64, CoreError> {
    let at = r.offset();
    let value = r.unsigned(8, what)?;
    if (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(Reader::error_at(at, format!("{what} ({low} to {high})")))
    }
}

/// dlib's `build_fhog_filterbank`: each plane's separable parts; `None` where dlib would filter
/// with the full planes instead (never for its frontal detector, whose planes have rank 1-3).
fn separate(weights: &[f64], rows: usize, cols: usize) -> Option<Vec<Vec<Separable>>> {
    let size = rows * cols;
    let factor = |plane: usize| -> Vec<Separable> {
        // `reshape(rowm(weights, ...), height, width)`: row-major.
        let mut f = [[0.0f64; FILTER]; FILTER];
        for (m, row) in f.iter_mut().enumerate() {
            row.copy_from_slice(&weights[plane * size + m * cols..plane * size + (m + 1) * cols]);
        }
        // dlib's own SVD, not a textbook one: on these rank-deficient planes it stops short of
        // convergence for some of the filters, and its separable parts then differ from the
        // weights by up to 1e-2 in a score. dlib's scores are those of its parts.
        let svd = svd::svd::<FILTER, FILTER>(&f);
        let largest = svd.q.iter().copied().fold(0.0f64, f64::max);
        let threshold = (largest * 0.001).max(1e-4);
        // `rsort_columns`: largest first (the order of the sums, not their terms).
        let mut order: Vec<usize> = (0..FILTER).collect();
        order.sort_by(|&a, &b| svd.q[b].total_cmp(&svd.q[a]));
        order
            .into_iter()
            // `round_zeros(w, thresh)` zeroes |w| < thresh; the parts kept are w != 0.
            .filter(|&j| svd.q[j].abs() >= threshold && svd.q[j] != 0.0)
            .map(|j| {
                let s = svd.q[j].sqrt();
                Separable {
                    col: (0..rows).map(|m| (svd.u[m][j] * s) as f32).collect(),
                    row: (0..cols).map(|n| (svd.v[n][j] * s) as f32).collect(),
                }
            })
            .collect()
    };
    let planes: Vec<Vec<Separable>> = (0..PLANES).map(factor).collect();
    let parts: usize = planes.iter().map(Vec::len).sum();
    // `apply_filters_to_fhog`: full filters once the parts outnumber a third of their size.
    (parts as f64 <= (PLANES * rows.min(cols)) as f64 / 3.0).then_some(planes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rank_one_plane_is_one_separable_pair() {
        let (rows, cols) = (FILTER, FILTER);
        let col: Vec<f64> = (0..rows).map(|m| m as f64 * 0.1 - 0.3).collect();
        let row: Vec<f64> = (0..cols).map(|n| 1.0 - n as f64 * 0.15).collect();
        let mut weights = vec![0.0; PLANES * rows * cols];
        for (m, c) in col.iter().enumerate() {
            for (n, r) in row.iter().enumerate() {
                weights[m * cols + n] = c * r;
            }
        }
        let planes = separate(&weights, rows, cols).expect("one part is separable");
        assert_eq!(planes[0].len(), 1);
        assert!(planes[1..].iter().all(Vec::is_empty));
        let part = &planes[0][0];
        for (m, c) in col.iter().enumerate() {
            for (n, r) in row.iter().enumerate() {
                let got = f64::from(part.col[m]) * f64::from(part.row[n]);
                assert!((got - c * r).abs() < 1e-6);
            }
        }
    }
}
