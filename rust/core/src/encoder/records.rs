//! The layer records of `dlib_face_recognition_resnet_model_v1.dat`, one reader each.
//!
//! The versions are the ones this file holds (written by dlib 19.x in 2017: `con_4`, `affine_`,
//! `relu_`, `fc_2`, ...); a file written by another dlib under newer names is another file, and
//! is refused with the name that was expected. Field order follows each layer's `serialize` in
//! `dlib/dnn/layers.h`.

use super::arch::{CHIP_SIZE, Layer};
use crate::CoreError;
use crate::serial::Reader;

/// The parameters a layer carries into the network; layers without any give `None`.
pub enum Params {
    /// Filters `[out][in][rows][cols]` and one bias per filter.
    Con { filters: Vec<f32>, biases: Vec<f32> },
    /// Per-channel scale and shift (batch norm reduced at training's end).
    Affine { gamma: Vec<f32>, beta: Vec<f32> },
    /// Weights `[inputs][outputs]`.
    Fc { weights: Vec<f32> },
}

fn dim(n: usize) -> i64 {
    n as i64
}

/// `add_loss_layer` version 1 and `loss_metric_2` (margin and distance threshold, unused here).
pub fn loss(r: &mut Reader<'_>) -> Result<(), CoreError> {
    r.expect_signed(4, 1, "the loss layer's version")?;
    r.expect_str("loss_metric_2", "the loss layer's name")?;
    r.f32("the metric loss's margin")?;
    r.f32("the metric loss's distance threshold")?;
    Ok(())
}

/// `input_rgb_image_sized`: the per-channel means subtracted from each pixel, and the size.
pub fn input(r: &mut Reader<'_>) -> Result<[f32; 3], CoreError> {
    r.expect_str("input_rgb_image_sized", "the input layer's name")?;
    let mut means = [0f32; 3];
    for (mean, what) in means.iter_mut().zip(["red", "green", "blue"]) {
        let label = format!("the mean {what} value (between 0 and 255)");
        let at = r.offset();
        let value = r.f32(&label)?;
        if !(0.0..=255.0).contains(&value) {
            return Err(Reader::error_at(at, label));
        }
        *mean = value;
    }
    r.expect_unsigned(8, CHIP_SIZE as u64, "the input rows")?;
    r.expect_unsigned(8, CHIP_SIZE as u64, "the input columns")?;
    Ok(means)
}

/// Four learning-rate and weight-decay multipliers, training state this reader skips (but
/// still checks are well-formed numbers).
fn multipliers(r: &mut Reader<'_>, layer: &str) -> Result<(), CoreError> {
    for _ in 0..4 {
        r.f64(&format!(
            "a {layer} learning-rate or weight-decay multiplier"
        ))?;
    }
    Ok(())
}

/// The details of one layer (what `serialize(item.details)` wrote).
pub fn details(r: &mut Reader<'_>, layer: Layer) -> Result<Option<Params>, CoreError> {
    match layer {
        Layer::Con {
            inputs,
            filters,
            size,
            stride,
        } => con(r, inputs, filters, size, stride).map(Some),
        Layer::Affine { channels } => affine(r, channels).map(Some),
        Layer::Relu => r
            .expect_str("relu_", "the relu layer's name")
            .map(|()| None),
        Layer::MaxPool { size, stride } => pool(r, "max_pool_2", size, stride).map(|()| None),
        Layer::AvgPool { size, stride } => pool(r, "avg_pool_2", size, stride).map(|()| None),
        Layer::AddPrev => r
            .expect_str("add_prev_", "the addition layer's name")
            .map(|()| None),
        Layer::Fc { inputs, outputs } => fc(r, inputs, outputs).map(Some),
        // Tags and skips have no details; the caller never asks.
        Layer::Tag | Layer::Skip => Ok(None),
    }
}

