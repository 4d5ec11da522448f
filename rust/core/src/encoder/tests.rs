//! Tests against the real model file: it loads, and altered copies are refused with typed errors.
//!
//! The file is never copied into the repository. It is found through `FACEGATE_DLIB_MODEL`, or
//! else in the workspace's `.venv` (where `face_recognition_models` installs it); when neither
//! has it, these tests skip with a note, as the CI's Rust job has no Python environment.

use super::arch::ENCODING_DIM;
use super::find_model;
use super::{CHIP_BYTES, Network};
use crate::CoreError;
use std::sync::OnceLock;

const MODEL_LEN: usize = 22_466_066;

/// The model's bytes, read once for all tests; `None` (and a note) when it is not installed.
fn model_bytes() -> Option<&'static [u8]> {
    static BYTES: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    let bytes = BYTES.get_or_init(|| {
        let found = find_model().and_then(|p| std::fs::read(p).ok());
        if found.is_none() {
            eprintln!("skipped: set FACEGATE_DLIB_MODEL to dlib_face_recognition_resnet_model_v1.dat to run this test");
        }
        found
    });
    bytes.as_deref()
}

fn refusal(bytes: &[u8]) -> (u64, String) {
    match Network::from_bytes(bytes) {
        Err(CoreError::ModelFormat { offset, what }) => (offset, what),
        Err(other) => panic!("wrong error: {other:?}"),
        Ok(_) => panic!("an altered file was accepted"),
    }
}

#[test]
fn the_real_model_loads_with_its_29_convolutions() {
    let Some(bytes) = model_bytes() else { return };
    assert_eq!(bytes.len(), MODEL_LEN);
    let net = Network::from_bytes(bytes).unwrap();
    assert_eq!(net.blocks.len(), 14);
    assert!((net.means[0] - 122.782).abs() < 1e-3);
    let encodings = net.encode_batch(&vec![128u8; 2 * CHIP_BYTES]).unwrap();
    assert_eq!(encodings.len(), 2 * ENCODING_DIM);
    assert_eq!(encodings[..ENCODING_DIM], encodings[ENCODING_DIM..]);
    let norm = encodings[..ENCODING_DIM]
        .iter()
        .map(|v| v * v)
        .sum::<f32>()
        .sqrt();
    assert!(norm > 0.1 && norm < 10.0, "norm {norm}");
}

#[test]
fn truncated_copies_are_refused_where_they_end() {
    let Some(bytes) = model_bytes() else { return };
    // Every cut in the header region, then cuts spread over the whole file.
    let cuts = (0..2000)
        .chain((0..bytes.len()).step_by(9973))
        .chain([bytes.len() - 1]);
    for cut in cuts {
        let (offset, what) = refusal(&bytes[..cut]);
        assert!(offset <= cut as u64, "cut {cut}: offset {offset}");
        assert!(what.contains("ends first"), "cut {cut}: {what}");
    }
}

#[test]
fn extended_copies_are_refused_at_the_old_end() {
    let Some(bytes) = model_bytes() else { return };
    for extra in [&[0u8][..], b"1", &[1, 0], &[0; 4096]] {
        let mut longer = bytes.to_vec();
        longer.extend_from_slice(extra);
        assert_eq!(
            refusal(&longer),
            (MODEL_LEN as u64, "the end of the file".to_owned())
        );
    }
}

#[test]
fn flipped_structural_bytes_are_refused() {
    let Some(bytes) = model_bytes() else { return };
    // The header (every version, the loss and input records: the first 336 bytes) and the tail
    // after the last weights. A flip there alters a version, length, dimension or flag (refused)
    // or a scalar this reader ignores (margins, learning rates: still well formed). A flip inside
    // a weight tensor carries no structure: that is a different, well-formed network.
    let positions = (0..336).chain((bytes.len() - 120)..bytes.len());
    let (mut refused, mut total) = (0, 0);
    for pos in positions {
        for mask in [0x01u8, 0x80] {
            let mut altered = bytes.to_vec();
            altered[pos] ^= mask;
            total += 1;
            match Network::from_bytes(&altered) {
                Err(CoreError::ModelFormat { .. }) => refused += 1,
                Err(other) => panic!("byte {pos}: wrong error {other:?}"),
                Ok(_) => {}
            }
        }
    }
    assert!(
        refused * 10 >= total * 8,
        "only {refused} of {total} flips were refused"
    );
}

