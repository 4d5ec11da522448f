//! The reader against files written here in dlib's format, and a hand-built tree run through
//! prediction. Parity with dlib itself is checked from Python (tests/test_rust_landmarks.py).

use super::*;
use crate::CoreError;

/// dlib's integer encoding: a control byte (byte count, 0x80 if negative), then the magnitude
/// little-endian in as few bytes as possible.
fn int(out: &mut Vec<u8>, v: i64) {
    let mut magnitude = v.unsigned_abs();
    let mut digits = vec![(magnitude & 0xFF) as u8];
    magnitude >>= 8;
    while magnitude != 0 {
        digits.push((magnitude & 0xFF) as u8);
        magnitude >>= 8;
    }
    out.push(digits.len() as u8 | if v < 0 { 0x80 } else { 0 });
    out.extend(digits);
}

/// A float as dlib writes it: an integer mantissa and a power-of-two exponent.
fn float(out: &mut Vec<u8>, v: f32) {
    let (mut mantissa, mut exponent) = (v, 0i64);
    while mantissa.fract() != 0.0 {
        mantissa *= 2.0;
        exponent -= 1;
    }
    int(out, mantissa as i64);
    int(out, exponent);
}

fn column(out: &mut Vec<u8>, values: &[f32]) {
    int(out, -(values.len() as i64));
    int(out, -1);
    for &v in values {
        float(out, v);
    }
}

/// The parts of a one-level model with one split (a, b, thresh) and two leaves.
struct Spec {
    initial: Vec<f32>,
    split: (i64, i64, f32),
    leaves: Vec<Vec<f32>>,
    anchors: Vec<i64>,
    deltas: Vec<[f32; 2]>,
}