fn con(
    r: &mut Reader<'_>,
    inputs: usize,
    filters: usize,
    size: usize,
    stride: usize,
) -> Result<Params, CoreError> {
    r.expect_str("con_4", "the convolution layer's name")?;
    let weights = filters * inputs * size * size;
    let mut params = r.tensor(
        [dim(weights + filters), 1, 1, 1],
        "the convolution's parameters",
    )?;
    r.expect_signed(8, dim(filters), "the convolution's filter count")?;
    r.expect_signed(8, dim(size), "the convolution's filter rows")?;
    r.expect_signed(8, dim(size), "the convolution's filter columns")?;
    r.expect_signed(4, dim(stride), "the convolution's vertical stride")?;
    r.expect_signed(4, dim(stride), "the convolution's horizontal stride")?;
    let pad = dim(Layer::padding(size, stride));
    r.expect_signed(4, pad, "the convolution's vertical padding")?;
    r.expect_signed(4, pad, "the convolution's horizontal padding")?;
    r.alias_tensor(
        [dim(filters), dim(inputs), dim(size), dim(size)],
        "the convolution's filters",
    )?;
    r.alias_tensor([1, dim(filters), 1, 1], "the convolution's biases")?;
    multipliers(r, "convolution")?;
    let biases = params.split_off(weights);
    Ok(Params::Con {
        filters: params,
        biases,
    })
}

fn affine(r: &mut Reader<'_>, channels: usize) -> Result<Params, CoreError> {
    r.expect_str("affine_", "the affine layer's name")?;
    let mut gamma = r.tensor(
        [dim(2 * channels), 1, 1, 1],
        "the affine layer's parameters",
    )?;
    r.alias_tensor([1, dim(channels), 1, 1], "the affine layer's gamma")?;
    r.alias_tensor([1, dim(channels), 1, 1], "the affine layer's beta")?;
    // layer_mode CONV_MODE (0): one scale and shift per channel.
    r.expect_signed(4, 0, "the affine layer's mode (per channel)")?;
    let beta = gamma.split_off(channels);
    Ok(Params::Affine { gamma, beta })
}

fn pool(r: &mut Reader<'_>, name: &str, size: usize, stride: usize) -> Result<(), CoreError> {
    r.expect_str(name, "the pooling layer's name")?;
    r.expect_signed(8, dim(size), "the pooling window's rows")?;
    r.expect_signed(8, dim(size), "the pooling window's columns")?;
    r.expect_signed(4, dim(stride), "the pooling's vertical stride")?;
    r.expect_signed(4, dim(stride), "the pooling's horizontal stride")?;
    let pad = dim(Layer::padding(size, stride));
    r.expect_signed(4, pad, "the pooling's vertical padding")?;
    r.expect_signed(4, pad, "the pooling's horizontal padding")
}

fn fc(r: &mut Reader<'_>, inputs: usize, outputs: usize) -> Result<Params, CoreError> {
    r.expect_str("fc_2", "the fully connected layer's name")?;
    r.expect_unsigned(8, outputs as u64, "the fully connected layer's outputs")?;
    r.expect_unsigned(8, inputs as u64, "the fully connected layer's inputs")?;
    let weights = r.tensor(
        [dim(inputs), dim(outputs), 1, 1],
        "the fully connected layer's weights",
    )?;
    r.alias_tensor(
        [dim(inputs), dim(outputs), 1, 1],
        "the fully connected layer's weight view",
    )?;
    r.alias_tensor([0, 0, 0, 0], "the fully connected layer's (absent) biases")?;
    // fc_bias_mode FC_NO_BIAS (1).
    r.expect_signed(4, 1, "the fully connected layer's bias mode (no bias)")?;
    multipliers(r, "fully connected")?;
    Ok(Params::Fc { weights })
}

/// What `add_layer` writes after a layer's details: three flags and three empty tensors
/// (gradients and cached outputs are not saved), and for the layer on the input, the sample
/// expansion factor.
pub fn tail(r: &mut Reader<'_>, on_input: bool) -> Result<(), CoreError> {
    r.bool("the layer's set-up flag")?;
    r.bool("the layer's stale-gradient flag")?;
    r.bool("the layer's disabled-output flag")?;
    for what in ["gradient", "cached output", "parameter gradient"] {
        r.tensor([0, 0, 0, 0], &format!("the layer's (empty) {what}"))?;
    }
    if on_input {
        r.expect_unsigned(4, 1, "the sample expansion factor")?;
    }
    Ok(())
}
