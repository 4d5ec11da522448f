"""The documents a deployment must show or keep: notice, signage, impact assessment.

- :func:`render_notice` is the notice of R6 (M5, PIPL 17/30) as plain text in Chinese or English,
  optionally in large print (R31): short lines, one idea per line, no markup, so that it can be
  printed big, shown on a screen or read aloud by a screen reader.
- :func:`render_signage` is the short sign posted where faces are captured (required in public
  places, R24, and useful everywhere).
- :func:`measure` reads what a deployment actually holds and did from the store, and
  :func:`render_assessment` / :func:`prefill_assessment` turn those facts and the deployment's
  declarations into the personal-information impact assessment of M9 (R26): facegate pre-fills
  it, a person edits and signs it.

Free text the operator declared (processor name, method, impact, alternatives...) is shown as
written: facegate translates only its own labels, so an operator who serves both languages should
write those fields in both.
"""

# The names aliased "X as X" are public names of the former single module that were never in
# __all__; they stay importable from here.
from facegate.reports.assessment import TO_BE_COMPLETED, prefill_assessment, render_assessment
from facegate.reports.assessment import Row as Row
from facegate.reports.facts import ENCRYPTION, TRANSFORM, AssessmentFacts, measure
from facegate.reports.facts import Counts as Counts
from facegate.reports.labels import (
    LOCATION_LABELS,
    PURPOSE_LABELS,
    Language,
    label_location,
    label_purpose,
)
from facegate.reports.layout import LARGE_PRINT_WIDTH as LARGE_PRINT_WIDTH
from facegate.reports.notice import render_notice, render_signage

__all__ = [
    "ENCRYPTION",
    "LOCATION_LABELS",
    "PURPOSE_LABELS",
    "TO_BE_COMPLETED",
    "TRANSFORM",
    "AssessmentFacts",
    "Language",
    "label_location",
    "label_purpose",
    "measure",
    "prefill_assessment",
    "render_assessment",
    "render_notice",
    "render_signage",
]
