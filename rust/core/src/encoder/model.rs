//! Reading `dlib_face_recognition_resnet_model_v1.dat` into a [`Network`].
//!
//! dlib writes a network recursively from the loss down: each layer writes its version, then its
//! whole subnetwork, then its own details. The file therefore holds every layer's version number
//! from the outside in, then the input layer, then every layer's details from the input out.
//! The reader walks [`arch::layers`] in that order, so each record is checked against the layer
//! that must be there; then it checks that nothing follows the last one.

use super::arch::{self, BlockSpec, ENCODING_DIM, FEATURES, Layer};
use super::conv::{Conv, FILTER_MAJOR_MIN};
use super::records::{self, Params};
use crate::CoreError;
use crate::serial::{self, Reader};
use std::path::Path;

/// The size of the one file this reader accepts, for a clear refusal of a much larger file
/// before it is read into memory (the reader checks the exact length anyway).
const MAX_FILE_BYTES: u64 = 64 << 20;

/// One residual block with its two folded convolutions.
#[derive(Clone)]
pub(crate) struct Block {
    pub first: Conv,
    pub second: Conv,
    /// `ares_down`: stride-2 first convolution and a 2×2 average-pooled shortcut.
    pub down: bool,
}

/// dlib's face-recognition ResNet, ready to run: affine layers folded into the convolutions.
/// Immutable after loading, so one instance serves any number of threads. Deliberately not
/// `Debug`: printing it would dump 5.6 million weights.
#[derive(Clone)]
pub struct Network {
    /// Per-channel values (R, G, B) subtracted from each pixel before dividing by 256.
    pub(crate) means: [f32; 3],
    pub(crate) stem: Conv,
    pub(crate) blocks: Vec<Block>,
    /// `[FEATURES][ENCODING_DIM]`, as dlib stores it.
    pub(crate) fc: Vec<f32>,
}

impl Network {
    /// Reads and validates the model file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, CoreError> {
        Self::from_bytes(&serial::read_capped(
            path,
            MAX_FILE_BYTES,
            "the model is about 22 MB",
        )?)
    }

    /// Parses the model from its bytes, refusing anything but the exact network.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        let layers = arch::layers();
        let mut r = Reader::new(bytes);
        records::loss(&mut r)?;
        // Versions, outermost first: add_layer 2, tag and skip 1, the layer on the input 3.
        for (i, layer) in layers.iter().enumerate().rev() {
            let (version, what) = match layer {
                Layer::Tag => (1, "a tag layer's version"),
                Layer::Skip => (1, "a skip layer's version"),
                _ if i == 0 => (3, "the first layer's version"),
                _ => (2, "a layer's version"),
            };
            r.expect_signed(4, version, what)?;
        }
        let means = records::input(&mut r)?;
        let mut params = Vec::new();
        for (i, &layer) in layers.iter().enumerate() {
            if matches!(layer, Layer::Tag | Layer::Skip) {
                continue;
            }
            if let Some(p) = records::details(&mut r, layer)? {
                params.push((layer, p));
            }
            records::tail(&mut r, i == 0)?;
        }
        r.finish()?;
        Ok(assemble(means, params))
    }
}

/// Builds the network from the parameter records in file order. The reader matched every record
/// to [`arch::layers`], so each convolution is followed by its affine layer and the fully
/// connected layer comes last.
fn assemble(means: [f32; 3], params: Vec<(Layer, Params)>) -> Network {
    let mut convs = Vec::new();
    let mut fc = Vec::new();
    let mut pending = None;
    for (layer, p) in params {
        match (layer, p) {
            (
                Layer::Con {
                    inputs,
                    filters,
                    size,
                    stride,
                },
                Params::Con { filters: w, biases },
            ) => pending = Some((inputs, filters, size, stride, w, biases)),
            (Layer::Affine { .. }, Params::Affine { gamma, beta }) => {
                let (inputs, filters, size, stride, w, b) = pending
                    .take()
                    .expect("an affine layer follows each convolution");
                let pad = Layer::padding(size, stride);
                convs.push(Conv::folded(
                    inputs, filters, size, stride, pad, w, b, &gamma, &beta,
                ));
            }
            (Layer::Fc { .. }, Params::Fc { weights }) => fc = weights,
            _ => unreachable!("records::details returns the parameters of the layer it read"),
        }
    }
    let mut convs = convs.into_iter();
    let mut next = || convs.next().expect("29 convolutions were read");
    let stem = next();
    let blocks = arch::blocks()
        .into_iter()
        .map(|BlockSpec { down, filters, .. }| {
            // From 64 filters on, outputs are 17×17 or smaller: fewer positions than weights.
            let order = |c: Conv| {
                if filters >= FILTER_MAJOR_MIN {
                    c.filter_major()
                } else {
                    c
                }
            };
            Block {
                first: order(next()),
                second: order(next()),
                down,
            }
        })
        .collect();
    debug_assert_eq!(fc.len(), FEATURES * ENCODING_DIM);
    Network {
        means,
        stem,
        blocks,
        fc,
    }
}