impl Spec {
    /// Two landmarks at (0.25, 0.25) and (0.75, 0.75); the feature pixels sit on them. The
    /// split goes left (leaf 0, landmark 0 moves right by 0.1) when landmark 0's pixel is
    /// brighter than landmark 1's, else right (leaf 1, landmark 1 moves up by 0.1).
    fn two_points() -> Self {
        Self {
            initial: vec![0.25, 0.25, 0.75, 0.75],
            split: (0, 1, 0.0),
            leaves: vec![vec![0.125, 0.0, 0.0, 0.0], vec![0.0, 0.0, 0.0, -0.125]],
            anchors: vec![0, 1],
            deltas: vec![[0.0, 0.0], [0.0, 0.0]],
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        int(&mut out, 1); // version
        column(&mut out, &self.initial);
        int(&mut out, 1); // levels
        int(&mut out, 1); // trees
        int(&mut out, 1); // splits
        int(&mut out, self.split.0);
        int(&mut out, self.split.1);
        float(&mut out, self.split.2);
        int(&mut out, self.leaves.len() as i64);
        for leaf in &self.leaves {
            column(&mut out, leaf);
        }
        int(&mut out, 1);
        int(&mut out, self.anchors.len() as i64);
        for &a in &self.anchors {
            int(&mut out, a);
        }
        int(&mut out, 1);
        int(&mut out, self.deltas.len() as i64);
        for d in &self.deltas {
            float(&mut out, d[0]);
            float(&mut out, d[1]);
        }
        out
    }
}

fn refused(bytes: &[u8]) -> bool {
    matches!(
        ShapePredictor::from_bytes(bytes),
        Err(CoreError::ModelFormat { .. })
    )
}

/// A 100×100 image, black but for a white pixel at (x, y).
fn dot(x: usize, y: usize) -> Vec<u8> {
    let mut pixels = vec![0u8; 100 * 100 * 3];
    pixels[(y * 100 + x) * 3..][..3].copy_from_slice(&[255, 255, 255]);
    pixels
}

const BOX: Rect = Rect {
    left: 0,
    top: 0,
    right: 99,
    bottom: 99,
};

#[test]
fn a_synthetic_tree_moves_the_landmark_its_pixels_choose() {
    let model = ShapePredictor::from_bytes(&Spec::two_points().bytes()).unwrap();
    assert_eq!(model.parts(), 2);
    // The landmarks map to 0.25·99 = 24.75 -> pixel 25 and 0.75·99 = 74.25 -> pixel 74.
    let bright_first = dot(25, 25);
    let image = RgbImage::new(&bright_first, 100, 100).unwrap();
    // Left leaf: landmark 0 at x = 0.375·99 = 37.125 (to the SVD's rounding).
    let unrounded = model.predict_unrounded(&image, BOX);
    for (got, want) in unrounded
        .iter()
        .flatten()
        .zip([37.125, 24.75, 74.25, 74.25])
    {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    assert_eq!(
        model.predict(&image, BOX),
        vec![Point { x: 37, y: 25 }, Point { x: 74, y: 74 }]
    );
    // Equal pixels are not "greater": the right leaf, landmark 1 up to 0.625·99 = 61.875.
    let black = vec![0u8; 100 * 100 * 3];
    let image = RgbImage::new(&black, 100, 100).unwrap();
    assert_eq!(
        model.predict(&image, BOX),
        vec![Point { x: 25, y: 25 }, Point { x: 74, y: 62 }]
    );
}

#[test]
fn pixels_outside_the_image_read_as_zero() {
    let model = ShapePredictor::from_bytes(&Spec::two_points().bytes()).unwrap();
    // Shifted left by 50, landmark 0's pixel (-25, 25) is outside: 0, not the white pixel at
    // (0, 25) a clamped read would give. The split goes right.
    let pixels = dot(0, 25);
    let image = RgbImage::new(&pixels, 100, 100).unwrap();
    let shifted = Rect {
        left: -50,
        right: 49,
        ..BOX
    };
    let got = model.predict(&image, shifted);
    assert_eq!(got[1], Point { x: 24, y: 62 });
    // A box wholly outside the image still predicts (every pixel reads 0).
    let far = Rect {
        left: 1000,
        top: 1000,
        right: 1099,
        bottom: 1099,
    };
    assert_eq!(model.predict(&image, far)[1], Point { x: 1074, y: 1062 });
}

#[test]
fn batches_match_single_predictions() {
    let model = ShapePredictor::from_bytes(&Spec::two_points().bytes()).unwrap();
    let pixels = dot(25, 25);
    let image = RgbImage::new(&pixels, 100, 100).unwrap();
    let rects = [BOX, Rect { left: 5, ..BOX }, Rect { top: -20, ..BOX }];
    let batch = model.predict_batch(&image, &rects);
    for (rect, got) in rects.iter().zip(batch) {
        assert_eq!(got, model.predict(&image, *rect));
    }
}

#[test]
fn every_truncation_and_any_trailing_byte_is_refused() {
    let bytes = Spec::two_points().bytes();
    assert!(ShapePredictor::from_bytes(&bytes).is_ok());
    for end in 0..bytes.len() {
        assert!(
            refused(&bytes[..end]),
            "a file cut at byte {end} was accepted"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(refused(&longer));
}

#[test]
fn bad_counts_and_indices_are_refused() {
    let mut version = Spec::two_points().bytes();
    version[1] = 2;
    assert!(refused(&version));

    let mut s = Spec::two_points();
    s.initial.push(0.5); // an odd number of coordinates
    s.leaves.iter_mut().for_each(|l| l.push(0.0));
    assert!(refused(&s.bytes()));

    let mut s = Spec::two_points();
    s.split.1 = 2; // only two feature pixels
    assert!(refused(&s.bytes()));

    let mut s = Spec::two_points();
    s.anchors[1] = 2; // only two landmarks
    assert!(refused(&s.bytes()));

    let mut s = Spec::two_points();
    s.leaves.push(vec![0.0; 4]); // three leaves for one split
    assert!(refused(&s.bytes()));

    let mut s = Spec::two_points();
    s.leaves[0].pop(); // a leaf of the wrong length
    assert!(refused(&s.bytes()));

    let mut s = Spec::two_points();
    s.deltas.pop(); // fewer offsets than anchors
    assert!(refused(&s.bytes()));
}

#[test]
fn a_huge_count_is_refused_before_allocating() {
    let mut out = Vec::new();
    int(&mut out, 1);
    column(&mut out, &[0.5, 0.5]);
    int(&mut out, i64::MAX); // levels
    assert!(refused(&out));
    let mut out = Vec::new();
    int(&mut out, 1);
    int(&mut out, -(1 << 40)); // an initial shape longer than the file
    int(&mut out, -1);
    assert!(refused(&out));
}

#[test]
fn dlibs_models_load_and_their_truncations_are_refused() {
    for parts in [5, 68] {
        let Some(path) = find_model(parts) else {
            eprintln!("skipped: shape_predictor_{parts}_face_landmarks.dat not found");
            continue;
        };
        let model = ShapePredictor::from_file(&path).unwrap();
        assert_eq!(model.parts(), parts);
        let bytes = std::fs::read(&path).unwrap();
        for end in [0, 1, 100, bytes.len() / 2, bytes.len() - 1] {
            assert!(refused(&bytes[..end]), "cut at {end}");
        }
        // A face-sized box on a gradient: every landmark lands inside the box's neighbourhood.
        let (w, h) = (200usize, 200usize);
        let pixels: Vec<u8> = (0..w * h * 3).map(|i| ((i / 3) % w) as u8).collect();
        let image = RgbImage::new(&pixels, w, h).unwrap();
        let rect = Rect {
            left: 50,
            top: 50,
            right: 149,
            bottom: 149,
        };
        let points = model.predict(&image, rect);
        assert_eq!(points.len(), parts);
        assert!(
            points
                .iter()
                .all(|p| (0..200).contains(&p.x) && (0..200).contains(&p.y))
        );
    }
}

#[test]
fn missing_files_are_io_errors() {
    let err = ShapePredictor::from_file(std::path::Path::new("/nonexistent/sp.dat")).unwrap_err();
    assert!(matches!(err, CoreError::ModelIo { .. }));
}

#[test]
fn the_predictor_is_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<ShapePredictor>();
}
