"""The public-domain photographs the tests use, loaded from installed packages at run time.

scikit-image's ``astronaut`` (NASA) and matplotlib's ``grace_hopper.jpg`` (US Navy) each show one
face; ``coffee`` and ``chelsea`` (a cat) show none. No photograph is stored in the repository.
"""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageEnhance


@cache
def astronaut() -> npt.NDArray[np.uint8]:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@cache
def hopper_path() -> str:
    from matplotlib import cbook

    return str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@cache
def hopper() -> npt.NDArray[np.uint8]:
    return np.asarray(Image.open(hopper_path()).convert("RGB"))


@cache
def no_faces() -> list[npt.NDArray[np.uint8]]:
    from skimage import data

    return [data.coffee(), data.chelsea()]


def composite() -> npt.NDArray[np.uint8]:
    """Both people side by side on one canvas."""
    left, right = Image.fromarray(astronaut()), Image.fromarray(hopper())
    canvas = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return np.asarray(canvas)


def transformed(pixels: npt.NDArray[np.uint8]) -> dict[str, npt.NDArray[np.uint8]]:
    """Copies of one photograph as a camera might see the same person again."""
    image = Image.fromarray(pixels)
    w, h = image.size
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=60)
    return {
        "mirror": np.asarray(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
        "rescale": np.asarray(
            image.resize((int(w * 0.75), int(h * 0.75)), Image.Resampling.LANCZOS)
        ),
        "brighter": np.asarray(ImageEnhance.Brightness(image).enhance(1.3)),
        "jpeg": np.asarray(Image.open(io.BytesIO(jpeg.getvalue())).convert("RGB")),
        "rotate": np.asarray(image.rotate(6, resample=Image.Resampling.BICUBIC)),
        "crop": np.asarray(image.crop((w // 20, h // 20, w - w // 20, h - h // 20))),
    }
