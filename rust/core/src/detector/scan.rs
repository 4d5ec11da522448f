//! Detection: the image pyramid, every filter over every level, dlib's thresholds, boxes and
//! non-maximum suppression.

use super::fhog;
use super::filter::respond;
use super::geometry::{self, Rect};
use super::image::{self, Level};
use super::model::{Model, Overlap};
use crate::image::RgbImage;
#[cfg(target_arch = "x86_64")]
use crate::matching::Isa;
use rayon::prelude::*;

/// One face found: its box in the input image, its score (the filter's response less its
/// threshold, dlib's `detection_confidence`) and which filter found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub rect: Rect,
    pub score: f64,
    pub filter: usize,
}

/// A detection before suppression, with what orders ties (dlib's sort is not stable; this one
/// is, so equal scores keep filter, level and position order).
struct Candidate {
    detection: Detection,
    order: (usize, usize, usize),
}

/// The number of levels dlib's `create_fhog_pyramid` makes for an image of this size.
fn level_count(model: &Model, width: usize, height: usize) -> usize {
    let mut rect = Rect {
        left: 0,
        top: 0,
        right: width as i64 - 1,
        bottom: height as i64 - 1,
    };
    let mut levels = 0;
    loop {
        rect = rect.mapped(geometry::down6);
        levels += 1;
        if !(rect.width() >= model.min_level_width
            && rect.height() >= model.min_level_height
            && levels < model.max_levels)
        {
            return levels;
        }
    }
}

/// Every detection dlib's `fhog_object_detector.run(image, upsample, adjust)` reports, in the
/// same order (best first). `parallel` spreads the pyramid's levels over rayon's threads.
pub fn detect(
    model: &Model,
    input: &RgbImage<'_>,
    upsample: u32,
    adjust: f64,
    parallel: bool,
) -> Vec<Detection> {
    let mut upsampled: Option<Level> = None;
    for _ in 0..upsample {
        let next = image::upsample(&upsampled.as_ref().map_or(*input, Level::view));
        upsampled = Some(next);
    }
    let base = upsampled.as_ref().map_or(*input, Level::view);
    if base.width() == 0 || base.height() == 0 {
        return Vec::new();
    }
    let levels = level_count(model, base.width(), base.height());
    let shrink = || {
        let mut smaller: Vec<Level> = Vec::with_capacity(levels.saturating_sub(1));
        for _ in 1..levels {
            let next = image::down6(&smaller.last().map_or(base, Level::view));
            smaller.push(next);
        }
        smaller
    };
    let scan = |(l, img): (usize, RgbImage<'_>)| scan_level(model, &img, l, adjust);
    let mut found: Vec<Candidate> = if parallel {
        // The full-size level, the largest scan, runs while the smaller levels are made.
        let (mut first, smaller) = rayon::join(|| scan((0, base)), shrink);
        let rest: Vec<Candidate> = smaller
            .par_iter()
            .enumerate()
            .flat_map_iter(|(l, level)| scan((l + 1, level.view())))
            .collect();
        first.extend(rest);
        first
    } else {
        let smaller = shrink();
        std::iter::once(base)
            .chain(smaller.iter().map(Level::view))
            .enumerate()
            .flat_map(scan)
            .collect()
    };
    found.sort_by(|a, b| {
        b.detection
            .score
            .total_cmp(&a.detection.score)
            .then(a.order.cmp(&b.order))
    });
    let mut kept: Vec<Detection> = Vec::new();
    for c in found {
        if !kept
            .iter()
            .any(|k| overlaps(model.overlap, &k.rect, &c.detection.rect))
        {
            kept.push(c.detection);
        }
    }
    let down = geometry::repeat(geometry::down2, upsample as usize);
    for k in &mut kept {
        k.rect = k.rect.mapped(&down);
    }
    kept
}

/// Every filter's detections on one level, at or above its threshold plus `adjust`, with the
/// features vectorised for the widest instruction set the CPU has.
fn scan_level(model: &Model, img: &RgbImage<'_>, level: usize, adjust: f64) -> Vec<Candidate> {
    #[cfg(target_arch = "x86_64")]
    match crate::matching::Isa::best() {
        // SAFETY: the CPU has AVX-512 F, BW and VL, AVX2 and FMA (checked by `Isa::best`).
        Isa::Avx512 => return unsafe { scan_level_avx512(model, img, level, adjust) },
        // SAFETY: the CPU has AVX2 and FMA (checked by `Isa::best`).
        Isa::Avx2 => return unsafe { scan_level_avx2(model, img, level, adjust) },
        Isa::Portable => {}
    }
    scan_level_with(model, img, level, adjust)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
unsafe fn scan_level_avx512(m: &Model, img: &RgbImage<'_>, l: usize, a: f64) -> Vec<Candidate> {
    scan_level_with(m, img, l, a)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn scan_level_avx2(m: &Model, img: &RgbImage<'_>, l: usize, a: f64) -> Vec<Candidate> {
    scan_level_with(m, img, l, a)
}

#[inline(always)]
fn scan_level_with(model: &Model, img: &RgbImage<'_>, level: usize, adjust: f64) -> Vec<Candidate> {
    let features = fhog::extract(img, model.cell, model.filter_rows, model.filter_cols);
    let mut out = Vec::new();
    if features.is_empty() {
        return out;
    }
    let (box_rows, box_cols) = (
        (model.filter_rows - 2 * model.padding) as i64,
        (model.filter_cols - 2 * model.padding) as i64,
    );
    let up = geometry::repeat(geometry::up6, level);
    let responses = respond(
        &features,
        &model.filters,
        model.filter_rows,
        model.filter_cols,
    );
    for (i, (filter, response)) in model.filters.iter().zip(&responses).enumerate() {
        let bar = filter.threshold + adjust;
        for r in 0..response.rows {
            for c in 0..response.cols {
                let value = response.values[r * response.cols + c];
                if f64::from(value) < bar {
                    continue;
                }
                // dlib's saliency image is indexed by the filter's centre.
                let (cr, cc) = (
                    (r + model.filter_rows / 2) as i64,
                    (c + model.filter_cols / 2) as i64,
                );
                let cells = Rect::centered(cc, cr, box_cols, box_rows);
                let rect = geometry::fhog_to_image(
                    cells,
                    model.cell as i64,
                    model.filter_rows as i64,
                    model.filter_cols as i64,
                )
                .mapped(&up);
                out.push(Candidate {
                    detection: Detection {
                        rect,
                        score: f64::from(value) - filter.threshold,
                        filter: i,
                    },
                    order: (i, level, r * response.cols + c),
                });
            }
        }
    }
    out
}

/// dlib's `test_box_overlap`: the union is the bounding box of the two, not their set union.
fn overlaps(overlap: Overlap, a: &Rect, b: &Rect) -> bool {
    let inner = a.intersect(b).area() as f64;
    if inner == 0.0 {
        return false;
    }
    let outer = a.union(b).area() as f64;
    inner / outer > overlap.iou
        || inner / a.area() as f64 > overlap.covered
        || inner / b.area() as f64 > overlap.covered
}
