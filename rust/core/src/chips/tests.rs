//! Chips of synthetic images, whose right answer is known without dlib. Pixel parity with
//! `dlib.get_face_chip` is checked from Python (tests/test_rust_landmarks.py).

use super::details::MAX_CHIP_SIZE;
use super::*;
use crate::CoreError;
use crate::landmarks::transform::rotate_point;

const MEAN_5: [[f64; 2]; 5] = [
    [0.8595674595992, 0.2134981538014],
    [0.6460604764104, 0.2289674387677],
    [0.1205750620789, 0.2137274526848],
    [0.3340850613712, 0.2290642403242],
    [0.4901123135679, 0.6277975316475],
];

/// The 5-point mean face scaled to `scale` pixels, turned by `angle` and moved to `origin`.
fn face(scale: f64, angle: f64, origin: [f64; 2]) -> Vec<Point> {
    MEAN_5
        .iter()
        .map(|m| {
            let [x, y] = rotate_point([0.0, 0.0], [m[0] * scale, m[1] * scale], angle);
            Point {
                x: (x + origin[0]).round() as i64,
                y: (y + origin[1]).round() as i64,
            }
        })
        .collect()
}

/// An image whose red channel is `x / step`, green `y / step` (mod 256), blue 100.
fn gradient(width: usize, height: usize, step: usize) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            pixels.extend([(x / step) as u8, (y / step) as u8, 100]);
        }
    }
    pixels
}

#[test]
fn an_upright_face_gives_an_upright_chip_of_its_size() {
    let d = face_chip_details(&face(600.0, 0.0, [100.0, 50.0]), 150, 0.0).unwrap();
    assert!(d.angle.abs() < 1e-3, "{}", d.angle);
    assert_eq!((d.rows, d.cols), (150, 150));
    // Padding 0: the chip covers the mean face's unit square, 600 pixels.
    assert!((d.rect.width() - 600.0).abs() < 2.0, "{:?}", d.rect);
    assert!((d.rect.left - 100.0).abs() < 2.0 && (d.rect.top - 50.0).abs() < 2.0);
    // Padding 0.25 widens it by half.
    let d = face_chip_details(&face(600.0, 0.0, [100.0, 50.0]), 150, 0.25).unwrap();
    assert!((d.rect.width() - 900.0).abs() < 3.0, "{:?}", d.rect);
}

#[test]
fn a_turned_face_gives_its_angle() {
    let d = face_chip_details(&face(300.0, 0.5, [400.0, 100.0]), 150, 0.25).unwrap();
    assert!((d.angle - 0.5).abs() < 1e-2, "{}", d.angle);
}

#[test]
fn the_68_point_scheme_aligns_on_its_33_stable_points() {
    // Moving the jaw line, eyebrows and lower lip changes nothing; moving an eye does.
    let base: Vec<Point> = (0..68)
        .map(|i| Point {
            x: 100 + (i * 37 % 200),
            y: 80 + (i * 53 % 210),
        })
        .collect();
    let reference = face_chip_details(&base, 150, 0.25).unwrap();
    let mut unused = base.clone();
    for i in (0..17).chain(17..27).chain(55..60).chain(65..68) {
        unused[i].x += 1000;
    }
    assert_eq!(face_chip_details(&unused, 150, 0.25).unwrap(), reference);
    let mut eye = base;
    eye[36].x += 5;
    assert_ne!(face_chip_details(&eye, 150, 0.25).unwrap(), reference);
}

#[test]
fn bad_arguments_are_refused() {
    let five = face(100.0, 0.0, [0.0, 0.0]);
    for (parts, size, padding) in [
        (&five[..4], 150, 0.25),
        (&five[..], 0, 0.25),
        (&five[..], MAX_CHIP_SIZE + 1, 0.25),
        (&five[..], 150, -0.1),
        (&five[..], 150, f64::NAN),
    ] {
        assert!(matches!(
            face_chip_details(parts, size, padding),
            Err(CoreError::InvalidArgument(_))
        ));
    }
}

/// Where chip pixel (x, y) samples the image, for an upright chip of `details`.
fn source(d: &ChipDetails, x: usize, y: usize) -> [f64; 2] {
    let s = (d.rect.width() - 1.0) / (d.cols as f64 - 1.0);
    [d.rect.left + x as f64 * s, d.rect.top + y as f64 * s]
}

