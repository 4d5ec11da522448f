"""atheris target: arbitrary bytes as an image. ``load_image`` returns pixels or raises
InvalidImage; anything else (a crash, a hang, another exception) is a finding.

Run through ``make fuzz``; crashers land in fuzz/corpus/images, which CI replays
(tests/reliability/test_fuzz_corpus.py).
"""

from __future__ import annotations

import sys

from facegate import InvalidImage, load_image


def one(data: bytes) -> None:
    try:
        pixels = load_image(data, max_pixels=4_000_000)
    except InvalidImage:
        return
    assert pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.dtype.name == "uint8"


if __name__ == "__main__":
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
