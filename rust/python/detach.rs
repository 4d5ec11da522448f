//! The one way the binding releases the GIL.

use crate::errors::{Error, Result};
use facegate_core::parallel;
use pyo3::prelude::*;

/// Runs `work` with the GIL released, on a rayon pool whose threads exist in this process: a
/// forked child (multiprocessing, gunicorn `--preload`, Celery prefork) gets a pool of its own
/// instead of waiting for ever on its parent's (see `facegate_core::parallel`).
pub fn detached<T, E>(
    py: Python<'_>,
    work: impl FnOnce() -> std::result::Result<T, E> + Send,
) -> Result<T>
where
    T: Send,
    E: Send + Into<Error>,
{
    py.detach(|| parallel::install(work))?.map_err(Into::into)
}
