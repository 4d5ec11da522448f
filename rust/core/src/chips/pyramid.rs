//! dlib's `pyramid_down<2>` for RGB images (`dlib/image_transforms/image_pyramid.h`): a 5×5
//! binomial blur (1 4 6 4 1, separable) in 16-bit integers, keeping every other row and column,
//! divided by 256 and truncated. The output is `(rows - 3) / 2 × (cols - 3) / 2`; an image of
//! 8 rows or columns or fewer gives an empty one.

/// A window onto RGB pixels: `height` rows of `width` pixels, rows `stride` bytes apart.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub pixels: &'a [u8],
    pub stride: usize,
    pub width: usize,
    pub height: usize,
}

impl View<'_> {
    /// The three channels of the pixel at (x, y), which must be inside.
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> &[u8] {
        &self.pixels[y * self.stride + 3 * x..][..3]
    }
}

/// An image the pyramid made (row-major RGB).
pub(crate) struct Level {
    pub pixels: Vec<u8>,
    pub width: usize,
    pub height: usize,
}

impl Level {
    pub fn view(&self) -> View<'_> {
        View {
            pixels: &self.pixels,
            stride: 3 * self.width,
            width: self.width,
            height: self.height,
        }
    }
}

/// One level down.
pub(crate) fn down(original: View<'_>) -> Level {
    if original.height <= 8 || original.width <= 8 {
        return Level {
            pixels: Vec::new(),
            width: 0,
            height: 0,
        };
    }
    let cols = (original.width - 3) / 2;
    let rows = (original.height - 3) / 2;
    // Row filter over every source row, every other column: at most 16 · 255, fits u16.
    let mut temp = vec![0u16; original.height * cols * 3];
    for r in 0..original.height {
        let out = &mut temp[r * cols * 3..][..cols * 3];
        for c in 0..cols {
            for ch in 0..3 {
                let p = |dx: usize| u16::from(original.at(2 * c + dx, r)[ch]);
                out[3 * c + ch] = p(0) + p(1) * 4 + p(2) * 6 + p(3) * 4 + p(4);
            }
        }
    }
    // Column filter on every other row from row 2: at most 256 · 255, still fits u16.
    let mut pixels = vec![0u8; rows * cols * 3];
    for (dr, out) in pixels.chunks_exact_mut(cols * 3).enumerate() {
        let r = 2 + 2 * dr;
        let row = |k: usize| &temp[(r + k - 2) * cols * 3..][..cols * 3];
        let (a, b, c, d, e) = (row(0), row(1), row(2), row(3), row(4));
        for i in 0..cols * 3 {
            let sum = a[i] + b[i] * 4 + c[i] * 6 + d[i] * 4 + e[i];
            out[i] = (sum / 256) as u8;
        }
    }
    Level {
        pixels,
        width: cols,
        height: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(pixels: &[u8], width: usize, height: usize) -> Level {
        down(View {
            pixels,
            stride: 3 * width,
            width,
            height,
        })
    }

    #[test]
    fn sizes_follow_dlib() {
        assert_eq!(level(&[0; 8 * 20 * 3], 20, 8).height, 0);
        let l = level(&[0; 9 * 20 * 3], 20, 9);
        assert_eq!((l.width, l.height), (8, 3));
        let l = level(&[0; 10 * 10 * 3], 10, 10);
        assert_eq!((l.width, l.height), (3, 3));
    }

    #[test]
    fn a_flat_image_stays_flat() {
        // The weights sum to 16 · 16 = 256, so v · 256 / 256 = v exactly, white included.
        let l = level(&[255; 12 * 12 * 3], 12, 12);
        assert!(l.pixels.iter().all(|&v| v == 255));
        let l = level(&[7; 12 * 12 * 3], 12, 12);
        assert!(l.pixels.iter().all(|&v| v == 7));
    }

    #[test]
    fn one_bright_pixel_spreads_with_binomial_weights() {
        // A single 255 at source (6, 6) reaches output (2, 2) (centred on source 2·2 + 2 = 6)
        // with weight 6·6 / 256, and output (2, 1) (centred on source row 4) with 6·1 / 256.
        let mut pixels = vec![0u8; 12 * 12 * 3];
        pixels[(6 * 12 + 6) * 3] = 255;
        let l = level(&pixels, 12, 12);
        let red = |x: usize, y: usize| l.pixels[(y * l.width + x) * 3];
        assert_eq!(red(2, 2), (255 * 36 / 256) as u8);
        assert_eq!(red(2, 1), (255 * 6 / 256) as u8);
        assert_eq!(l.pixels[(2 * l.width + 2) * 3 + 1], 0);
    }
}
