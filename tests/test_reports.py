"""facegate.reports: signage, large-print wrapping, measured assessment facts, the assessment."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine

from facegate import Alternative, Assessment, FaceGate, Location, MasterKey
from facegate.compliance.facts import AssessmentFacts, measure
from facegate.compliance.incidents import IncidentKind, record_incident
from facegate.compliance.safeguards import ENCRYPTION, TRANSFORM
from facegate.demo.synthetic import synthetic_faces
from facegate.errors import (
    AssessmentRequired,
    ConsentRequired,
    InvalidArgument,
    UndeclaredPurpose,
    UnknownId,
)
from facegate.gate.opening import open_store
from facegate.reports import (
    TO_BE_COMPLETED,
    TO_CONFIRM,
    label_location,
    label_purpose,
    prefill_assessment,
    render_assessment,
    render_notice,
    render_signage,
)
from tests import peek
from tests.requirements.deployments import NOTICE, ZH, lobby, notice, translated
from tests.requirements.gate import ASSESSMENT, CONSENT, open_gate

FACES = synthetic_faces(8, 2, seed=11)
PURPOSE = "hotel_check_in"
DESK = NOTICE.alternatives[0].description


@pytest.fixture
def gate(path: Path, master: MasterKey) -> Iterator[FaceGate]:
    gate = open_gate(path, master)
    yield gate
    gate.close()


def _use(gate: FaceGate) -> None:
    """Enrolls three guests, one withdraws, two calls are refused, two people use the desk."""
    for i in range(3):
        gate.grant_consent("lobby", f"guest-{i}", CONSENT)
        gate.enroll("lobby", f"guest-{i}", FACES.centres[i], PURPOSE)
    gate.withdraw("lobby", "guest-1")
    with pytest.raises(UndeclaredPurpose):
        gate.verify("lobby", "guest-0", FACES.centres[0], "payment")
    with pytest.raises(ConsentRequired):
        gate.enroll("lobby", "walk-in", FACES.centres[5], PURPOSE)
    gate.decline("lobby", DESK)
    gate.decline("lobby", DESK, subject="guest-1")


# ----- labels and signage --------------------------------------------------------------------


def test_every_purpose_and_location_has_both_labels() -> None:
    from facegate.compliance.policy import PURPOSES

    for purpose in PURPOSES:
        assert label_purpose(purpose, "en") != purpose
        assert label_purpose(purpose, "zh") != purpose
    for location in Location:
        assert label_location(location, "en") != location.value
        assert label_location(location, "zh") != location.value
    assert label_purpose("museum_entry", "zh") == "museum_entry"  # configured: falls back


def test_signage_names_purpose_operator_contact_alternative_and_notice() -> None:
    signs = {
        render_signage(lobby(), language="en", notice_at="at the desk"): [
            "Facial recognition in use",
            "Hotel check-in",
            "Full notice: at the desk",
        ],
        render_signage(translated(lobby()), language="zh", notice_at="在前台"): [
            "此处使用人脸识别",
            "酒店入住登记",
            "完整告知书",
            ZH[NOTICE.processor_name],
            ZH[DESK],
        ],
    }
    for sign, expected in signs.items():
        for fragment in [*expected, NOTICE.processor_contact]:
            assert fragment in sign, fragment
        assert len(sign.splitlines()) <= 10  # a sign, not a notice
    default = render_signage(lobby(), language="en")
    assert f"ask staff here, or contact {NOTICE.processor_contact}" in default


PUBLIC = lobby(
    location=Location.PUBLIC_PLACE,
    purposes=("public_security",),
    notice=notice(purposes=("public_security",)),
    public_security_basis="City regulation 12",
    capture_area="North gate",
    signage=True,
)


def test_r24_public_place_signage_shows_capture_area_and_public_security_use() -> None:
    sign = render_signage(PUBLIC, language="en", large_print=True)
    assert "Capture area: North gate" in sign
    assert "public security only" in " ".join(sign.split())
    assert sign.startswith("FACIAL RECOGNITION IN USE\n\n")
    assert max(len(line) for line in sign.splitlines()) <= 40
    assert "Capture area" not in render_signage(lobby(), language="en")


def test_r24_public_security_only_is_said_only_where_it_is_true() -> None:
    """A basis declared away from a public place, next to other purposes: the sign and the
    notice state the basis but never claim the data serves public security only."""
    venue = lobby(
        location=Location.VENUE_ENTRANCE,
        purposes=("venue_entry",),
        notice=notice(purposes=("venue_entry",)),
        public_security_basis="Large-event safety regulation art. 5",
    )
    for text in (render_signage(venue, language="en"), render_notice(venue, language="en")):
        assert "public security only" not in " ".join(text.split())
    assert "Basis: Large-event safety regulation art. 5" in render_notice(venue, language="en")
    assert "public security only" in " ".join(render_notice(PUBLIC, language="en").split())


def test_r25_the_notice_says_when_frames_may_hold_several_faces() -> None:
    basis = "Art. 12 of the venue safety regulation"
    several = lobby(mode="identify", identification_justification="VIP", multi_face_basis=basis)
    text = " ".join(render_notice(several, language="en").split())
    assert f"Frames may hold several faces; each is searched, under: {basis}" in text
    assert ZH[basis] in render_notice(translated(several), language="zh")
    assert "several faces" not in render_notice(lobby(), language="en")


def test_large_print_keeps_an_overlong_address_whole_on_its_own_line() -> None:
    url = "https://example.com/privacy/facial-recognition/notice-of-the-lobby"
    deployment = lobby(notice=notice(rights_contact=f"See {url} or ask at the desk"))
    lines = render_notice(deployment, language="en", large_print=True).splitlines()
    assert url in lines
    assert all(len(line) <= 40 for line in lines if line != url)


def test_a_deployment_with_a_legal_mandate_and_no_alternative_says_so() -> None:
    with pytest.warns(UserWarning, match="R31"):
        mandated = lobby(notice=notice(alternatives=()), legal_mandate="Anti-terrorism Law art. 9")
    text = render_notice(mandated, language="en")
    assert "required here by law: Anti-terrorism Law art. 9" in text
    assert "You may refuse. Refusing carries no penalty.\n" in text


def test_an_inaccessible_alternative_is_not_marked_accessible() -> None:
    with pytest.warns(UserWarning, match="R31"):
        deployment = translated(lobby(notice=notice(alternatives=(Alternative("Desk"),))))
    assert "accessible" not in render_notice(deployment, language="en")
    assert "无障碍" not in render_notice(deployment, language="zh")


def test_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="language"):
        render_notice(lobby(), language="fr")  # type: ignore[arg-type]


# ----- measured facts ------------------------------------------------------------------------


def test_measure_counts_what_was_done(gate: FaceGate, master: MasterKey) -> None:
    before = gate.assessment_facts("lobby")
    _use(gate)
    facts = gate.assessment_facts("lobby")
    assert (facts.templates, facts.subjects) == (2, 2)
    assert (facts.consents_granted, facts.consents_withdrawn) == (2, 1)
    wrapping = gate.erasure_status()  # the master key on SQLite, the epoch's on PostgreSQL
    assert facts.data_keys == 2 and facts.master_key_ids == (wrapping.key_id,)
    assert facts.erasure_epoch == wrapping.epoch
    assert facts.data_keys_oldest is not None and facts.data_keys_newest is not None
    assert facts.data_keys_oldest <= facts.data_keys_newest <= facts.measured_at
    assert facts.retention_days == NOTICE.retention_days and facts.expired_templates == 0
    assert dict(facts.refusals_by_rule) == {"R2": 1, "R8": 1}
    assert facts.audit_refused == 2
    assert facts.audit_allowed == facts.audit_entries - 2
    # 3 grants, 3 enrollments, 1 withdrawal, 2 refusals, 2 declines.
    assert facts.audit_entries - before.audit_entries == 11
    assert facts.alternatives_used == 2 and dict(facts.alternatives_by_detail) == {DESK: 2}
    assert (facts.incidents, facts.incidents_by_kind) == (0, ())
    assert (facts.encryption, facts.transform) == (ENCRYPTION, TRANSFORM)


def test_measure_counts_expired_templates_until_purged(gate: FaceGate) -> None:
    _use(gate)
    later = datetime.now(UTC) + timedelta(days=NOTICE.retention_days + 1)
    assert gate.assessment_facts("lobby", now=later).expired_templates == 2
    assert gate.assessment_facts("lobby").expired_templates == 0
    with time_machine.travel(later):
        assert gate.purge_expired() == 2
    purged = gate.assessment_facts("lobby", now=later)
    assert (purged.expired_templates, purged.templates, purged.data_keys) == (0, 0, 0)
    assert purged.measured_at == later


def test_measure_counts_incidents_of_the_deployment_and_the_store(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    with open_store(path, master) as store:
        record_incident(store, IncidentKind.TEMPLATE_TAG, "template 7", deployment="lobby")
        record_incident(store, IncidentKind.AUDIT_CHAIN, "entry 3")
        record_incident(store, IncidentKind.WRONG_KEY, "elsewhere", deployment="spa")
    facts = gate.assessment_facts("lobby")
    assert facts.incidents == 2
    assert dict(facts.incidents_by_kind) == {"template_tag": 1, "audit_chain": 1}


def test_measure_refuses_unknown_deployments_and_naive_times(gate: FaceGate) -> None:
    with pytest.raises(UnknownId, match="'pool'"):
        gate.assessment_facts("pool")
    with pytest.raises(InvalidArgument, match="timezone"):
        gate.assessment_facts("lobby", now=datetime(2025, 6, 1))


# ----- the assessment document ---------------------------------------------------------------

ITEMS = (
    "1. Legality, legitimacy and necessity of the purpose and method",
    "2. Impact on personal rights and interests, and its mitigation",
    "3. Risks of leaks, tampering, loss and misuse",
    "4. Whether the protective measures are lawful, effective and proportionate",
)


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_assessment_markdown_shows_items_declarations_and_facts(gate: FaceGate) -> None:
    _use(gate)
    deployment = gate.deployment("lobby")
    facts = gate.assessment_facts("lobby")
    draft = render_assessment(deployment, facts)
    for item in ITEMS:
        assert f"\n## {item}\n" in draft
    assert draft.count(TO_BE_COMPLETED) == 5  # four items and the sign-off
    first = _section(draft, ITEMS[0], ITEMS[1])
    assert deployment.necessity in first and "- **Templates stored**: 2" in first
    second = _section(draft, ITEMS[1], ITEMS[2])
    assert NOTICE.impact in second and f"{DESK}: 2" in second
    assert "- **Consents withdrawn**: 1" in second
    third = _section(draft, ITEMS[2], ITEMS[3])
    assert ENCRYPTION in third and TRANSFORM in third and "- **Data keys**: 2" in third
    fourth = draft[draft.index(ITEMS[3]) :]
    assert "R2: 1, R8: 1" in fourth and "- **Retention enforcement**: enforced" in fourth
    signed = render_assessment(deployment, facts, ASSESSMENT)
    assert TO_BE_COMPLETED not in signed
    assert "### Assessment\n\nlawful\n" in signed and "- **Signed off by**: DPO" in signed


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_assessment_html_is_a_complete_escaped_document(gate: FaceGate) -> None:
    evil = "<script>alert('x')</script>"
    gate.register_deployment("hotel", lobby(name=evil, necessity=f"a & b {evil}"))
    deployment = gate.deployment(evil)
    facts = gate.assessment_facts(evil)
    assessment = dataclasses.replace(ASSESSMENT, risks="<b>leak</b>", signed_off_by=evil)
    page = render_assessment(deployment, facts, assessment, fmt="html")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">') and page.endswith("</html>\n")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "a &amp; b" in page
    parser = _Text()
    parser.feed(page)
    assert "script" not in parser.tags and "b" not in parser.tags
    assert {"html", "head", "title", "body", "h1", "h2", "table"} <= set(parser.tags)
    text = "".join(parser.text)
    assert evil in text and "<b>leak</b>" in text and all(item in text for item in ITEMS)


def test_assessment_refuses_facts_of_another_deployment_and_unknown_formats(
    gate: FaceGate,
) -> None:
    facts = gate.assessment_facts("lobby")
    other = dataclasses.replace(facts, deployment="spa")
    with pytest.raises(InvalidArgument, match="'spa'"):
        render_assessment(lobby(), other)
    with pytest.raises(InvalidArgument, match="'spa'"):
        prefill_assessment(lobby(), other)
    with pytest.raises(InvalidArgument, match="fmt"):
        render_assessment(lobby(), facts, fmt="pdf")  # type: ignore[arg-type]


def test_r26_prefilled_assessment_can_be_edited_signed_and_activates(gate: FaceGate) -> None:
    _use(gate)
    deployment = gate.deployment("lobby")
    facts = gate.assessment_facts("lobby")
    draft = prefill_assessment(deployment, facts)
    fields = {f.name for f in dataclasses.fields(Assessment)} - {"signed_off_by"}
    assert set(draft) == fields
    assert deployment.necessity in draft["legality_and_necessity"]
    assert "2 consents currently granted, 2 people enrolled" in draft["legality_and_necessity"]
    assert DESK in draft["rights_impact"]
    assert "2 people chose an alternative" in draft["rights_impact"]
    assert "2 templates of 2 people under 2 data keys" in draft["risks"]
    assert "R2: 1, R8: 1" in draft["safeguards"] and ENCRYPTION in draft["safeguards"]
    # Every item ends with a judgement only a person can make.
    assert all(TO_CONFIRM in text for text in draft.values())
    edited = {
        item: text.split(TO_CONFIRM)[0] + "Judged so by the DPO." for item, text in draft.items()
    }
    assessment = Assessment(**edited, signed_off_by="Data protection officer")
    gate.update_deployment(deployment)  # unchanged: stays live, the assessment still covers it
    gate.record_assessment("lobby", assessment)
    gate.activate("lobby")
    assert gate.deployment_status("lobby").active
    signed = render_assessment(deployment, facts, assessment)
    assert edited["risks"] in signed and "Data protection officer" in signed


def test_r26_an_unedited_draft_is_refused_even_once_signed(gate: FaceGate, path: Path) -> None:
    draft = prefill_assessment(gate.deployment("lobby"), gate.assessment_facts("lobby"))
    with pytest.raises(AssessmentRequired, match="placeholders") as caught:
        gate.record_assessment("lobby", Assessment(**draft, signed_off_by="DPO"))
    assert caught.value.rule == "R26"
    assert gate.assessment("lobby") == ASSESSMENT  # still the one recorded by open_gate
    rows = peek.rows(path, "SELECT action, outcome, rule FROM audit ORDER BY seq DESC LIMIT 1")
    assert rows == [("record_assessment", "refused", "R26")]


def test_r26_the_draft_counts_in_words_and_names_the_store_master_key(
    gate: FaceGate, path: Path, master: MasterKey
) -> None:
    gate.grant_consent("lobby", "guest-0", CONSENT)
    deployment = gate.deployment("lobby")
    with open_store(path, master) as store:
        empty = measure(store, "lobby", master_key_id=master.id)
    draft = prefill_assessment(deployment, empty)
    assert "0 templates of 0 people under 0 data keys" in draft["risks"]
    assert f"master key: {master.id} (the store's; no data key wrapped yet)" in draft["risks"]
    assert "master keys: none" not in draft["risks"]
    assert "1 consent currently granted" in draft["legality_and_necessity"]
    gate.enroll("lobby", "guest-0", FACES.centres[0], PURPOSE)
    with open_store(path, master) as store:
        one = measure(store, "lobby", master_key_id=master.id)
    text = " ".join(prefill_assessment(deployment, one).values())
    assert "1 template of 1 person under 1 data key (master key: " in text
    assert f"{one.audit_entries} entries" in text and "1 entries" not in text
    document = render_assessment(deployment, one)
    assert f"- **Master keys in use**: {master.id}" in document or (
        "erasure epoch 0's key" in document and f"the store's master key {master.id}" in document
    )


def test_facts_are_immutable_values(gate: FaceGate) -> None:
    facts = gate.assessment_facts("lobby")
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.templates = 9  # type: ignore[misc]
    assert hash(facts) == hash(dataclasses.replace(facts))
    assert isinstance(facts, AssessmentFacts)
