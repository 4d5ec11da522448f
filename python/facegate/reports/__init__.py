"""The documents a deployment must show or keep: notice, signage, impact assessment, dossier.

- :func:`render_notice` is the notice of R6 (M5, PIPL 17/30) as plain text in Chinese or English,
  optionally in large print (R31): short lines, one idea per line, no markup, so that it can be
  printed big, shown on a screen or read aloud by a screen reader.
- :func:`render_signage` is the short sign posted where faces are captured (required in public
  places, R24, and useful everywhere).
- :func:`render_assessment` / :func:`prefill_assessment` turn the facts measured from the store
  (``FaceGate.assessment_facts``) and the deployment's declarations into the
  personal-information impact assessment of M9 (R26): facegate pre-fills it, a person edits
  and signs it.
- :func:`render_dossier` is the filing dossier of R28 (``FaceGate.filing_dossier``) as
  Markdown.

Free text the operator declared (processor name, method, impact, alternatives...) is shown as
written: facegate translates only its own labels, so an operator who serves both languages should
write those fields in both.
"""

from facegate.reports.assessment import (
    TO_BE_COMPLETED,
    TO_CONFIRM,
    prefill_assessment,
    render_assessment,
)
from facegate.reports.dossier import render_dossier
from facegate.reports.labels import (
    LOCATION_LABELS,
    PURPOSE_LABELS,
    Language,
    label_location,
    label_purpose,
)
from facegate.reports.notice import render_notice, render_signage

__all__ = [
    "LOCATION_LABELS",
    "PURPOSE_LABELS",
    "TO_BE_COMPLETED",
    "TO_CONFIRM",
    "Language",
    "label_location",
    "label_purpose",
    "prefill_assessment",
    "render_assessment",
    "render_dossier",
    "render_notice",
    "render_signage",
]
