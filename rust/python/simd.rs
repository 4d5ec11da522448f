//! Which SIMD paths the kernels can take on this CPU.

use facegate_core::matching::Isa;
use pyo3::prelude::*;

/// Names of the SIMD paths this CPU supports, slowest first.
#[pyfunction]
pub fn simd_paths() -> Vec<&'static str> {
    Isa::supported().into_iter().map(Isa::name).collect()
}
