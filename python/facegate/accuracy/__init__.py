"""What error rates a deployment runs at: measured dlib error rates shipped as package data
(:mod:`.table`), the rules that carry them to any gallery size (:mod:`.model`), the paths a
1:N operating point tightens along (:mod:`.paths`), and the operating points derived from a
deployment's targets (:mod:`.operating`).

``docs/ACCURACY.md`` tabulates the figures for gallery sizes 10 to 100,000.
"""

from facegate.accuracy.model import MAX_PHOTOS, Basis, extrapolation_check, genuine_scale
from facegate.accuracy.operating import OperatingPoint, operating_point
from facegate.accuracy.table import (
    Calibration,
    RatioCalibration,
    calibration,
    ratio_calibration,
)

__all__ = [
    "MAX_PHOTOS",
    "Basis",
    "Calibration",
    "OperatingPoint",
    "RatioCalibration",
    "calibration",
    "extrapolation_check",
    "genuine_scale",
    "operating_point",
    "ratio_calibration",
]
