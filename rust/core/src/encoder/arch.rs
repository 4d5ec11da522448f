//! The one network this reader accepts: `anet_type` of dlib's `dnn_face_recognition_ex.cpp`.
//!
//! ```text
//! loss_metric<fc_no_bias<128, avg_pool_everything<
//!     alevel0<alevel1<alevel2<alevel3<alevel4<
//!     max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>>>>>>>
//! ```
//!
//! Both the reader (which layer record comes next) and the forward pass (which block runs next)
//! are derived from [`blocks`], so the two cannot disagree.

/// Side of the square RGB chip the network takes.
pub const CHIP_SIZE: usize = 150;
/// Length of an encoding.
pub const ENCODING_DIM: usize = 128;
/// Filters of the first convolution.
pub const STEM_FILTERS: usize = 32;
/// Side of the first convolution's filters.
pub const STEM_SIZE: usize = 7;
/// Channels reaching the final average and the fully connected layer.
pub const FEATURES: usize = 256;

/// One residual block: `ares<N>` (`down == false`) or `ares_down<N>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSpec {
    pub inputs: usize,
    pub filters: usize,
    pub down: bool,
}

/// The residual blocks from the input up: alevel4 (3 × ares<32>), alevel3 (ares_down<64> +
/// 3 × ares<64>), alevel2 (ares_down<128> + 2 × ares<128>), alevel1 (ares_down<256> +
/// 2 × ares<256>), alevel0 (ares_down<256>).
pub fn blocks() -> Vec<BlockSpec> {
    let stages: [(usize, bool, usize); 5] = [
        (32, false, 3),
        (64, true, 3),
        (128, true, 2),
        (256, true, 2),
        (256, true, 0),
    ];
    let mut out = Vec::new();
    let mut channels = STEM_FILTERS;
    for (filters, down, plain) in stages {
        if down {
            out.push(BlockSpec {
                inputs: channels,
                filters,
                down: true,
            });
            channels = filters;
        }
        for _ in 0..plain {
            out.push(BlockSpec {
                inputs: channels,
                filters,
                down: false,
            });
        }
    }
    out
}

/// A layer of the network as the file records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Con {
        inputs: usize,
        filters: usize,
        size: usize,
        stride: usize,
    },
    Affine {
        channels: usize,
    },
    Relu,
    MaxPool {
        size: usize,
        stride: usize,
    },
    /// `size == 0` averages over everything (`avg_pool_everything`).
    AvgPool {
        size: usize,
        stride: usize,
    },
    AddPrev,
    /// `tag1`/`tag2` and `skip1` record nothing but a version number.
    Tag,
    Skip,
    Fc {
        inputs: usize,
        outputs: usize,
    },
}

impl Layer {
    /// dlib's default padding for convolutions and pools: only stride-1 layers are padded.
    pub fn padding(size: usize, stride: usize) -> usize {
        if stride == 1 { size / 2 } else { 0 }
    }
}

/// Every layer from the input up (the input layer and the loss excluded).
pub fn layers() -> Vec<Layer> {
    let mut out = vec![
        Layer::Con {
            inputs: 3,
            filters: STEM_FILTERS,
            size: STEM_SIZE,
            stride: 2,
        },
        Layer::Affine {
            channels: STEM_FILTERS,
        },
        Layer::Relu,
        Layer::MaxPool { size: 3, stride: 2 },
    ];
    for block in blocks() {
        let f = block.filters;
        // block<N,affine,stride> = affine<con<N,3,3,1,1,relu<affine<con<N,3,3,stride,stride,..>>>>>
        out.push(Layer::Tag);
        out.push(Layer::Con {
            inputs: block.inputs,
            filters: f,
            size: 3,
            stride: if block.down { 2 } else { 1 },
        });
        out.push(Layer::Affine { channels: f });
        out.push(Layer::Relu);
        out.push(Layer::Con {
            inputs: f,
            filters: f,
            size: 3,
            stride: 1,
        });
        out.push(Layer::Affine { channels: f });
        if block.down {
            // add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<..., tag1<SUBNET>>>>>>
            out.extend([
                Layer::Tag,
                Layer::Skip,
                Layer::AvgPool { size: 2, stride: 2 },
            ]);
        }
        out.extend([Layer::AddPrev, Layer::Relu]);
    }
    out.push(Layer::AvgPool { size: 0, stride: 1 });
    out.push(Layer::Fc {
        inputs: FEATURES,
        outputs: ENCODING_DIM,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_has_29_convolutions_and_14_additions() {
        let layers = layers();
        let count = |f: fn(&Layer) -> bool| layers.iter().filter(|l| f(l)).count();
        assert_eq!(count(|l| matches!(l, Layer::Con { .. })), 29);
        assert_eq!(count(|l| matches!(l, Layer::Affine { .. })), 29);
        assert_eq!(count(|l| matches!(l, Layer::AddPrev)), 14);
        assert_eq!(blocks().last().unwrap().filters, FEATURES);
    }
}
