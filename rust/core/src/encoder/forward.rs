//! The forward pass for one 150×150 RGB chip, and a batch that runs chips in parallel.

use super::act::Act;
use super::arch::{CHIP_SIZE, ENCODING_DIM, FEATURES};
use super::conv::Scratch;
use super::model::Network;
use super::ops::{add_relu, add_relu_padded, avg_pool_2x2, global_mean, max_pool};
use crate::CoreError;
use rayon::prelude::*;
use std::cell::RefCell;

/// Bytes of one chip: `CHIP_SIZE` rows of `CHIP_SIZE` RGB pixels (H×W×C, as numpy holds it).
pub const CHIP_BYTES: usize = CHIP_SIZE * CHIP_SIZE * 3;

/// Buffers for one forward pass, reused across calls: after the first chip a thread allocates
/// nothing more.
#[derive(Default)]
pub struct Workspace {
    x: Act,
    t: Act,
    u: Act,
    s: Act,
    scratch: Scratch,
    features: Vec<f32>,
}

thread_local! {
    /// One workspace per thread, so rayon's workers each keep theirs between chips and batches.
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

impl Network {
    /// The 128-d encoding of one chip (`CHIP_BYTES` bytes, H×W×C RGB), into `out`.
    ///
    /// # Panics
    /// If `chip` or `out` has the wrong length; [`Network::encode_batch`] checks them for callers.
    pub fn encode_into(&self, chip: &[u8], ws: &mut Workspace, out: &mut [f32]) {
        assert_eq!(chip.len(), CHIP_BYTES, "a chip is 150x150x3 bytes");
        assert_eq!(out.len(), ENCODING_DIM, "an encoding has 128 values");
        let Workspace {
            x,
            t,
            u,
            s,
            scratch,
            features,
        } = ws;
        self.input(chip, x);
        self.stem.forward(x, t, scratch, true);
        // `features` is free until the end: it lends the pool its row buffer.
        max_pool(t, x, 3, 2, features);
        for block in &self.blocks {
            block.first.forward(x, t, scratch, true);
            block.second.forward(t, u, scratch, false);
            if block.down {
                avg_pool_2x2(x, s);
                add_relu_padded(u, s, x);
            } else {
                add_relu(x, u);
            }
        }
        features.resize(FEATURES, 0.0);
        global_mean(x, features);
        // fc weights are [inputs][outputs]: out[j] = Σ_i features[i] · w[i][j].
        out.fill(0.0);
        for (&f, row) in features.iter().zip(self.fc.chunks_exact(ENCODING_DIM)) {
            out.iter_mut().zip(row).for_each(|(o, &w)| *o += f * w);
        }
    }

    /// dlib's `input_rgb_image_sized::to_tensor`: `(pixel − mean) / 256`, channel-major.
    fn input(&self, chip: &[u8], x: &mut Act) {
        let plane = CHIP_SIZE * CHIP_SIZE;
        x.reshape(3, CHIP_SIZE, CHIP_SIZE);
        for (c, mean) in self.means.iter().enumerate() {
            let dst = &mut x.data_mut()[c * plane..(c + 1) * plane];
            for (d, px) in dst.iter_mut().zip(chip.chunks_exact(3)) {
                *d = (f32::from(px[c]) - mean) / 256.0;
            }
        }
    }

    /// Encodings of `chips` (`n · CHIP_BYTES` bytes, n chips one after another), as `n · 128`
    /// values, the chips spread over rayon's threads.
    pub fn encode_batch(&self, chips: &[u8]) -> Result<Vec<f32>, CoreError> {
        if !chips.len().is_multiple_of(CHIP_BYTES) {
            return Err(CoreError::InvalidArgument(format!(
                "chips must be 150x150 RGB images ({CHIP_BYTES} bytes each); got {} bytes",
                chips.len()
            )));
        }
        let mut out = vec![0f32; chips.len() / CHIP_BYTES * ENCODING_DIM];
        out.par_chunks_exact_mut(ENCODING_DIM)
            .zip(chips.par_chunks_exact(CHIP_BYTES))
            .for_each(|(encoding, chip)| {
                WORKSPACE.with(|ws| self.encode_into(chip, &mut ws.borrow_mut(), encoding));
            });
        Ok(out)
    }
}
