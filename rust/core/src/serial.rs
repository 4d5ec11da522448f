//! dlib's serialization primitives (`dlib/serialize.h`, `dlib/cuda/tensor.h`), read strictly: shared by
//! the readers of dlib's model files (the encoder's network, the face detector, the shape predictors).
//!
//! dlib accepts a few encodings its writer never produces (reserved bits in an integer's control
//! byte, the old ASCII floats). This reader accepts only what dlib writes, so any altered byte in
//! a length, a version or a dimension is refused rather than silently reinterpreted. Errors carry
//! the offset where the item began and what was expected, never the bytes found.

use crate::CoreError;

/// A cursor over the model's bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// Largest binary exponent accepted for a float: the file's scalars are learning rates, margins
/// and channel means, far inside this range, and the bound keeps the conversion exact.
const MAX_EXPONENT: i64 = 200;

/// The bytes of the model file at `path`, read up to `cap` bytes: a file longer than that is
/// refused as soon as the cap is passed (`about` says what size is expected), so an enormous
/// wrong file costs nothing to refuse.
pub fn read_capped(path: &std::path::Path, cap: u64, about: &str) -> Result<Vec<u8>, CoreError> {
    use std::io::Read;
    let io = |e: std::io::Error| CoreError::ModelIo { kind: e.kind() };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(Reader::error_at(
            cap as usize,
            format!("the end of the file ({about})"),
        ));
    }
    Ok(bytes)
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Where the next item begins.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The refusal for the item that began at `at`.
    pub fn error_at(at: usize, what: impl Into<String>) -> CoreError {
        CoreError::ModelFormat {
            offset: at as u64,
            what: what.into(),
        }
    }

    fn take(&mut self, n: usize, at: usize, what: &str) -> Result<&'a [u8], CoreError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| Self::error_at(at, format!("{what} (the file ends first)")))?;
        let taken = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(taken)
    }

    /// An integer of a C++ type `width` bytes wide: a control byte (low nibble = byte count,
    /// 0x80 = negative) then the magnitude, little-endian, in as few bytes as dlib writes.
    fn integer(&mut self, width: usize, signed: bool, what: &str) -> Result<i128, CoreError> {
        let at = self.pos;
        let bad = || Self::error_at(at, what.to_owned());
        let control = self.take(1, at, what)?[0];
        let negative = control & 0x80 != 0;
        let size = usize::from(control & 0x0F);
        if control & 0x70 != 0 || (negative && !signed) || size == 0 || size > width {
            return Err(bad());
        }
        let digits = self.take(size, at, what)?;
        // dlib stops at the first zero remainder, so a leading zero byte or "-0" never occurs.
        if (size > 1 && digits[size - 1] == 0) || (negative && digits == [0]) {
            return Err(bad());
        }
        let magnitude = digits
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        Ok(if negative {
            -i128::from(magnitude)
        } else {
            i128::from(magnitude)
        })
    }

    /// A signed integer of a `width`-byte C++ type (`int` 4, `long`/`long long`/`int64` 8).
    pub fn signed(&mut self, width: usize, what: &str) -> Result<i64, CoreError> {
        let at = self.pos;
        let value = self.integer(width, true, what)?;
        i64::try_from(value).map_err(|_| Self::error_at(at, what.to_owned()))
    }

    /// An unsigned integer of a `width`-byte C++ type (`unsigned int` 4, `unsigned long` 8).
    pub fn unsigned(&mut self, width: usize, what: &str) -> Result<u64, CoreError> {
        let at = self.pos;
        let value = self.integer(width, false, what)?;
        u64::try_from(value).map_err(|_| Self::error_at(at, what.to_owned()))
    }

    /// A signed integer that must equal `expected`.
    pub fn expect_signed(
        &mut self,
        width: usize,
        expected: i64,
        what: &str,
    ) -> Result<(), CoreError> {
        let at = self.pos;
        let label = format!("{what} = {expected}");
        if self.signed(width, &label)? == expected {
            Ok(())
        } else {
            Err(Self::error_at(at, label))
        }
    }

    /// An unsigned integer that must equal `expected`.
    pub fn expect_unsigned(
        &mut self,
        width: usize,
        expected: u64,
        what: &str,
    ) -> Result<(), CoreError> {
        let at = self.pos;
        let label = format!("{what} = {expected}");
        if self.unsigned(width, &label)? == expected {
            Ok(())
        } else {
            Err(Self::error_at(at, label))
        }
    }

    /// dlib's portable float: an `int64` mantissa and an `int16` exponent, value = m · 2^e.
    /// Infinities and NaN (reserved exponents) are refused: no value in this file is one.
    fn float_parts(&mut self, what: &str) -> Result<(i64, i64), CoreError> {
        let at = self.pos;
        let mantissa = self.signed(8, what)?;
        let exponent = self.signed(2, what)?;
        if exponent.abs() > MAX_EXPONENT {
            return Err(Self::error_at(at, format!("{what} (a finite number)")));
        }
        Ok((mantissa, exponent))
    }

    /// A C++ `float`, converted as dlib does (`ldexp((float)mantissa, exponent)`). A float's
    /// mantissa has at most 24 bits, so the conversion is exact.
    pub fn f32(&mut self, what: &str) -> Result<f32, CoreError> {
        let at = self.pos;
        let (mantissa, exponent) = self.float_parts(what)?;
        let value = mantissa as f64 * 2f64.powi(exponent as i32);
        if mantissa.unsigned_abs() >= 1 << 24 || !(value as f32).is_finite() {
            return Err(Self::error_at(at, format!("{what} (a float)")));
        }
        Ok(value as f32)
    }

    /// A C++ `double` (53-bit mantissa).
    pub fn f64(&mut self, what: &str) -> Result<f64, CoreError> {
        let at = self.pos;
        let (mantissa, exponent) = self.float_parts(what)?;
        if mantissa.unsigned_abs() >= 1 << 53 {
            return Err(Self::error_at(at, format!("{what} (a double)")));
        }
        Ok(mantissa as f64 * 2f64.powi(exponent as i32))
    }

    /// A `bool`: the ASCII character '0' or '1'.
    pub fn bool(&mut self, what: &str) -> Result<bool, CoreError> {
        let at = self.pos;
        match self.take(1, at, what)?[0] {
            b'0' => Ok(false),
            b'1' => Ok(true),
            _ => Err(Self::error_at(at, format!("{what} ('0' or '1')"))),
        }
    }

    /// A `std::string` (an `unsigned long` length, then the bytes) that must equal `expected`:
    /// every string in this file is a layer's version name.
    pub fn expect_str(&mut self, expected: &str, what: &str) -> Result<(), CoreError> {
        let at = self.pos;
        let label = format!("{what} \"{expected}\"");
        let len = self.unsigned(8, &label)?;
        if len != expected.len() as u64
            || self.take(expected.len(), at, &label)? != expected.as_bytes()
        {
            return Err(Self::error_at(at, label));
        }
        Ok(())
    }

    /// The four dimensions (n, k, rows, cols) of a tensor or alias tensor, each a `long long`.
    fn dims(&mut self, expected: [i64; 4], what: &str) -> Result<(), CoreError> {
        let [n, k, r, c] = expected;
        let label = format!("{what}: dimensions {n}x{k}x{r}x{c}");
        for want in expected {
            self.expect_signed(8, want, &label)?;
        }
        Ok(())
    }

    /// A tensor (version 2, four dimensions, then n·k·rows·cols little-endian f32) of exactly
    /// the given dimensions. Every value must be finite.
    pub fn tensor(&mut self, expected: [i64; 4], what: &str) -> Result<Vec<f32>, CoreError> {
        self.expect_signed(4, 2, &format!("{what}: tensor version"))?;
        self.dims(expected, what)?;
        let count: usize = expected.iter().map(|&d| d as usize).product();
        let at = self.pos;
        let raw = self.take(count * 4, at, &format!("{what}: {count} float32 values"))?;
        let values: Vec<f32> = raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Self::error_at(
                at + 4 * i,
                format!("{what}: a finite float32"),
            ));
        }
        Ok(values)
    }

    /// An alias tensor (version 1 and four dimensions; it holds no data).
    pub fn alias_tensor(&mut self, expected: [i64; 4], what: &str) -> Result<(), CoreError> {
        self.expect_signed(4, 1, &format!("{what}: alias tensor version"))?;
        self.dims(expected, what)
    }

    /// Refuses anything after the last record.
    pub fn finish(&self) -> Result<(), CoreError> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(Self::error_at(self.pos, "the end of the file"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(err: CoreError) -> u64 {
        match err {
            CoreError::ModelFormat { offset, .. } => offset,
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn integers_decode_as_dlib_writes_them() {
        // 0 -> [1, 0]; 300 -> [2, 0x2c, 0x01]; -5 -> [0x81, 5]
        let mut r = Reader::new(&[1, 0, 2, 0x2c, 1, 0x81, 5]);
        assert_eq!(r.unsigned(8, "zero").unwrap(), 0);
        assert_eq!(r.signed(4, "300").unwrap(), 300);
        assert_eq!(r.signed(4, "-5").unwrap(), -5);
        r.finish().unwrap();
    }

    #[test]
    fn integers_dlib_never_writes_are_refused() {
        for bytes in [
            &[0x00][..],            // zero-length
            &[0x11, 1],             // reserved bit
            &[0x02, 5, 0],          // leading zero byte
            &[0x81, 0],             // negative zero
            &[0x05, 1, 1, 1, 1, 1], // wider than an int
        ] {
            assert_eq!(offset(Reader::new(bytes).signed(4, "x").unwrap_err()), 0);
        }
        assert!(Reader::new(&[0x81, 1]).unsigned(8, "x").is_err());
        assert!(Reader::new(&[0x02, 1]).signed(4, "x").is_err()); // truncated
    }

    #[test]
    fn floats_are_mantissa_times_power_of_two() {
        // 1.5 = 3 * 2^-1 -> mantissa [1, 3], exponent [0x81, 1]
        let mut r = Reader::new(&[1, 3, 0x81, 1, 1, 3, 0x81, 1]);
        assert_eq!(r.f32("a").unwrap(), 1.5);
        assert_eq!(r.f64("b").unwrap(), 1.5);
        // exponent 32000 is dlib's infinity
        assert!(Reader::new(&[1, 1, 2, 0x00, 0x7d]).f32("inf").is_err());
    }

    #[test]
    fn bools_strings_and_tensors() {
        let mut bytes = vec![b'1', b'0', 1, 3, b'a', b'b', b'c'];
        // tensor version 2, dims 1x2x1x1, values 1.0 and -2.0
        bytes.extend([1, 2, 1, 1, 1, 2, 1, 1, 1, 1]);
        bytes.extend(1f32.to_le_bytes());
        bytes.extend((-2f32).to_le_bytes());
        bytes.extend([1, 1, 1, 0, 1, 0, 1, 0, 1, 0]); // alias tensor of 0x0x0x0
        let mut r = Reader::new(&bytes);
        assert!(r.bool("a").unwrap());
        assert!(!r.bool("b").unwrap());
        r.expect_str("abc", "name").unwrap();
        assert_eq!(r.tensor([1, 2, 1, 1], "t").unwrap(), vec![1.0, -2.0]);
        r.alias_tensor([0, 0, 0, 0], "alias").unwrap();
        r.finish().unwrap();

        assert!(Reader::new(b"2").bool("b").is_err());
        assert!(
            Reader::new(&[1, 3, b'a', b'b', b'd'])
                .expect_str("abc", "n")
                .is_err()
        );
        // the dimensions must be the expected ones, and the data must be all there
        assert!(Reader::new(&bytes[7..]).tensor([2, 1, 1, 1], "t").is_err());
        assert!(
            Reader::new(&bytes[7..20])
                .tensor([1, 2, 1, 1], "t")
                .is_err()
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let r = Reader::new(&[1]);
        assert_eq!(offset(r.finish().unwrap_err()), 0);
    }
}
