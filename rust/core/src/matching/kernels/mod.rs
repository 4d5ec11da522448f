//! Distance kernels, one function per instruction set, chosen by [`Isa`](super::Isa).
//!
//! Each kernel computes squared Euclidean distances from one query to a block of rows, so the
//! dispatch happens once per block and the inner loop stays free of branches. The portable
//! kernels are also the reference the SIMD ones are tested against.

pub mod f32;
pub mod i8;
#[cfg(target_arch = "x86_64")]
pub(crate) mod load;
