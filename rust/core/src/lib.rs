//! facegate's pure-Rust core.
//!
//! Everything here builds, tests and benches with plain cargo: no Python, no PyO3. The binding
//! crate at the workspace root is a thin layer over these modules.
//!
//! - [`matching`]: nearest-neighbour search over 128-d face templates (exact f32 and int8 scan
//!   with exact re-rank), 1:1 distances, run-time SIMD dispatch.
//! - [`protect`]: template protection: AEAD sealing under per-subject data keys wrapped by a
//!   master key, crypto-shredding, renewable rotations, decryption straight into a gallery.
//! - [`error`]: the one error type every fallible core call returns.
//! - [`parallel`]: rayon work that keeps working in a forked child.

pub mod chips;
pub mod detector;
pub mod encoder;
pub mod error;
pub mod image;
pub mod landmarks;
pub mod matching;
pub mod parallel;
pub mod protect;
pub(crate) mod serial;
pub(crate) mod svd;

pub use error::CoreError;
