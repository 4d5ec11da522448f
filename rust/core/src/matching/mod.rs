//! Matching of face templates: 1:N search over a [`Gallery`] and 1:1 [`distances`].

mod distance;
mod gallery;
mod isa;
pub mod kernels;
mod matrix;
mod product;
mod quant;
mod rows;
mod search;
mod topk;

#[cfg(test)]
pub(crate) mod testutil;

pub use distance::distances;
pub use gallery::{Gallery, MAX_DIM, Metric, NO_ID};
pub use isa::Isa;
pub use matrix::MatrixRef;
pub use search::{Neighbors, PRODUCT_MIN_QUERIES, SearchParams, default_rerank};
