//! Which SIMD instruction set the kernels use, chosen at run time.
//!
//! Wheels are built for baseline x86-64, so AVX2 and AVX-512 code is compiled with
//! `#[target_feature]` and only called after `is_x86_feature_detected!` said yes. The environment
//! variable `FACEGATE_SIMD` (`portable`, `avx2` or `avx512`) caps the choice, which is how the
//! slower paths are exercised on a machine that has the faster ones.

use crate::CoreError;
use std::sync::OnceLock;

/// An instruction-set level the kernels are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Plain Rust that the compiler vectorises for the baseline target; runs everywhere.
    Portable,
    /// AVX2 with FMA (Haswell, Zen 1 and later).
    Avx2,
    /// AVX-512 F, BW and VL (Skylake-X, Zen 4 and later).
    Avx512,
}

impl Isa {
    /// All levels, slowest first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The name used by `FACEGATE_SIMD` and reported to users.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Parses a name as written by [`Isa::name`].
    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| isa.name() == name)
    }

    /// Parses a name given by a caller; `InvalidArgument` names the choices.
    pub fn parse(name: &str) -> Result<Isa, CoreError> {
        Self::from_name(name).ok_or_else(|| {
            CoreError::InvalidArgument(format!(
                "simd must be one of 'portable', 'avx2', 'avx512', got {name:?}"
            ))
        })
    }

    /// Whether this CPU can run the level.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            // AVX2 and FMA too: every AVX-512 CPU has them, but a virtual machine may hide
            // them, and the AVX-512 paths run code compiled for them.
            Isa::Avx512 => {
                Isa::Avx2.is_supported()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The levels this CPU supports, slowest first.
    pub fn supported() -> Vec<Isa> {
        Isa::ALL
            .into_iter()
            .filter(|isa| isa.is_supported())
            .collect()
    }

    /// The fastest supported level, capped by `FACEGATE_SIMD` when it names a level. Detected once.
    pub fn best() -> Isa {
        static BEST: OnceLock<Isa> = OnceLock::new();
        *BEST.get_or_init(|| {
            let cap = std::env::var("FACEGATE_SIMD")
                .ok()
                .and_then(|name| Isa::from_name(name.trim()))
                .unwrap_or(Isa::Avx512);
            Isa::supported()
                .into_iter()
                .filter(|isa| *isa <= cap)
                .max()
                .unwrap_or(Isa::Portable)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
        }
        assert_eq!(Isa::from_name("sse9"), None);
    }

    #[test]
    fn best_is_supported_and_portable_always_is() {
        assert!(Isa::Portable.is_supported());
        assert!(Isa::best().is_supported());
    }
}
