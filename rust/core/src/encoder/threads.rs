//! Encoding on an exact number of threads: scoped threads rather than a rayon pool, so the count
//! is exact and no pool outlives the call (benchmarks measure one core this way).

use super::arch::ENCODING_DIM;
use super::forward::{CHIP_BYTES, Workspace};
use super::model::Network;
use crate::CoreError;
use std::sync::{Mutex, PoisonError};

/// A network with the workspaces of calls that run on their own threads, kept between calls:
/// reusing them saves allocating and faulting in a few MB per thread and call.
pub struct Encoder {
    network: Network,
    spare: Mutex<Vec<Workspace>>,
}

impl Encoder {
    pub fn new(network: Network) -> Self {
        Self {
            network,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Encodings of `chips` (`n · CHIP_BYTES` bytes) as `n · 128` values: on rayon's threads
    /// with `threads` None, else on exactly `threads` threads (1 = the calling thread). The
    /// encodings are the same either way, bit for bit.
    pub fn encode(&self, chips: &[u8], threads: Option<usize>) -> Result<Vec<f32>, CoreError> {
        let Some(threads) = threads else {
            return self.network.encode_batch(chips);
        };
        if threads == 0 {
            return Err(CoreError::InvalidArgument(
                "threads must be at least 1".to_owned(),
            ));
        }
        // `encode_batch` checks the length; with no chips it is the same empty answer.
        if chips.is_empty() || !chips.len().is_multiple_of(CHIP_BYTES) {
            return self.network.encode_batch(chips);
        }
        let n = chips.len() / CHIP_BYTES;
        let mut out = vec![0f32; n * ENCODING_DIM];
        let per_thread = n.div_ceil(threads.min(n));
        let shares = chips
            .chunks(per_thread * CHIP_BYTES)
            .zip(out.chunks_mut(per_thread * ENCODING_DIM));
        if threads == 1 || n == 1 {
            for (chips, encodings) in shares {
                self.encode_share(chips, encodings);
            }
        } else {
            std::thread::scope(|scope| {
                for (chips, encodings) in shares {
                    scope.spawn(move || self.encode_share(chips, encodings));
                }
            });
        }
        Ok(out)
    }

    /// One thread's share: its chips one after another in one workspace.
    fn encode_share(&self, chips: &[u8], encodings: &mut [f32]) {
        // The vector of spare workspaces is valid whatever a panicking holder did.
        let take = || self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        let mut ws = take().pop().unwrap_or_default();
        for (chip, encoding) in chips
            .chunks_exact(CHIP_BYTES)
            .zip(encodings.chunks_exact_mut(ENCODING_DIM))
        {
            self.network.encode_into(chip, &mut ws, encoding);
        }
        take().push(ws);
    }
}