#[test]
fn every_layer_name_is_checked() {
    let Some(bytes) = model_bytes() else { return };
    let names: [&[u8]; 8] = [
        b"con_4",
        b"affine_",
        b"relu_",
        b"max_pool_2",
        b"avg_pool_2",
        b"add_prev_",
        b"fc_2",
        b"input_rgb_image_sized",
    ];
    let mut checked = 0;
    for name in names {
        // Each name is preceded by its length, written as [1, len].
        let mut needle = vec![1, name.len() as u8];
        needle.extend_from_slice(name);
        let starts = bytes
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle);
        for (start, _) in starts {
            for pos in start..start + needle.len() {
                let mut altered = bytes.to_vec();
                altered[pos] ^= 0x02;
                let (offset, what) = refusal(&altered);
                assert!(offset <= pos as u64, "{what}");
                checked += 1;
            }
        }
    }
    // Name and length bytes of 29 con_4, 29 affine_, 29 relu_, 1 max_pool_2, 5 avg_pool_2,
    // 14 add_prev_, fc_2 and the input layer.
    assert_eq!(checked, 922);
}

#[test]
fn refusals_name_the_offset_and_what_was_expected() {
    let Some(bytes) = model_bytes() else { return };
    let mut altered = bytes.to_vec();
    // "loss_metric_2" begins at byte 4; make it "loss_metric_3".
    altered[16] = b'3';
    let (offset, what) = refusal(&altered);
    assert_eq!(offset, 2);
    assert!(what.contains("loss_metric_2"), "{what}");
    let message = CoreError::ModelFormat { offset, what }.to_string();
    assert!(message.contains("byte 2"), "{message}");
}

/// A chip by the rules of `scripts/dlib-reference` (which wrote dlib's encodings of them).
fn reference_chip(kind: &str, seed: u64) -> Vec<u8> {
    const SIDE: usize = 150;
    let mut chip = Vec::with_capacity(CHIP_BYTES);
    if kind == "noise" {
        let mut s = seed;
        for _ in 0..CHIP_BYTES {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            chip.push((s >> 56) as u8);
        }
        return chip;
    }
    for y in 0..SIDE {
        for x in 0..SIDE {
            let shift = seed as usize;
            let pixel: [usize; 3] = match kind {
                "black" => [0; 3],
                "white" => [255; 3],
                "checker" => [(x + y) % 2 * 255; 3],
                "plane" => std::array::from_fn(|c| if c == shift { 255 } else { 0 }),
                "gradient" => [
                    (x * 255 / (SIDE - 1) + shift) % 256,
                    (y * 255 / (SIDE - 1) + shift) % 256,
                    ((x + y) * 255 / (2 * (SIDE - 1)) + shift) % 256,
                ],
                other => panic!("unknown reference chip {other}"),
            };
            chip.extend(pixel.map(|v| v as u8));
        }
    }
    chip
}

/// Parity with dlib on whichever gemm kernels this build runs (CI runs it once per SIMD path:
/// see `simd_path`): every encoding within 1e-5 of dlib's `compute_face_descriptor`.
#[test]
fn matches_dlib_on_this_simd_path() {
    let Some(bytes) = model_bytes() else { return };
    let net = Network::from_bytes(bytes).unwrap();
    let text = include_str!("../../tests/data/dlib-encodings.json");
    let reference: serde_json::Value = serde_json::from_str(text).unwrap();
    let chips = reference["chips"].as_array().unwrap();
    assert_eq!(chips.len(), 12);
    let mut worst = 0f32;
    for entry in chips {
        let kind = entry["kind"].as_str().unwrap();
        let chip = reference_chip(kind, entry["seed"].as_u64().unwrap());
        let got = net.encode_batch(&chip).unwrap();
        let want = entry["encoding"].as_array().unwrap();
        assert_eq!(want.len(), ENCODING_DIM);
        for (g, w) in got.iter().zip(want) {
            worst = worst.max((g - w.as_f64().unwrap() as f32).abs());
        }
    }
    eprintln!("max |rust - dlib| on {}: {worst:e}", super::simd_path());
    assert!(worst <= 1e-5, "max abs difference {worst}");
}
