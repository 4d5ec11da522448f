"""atheris target: arbitrary bytes into the public matching and sealing API. Bytes become a
template array (any length, any float32 bit patterns), ids and sealed bytes; only facegate's
typed errors may come back, and nothing that opens may differ from what was sealed.

Run through ``make fuzz``; crashers land in fuzz/corpus/api, which CI replays.
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np

from facegate import DataKey, FacegateError, Gallery, _core, open_template, seal_template

KEY = DataKey(_core.DataKey._from_kms(bytes([7] * 32)))


def one(data: bytes) -> None:
    usable = len(data) - len(data) % 4
    vector = np.frombuffer(data[:usable], dtype=np.float32)
    try:
        gallery = Gallery(dim=max(1, len(vector)))
        gallery.add([int.from_bytes(data[:8].ljust(8, b"\0"), "little")], vector)
        gallery.search(vector, k=2)
    except FacegateError:
        pass
    try:
        sealed = seal_template(vector, KEY, deployment="fuzz", subject="s", template_id=1)
        opened = open_template(sealed, KEY, deployment="fuzz", subject="s", template_id=1)
        assert np.array_equal(opened, vector)
    except FacegateError:
        pass
    with contextlib.suppress(FacegateError):
        open_template(data, KEY, deployment="fuzz", subject="s", template_id=1)


if __name__ == "__main__":
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
