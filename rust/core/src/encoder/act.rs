//! One sample's activations, laid out channel-major (C×H×W) like a dlib tensor.

/// A reusable C×H×W buffer. Its allocation only ever grows, and never shrinks with the shape:
/// the layers of one chip take turns with a few buffers of falling sizes, and truncating a `Vec`
/// for a small layer would make the next chip's first large one zero-fill it again (a few MB
/// per chip).
#[derive(Default, Clone)]
pub struct Act {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    buf: Vec<f32>,
}

impl Act {
    /// An activation holding `data` (`c·h·w` values).
    #[cfg(test)]
    pub fn new(c: usize, h: usize, w: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), c * h * w, "shape and data disagree");
        Self { c, h, w, buf: data }
    }

    /// Sets the shape. Values are left as they were: every producer overwrites all of them.
    pub fn reshape(&mut self, c: usize, h: usize, w: usize) {
        self.c = c;
        self.h = h;
        self.w = w;
        grown(&mut self.buf, c * h * w);
    }

    /// Elements in one channel's plane.
    pub fn plane(&self) -> usize {
        self.h * self.w
    }

    /// The `c·h·w` values.
    pub fn data(&self) -> &[f32] {
        &self.buf[..self.c * self.h * self.w]
    }

    /// The `c·h·w` values, to write.
    pub fn data_mut(&mut self) -> &mut [f32] {
        let len = self.c * self.h * self.w;
        &mut self.buf[..len]
    }
}

/// The first `len` values of a scratch buffer, grown (never shrunk, for the reason on [`Act`])
/// to hold them. What they hold is left from earlier use: callers overwrite what they read.
pub fn grown(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}
