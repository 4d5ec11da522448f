"""Synthetic face encodings for demos, tests and benchmarks (no real faces involved).

Shaped like dlib's 128-d encodings: every identity has a centre drawn around a shared mean, so two
identities are about 0.9 apart (dlib's different-person distances sit around there), and a probe
of an identity lies at a genuine distance drawn uniformly from [0.3, 0.5] of its centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["SyntheticFaces", "synthetic_faces"]

# Per-dimension spread of identity centres: sqrt(2 * 128) * 0.056 ≈ 0.9 between two identities.
_CENTRE_SPREAD = 0.056
_SHARED_MEAN_SPREAD = 0.05


@dataclass(frozen=True, slots=True)
class SyntheticFaces:
    """An enrolled gallery and probes of some of its identities.

    centres: ``float32[n, dim]``, the enrolled template of identity ``i`` in row ``i``.
    probes: ``float32[m, dim]``, noisy captures.
    truth: ``int64[m]``, the identity each probe was drawn from.
    """

    centres: npt.NDArray[np.float32]
    probes: npt.NDArray[np.float32]
    truth: npt.NDArray[np.int64]


def synthetic_faces(
    identities: int,
    probes: int,
    *,
    dim: int = 128,
    genuine: tuple[float, float] = (0.3, 0.5),
    seed: int = 0,
) -> SyntheticFaces:
    """``identities`` centres and ``probes`` probes of randomly chosen identities.

    Each probe lies at a distance drawn uniformly from ``genuine`` of its identity's centre.
    """
    rng = np.random.default_rng(seed)
    mean = rng.normal(0.0, _SHARED_MEAN_SPREAD, dim).astype(np.float32)
    centres = np.empty((identities, dim), dtype=np.float32)
    step = 65_536  # generate in slices so a million identities do not need a float64 copy
    for start in range(0, identities, step):
        stop = min(start + step, identities)
        block = rng.standard_normal((stop - start, dim), dtype=np.float32)
        centres[start:stop] = mean + _CENTRE_SPREAD * block
    truth = rng.integers(0, identities, probes) if identities else np.zeros(0, np.int64)
    noise = rng.standard_normal((probes, dim)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    noise *= rng.uniform(*genuine, (probes, 1)).astype(np.float32)
    return SyntheticFaces(centres=centres, probes=centres[truth] + noise, truth=truth)