#[test]
fn a_chip_samples_the_image_where_its_rectangle_lies() {
    // A face 150 pixels wide (no pyramid) and one 400 wide (one pyramid level) on gradients
    // whose red is x / step and green y / step: each chip pixel holds the gradient's value at
    // its place in the image, less truncations. With the pyramid, dlib's level coordinates are
    // p/2 - (1.25, 0.75), while a level pixel is centred on source pixel 2p + 2, and the blurred
    // staircase truncates to one less: red reads 1.25 low and green 0.75 low before the
    // interpolation's own truncation.
    for (scale, step, [red_low, green_low]) in [(150.0, 1, [0.0, 0.0]), (400.0, 2, [1.25, 0.75])] {
        let pixels = gradient(1000, 1000, step);
        let image = RgbImage::new(&pixels, 1000, 1000).unwrap();
        let parts = face(scale, 0.0, [50.0, 40.0]);
        let d = face_chip_details(&parts, 150, 0.0).unwrap();
        let chip = face_chip(&image, &parts, 150, 0.0).unwrap();
        for (y, x) in [(0, 0), (10, 140), (75, 75), (149, 3), (120, 149)] {
            let [sx, sy] = source(&d, x, y);
            let got = &chip[(y * 150 + x) * 3..][..3];
            let red = sx / step as f64 - red_low - f64::from(got[0]);
            let green = sy / step as f64 - green_low - f64::from(got[1]);
            assert!((-0.1..1.1).contains(&red), "{scale} {x} {y}: red {red}");
            assert!(
                (-0.1..1.1).contains(&green),
                "{scale} {x} {y}: green {green}"
            );
            assert_eq!(got[2], 100);
        }
    }
}

#[test]
fn a_face_outside_the_image_gives_a_black_chip() {
    let pixels = gradient(200, 200, 1);
    let image = RgbImage::new(&pixels, 200, 200).unwrap();
    for origin in [[5000.0, 5000.0], [-900.0, 10.0]] {
        let chip = face_chip(&image, &face(300.0, 0.2, origin), 150, 0.25).unwrap();
        assert!(chip.iter().all(|&v| v == 0));
    }
    // Half outside: the outside half is black, the inside half is not.
    let chip = face_chip(&image, &face(150.0, 0.0, [-75.0, 20.0]), 150, 0.0).unwrap();
    assert_eq!(&chip[(75 * 150 + 5) * 3..][..3], &[0, 0, 0]);
    assert_ne!(&chip[(75 * 150 + 140) * 3..][..3], &[0, 0, 0]);
}

#[test]
fn an_unscaled_upright_chip_is_a_plain_copy() {
    let pixels = gradient(50, 40, 1);
    let image = RgbImage::new(&pixels, 50, 40).unwrap();
    let d = ChipDetails {
        rect: DRect {
            left: -2.0,
            top: 3.0,
            right: 7.0,
            bottom: 12.0,
        },
        angle: 0.0,
        rows: 10,
        cols: 10,
    };
    let chip = extract_image_chip(&image, &d).unwrap();
    for y in 0..10 {
        for x in 0..10 {
            let (sx, sy) = (x as i64 - 2, y as i64 + 3);
            let want = if sx < 0 {
                [0, 0, 0]
            } else {
                [sx as u8, sy as u8, 100]
            };
            assert_eq!(&chip[(y * 10 + x) * 3..][..3], &want);
        }
    }
}

#[test]
fn many_faces_are_each_cut_on_their_own() {
    let pixels = gradient(800, 600, 2);
    let image = RgbImage::new(&pixels, 800, 600).unwrap();
    let faces = vec![
        face(200.0, 0.1, [50.0, 40.0]),
        face(500.0, -0.3, [250.0, 60.0]),
        face(90.0, 0.0, [700.0, 500.0]),
    ];
    let all = face_chips(&image, &faces, 120, 0.25).unwrap();
    assert_eq!(all.len(), 3 * 120 * 120 * 3);
    for (i, parts) in faces.iter().enumerate() {
        let one = face_chip(&image, parts, 120, 0.25).unwrap();
        assert_eq!(&all[i * one.len()..][..one.len()], &one[..]);
    }
    assert!(face_chips(&image, &[faces[0].clone(), vec![]], 120, 0.25).is_err());
    assert!(face_chips(&image, &[], 120, 0.25).unwrap().is_empty());
    assert!(face_chips(&image, &[], 0, 0.25).is_err());
}

#[test]
fn degenerate_landmarks_and_empty_images_do_not_panic() {
    let same = vec![Point { x: 10, y: 10 }; 5];
    let far = vec![
        Point {
            x: i64::MAX,
            y: i64::MIN
        };
        5
    ];
    let pixels = gradient(30, 30, 1);
    for image in [
        RgbImage::new(&pixels, 30, 30).unwrap(),
        RgbImage::new(&[], 0, 0).unwrap(),
    ] {
        for parts in [&same, &far] {
            let chip = face_chip(&image, parts, 150, 0.25).unwrap();
            assert_eq!(chip.len(), 150 * 150 * 3);
        }
    }
    let infinite = ChipDetails {
        rect: DRect {
            left: f64::NEG_INFINITY,
            top: 0.0,
            right: f64::INFINITY,
            bottom: 10.0,
        },
        angle: 0.1,
        rows: 4,
        cols: 4,
    };
    let image = RgbImage::new(&pixels, 30, 30).unwrap();
    assert!(extract_image_chip(&image, &infinite).is_ok());
}
