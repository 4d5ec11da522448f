//! One sample's activations, laid out channel-major (C×H×W) like a dlib tensor.

/// A reusable C×H×W buffer: reshaping keeps the allocation, so a warm workspace allocates
/// nothing per chip.
#[derive(Default, Clone)]
pub struct Act {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub data: Vec<f32>,
}

impl Act {
    /// Sets the shape. Values are left as they were: every producer overwrites all of them.
    pub fn reshape(&mut self, c: usize, h: usize, w: usize) {
        self.c = c;
        self.h = h;
        self.w = w;
        self.data.resize(c * h * w, 0.0);
    }

    /// Elements in one channel's plane.
    pub fn plane(&self) -> usize {
        self.h * self.w
    }
}
