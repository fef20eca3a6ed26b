"""The review queue and agreement an analyst can trust.

Units are written straight into the database (no transcription or coder), so each test states
exactly what the model suggested.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.factories import make_study, make_user, sign_in
from tests.workbench.test_browser import browser, live_server  # noqa: F401 - fixtures for the browser test
from workbench.models import Code, CodedUnit, CodingEvent, Interview, UnitCode
from workbench.services import agreement as agreement_service
from workbench.services import coding as coding_service

SUBSTANTIVE = "The invoices arrive late every month and nobody explains the charges number {n}."


@pytest.fixture
def study(session):
    study = make_study(session)
    for path, name in [("billing", "Billing"), ("support", "Support"), ("delivery", "Delivery")]:
        session.add(Code(study_id=study.id, path=path, name=name))
    session.commit()
    return study


def codes_of(session, study):
    return {c.path: c for c in session.exec(select(Code).where(Code.study_id == study.id))}


def add_units(session, study, specs, account="Acme"):
    """specs: (text, {code path: confidence}) per unit; returns the units in order."""
    interview = Interview(study_id=study.id, account=account)
    session.add(interview)
    session.commit()
    codes = codes_of(session, study)
    units = []
    for position, (text, suggested) in enumerate(specs):
        unit = CodedUnit(interview_id=interview.id, position=position, start_char=0, end_char=len(text), text=text,
                         confidence=min(suggested.values()) if suggested else 1.0)
        session.add(unit)
        session.flush()
        for path, confidence in suggested.items():
            session.add(UnitCode(unit_id=unit.id, code_id=codes[path].id, confidence=confidence))
        units.append(unit)
    session.commit()
    return units


def decide(client, study, unit, action, code=None, new_code=None, htmx=True):
    data = {"action": action}
    if code is not None:
        data["code_id"] = str(code.id)
    if new_code is not None:
        data["new_code_id"] = str(new_code.id)
    return client.post(f"/studies/{study.id}/units/{unit.id}", data=data,
                       headers={"HX-Request": "true"} if htmx else {}, follow_redirects=False)


def shown(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="unit-(\d+)"', page)]


def test_a_unit_is_reviewed_only_when_every_code_on_it_is_decided(client, session, study, analyst):
    [unit] = add_units(session, study, [(SUBSTANTIVE.format(n=1), {"billing": 0.9, "support": 0.6})])
    codes = codes_of(session, study)
    first = decide(client, study, unit, "accept", code=codes["billing"])
    assert first.status_code == 200 and "✓ accepted" in first.text and "to decide" in first.text
    session.refresh(unit)
    assert unit.reviewed_at is None
    assert unit.id in shown(client.get(f"/studies/{study.id}/review").text)  # still in the queue

    second = decide(client, study, unit, "reject", code=codes["support"])
    assert "✗ rejected" in second.text and "✓ accepted" in second.text and "status-done" in second.text
    session.refresh(unit)
    assert unit.reviewed_at is not None and unit.reviewed_by == analyst.id
    assert unit.id not in shown(client.get(f"/studies/{study.id}/review").text)
    # accepting a code the unit does not have is refused, not silently added
    missing = decide(client, study, unit, "accept", code=codes["delivery"])
    assert missing.status_code == 400 and "does not have the code" in missing.text


def test_uncoded_substantive_units_reach_the_queue_and_small_talk_does_not(client, session, study, analyst):
    specs = [(f"Support answers the phone quickly and solves problems {n}.", {"support": 0.55 + n / 100})
             for n in range(4)]
    specs += [(SUBSTANTIVE.format(n=9), {}), ("Good morning.", {}), ("Yes, sure.", {})]
    units = add_units(session, study, specs)
    uncoded, greeting, backchannel = units[4:]
    page = client.get(f"/studies/{study.id}/review").text
    order = shown(page)
    assert uncoded.id in order and greeting.id not in order and backchannel.id not in order
    # right after the less sure half of the model's suggestions, before the surer half
    assert order == [units[0].id, units[1].id, uncoded.id, units[2].id, units[3].id]
    assert "model found no code" in page and "No code fits" in page
    assert coding_service.queue_size(session, study_id=study.id) == (5, 5)

    # the unit's form sends its empty code and sentiment choices along with "No code fits"
    marked = client.post(f"/studies/{study.id}/units/{uncoded.id}", headers={"HX-Request": "true"},
                         data={"action": "none", "new_code_id": "", "sentiment": ""})
    assert marked.status_code == 200 and "an analyst found none that fits" in marked.text
    event = session.exec(select(CodingEvent).where(CodingEvent.action == "none")).one()
    assert event.unit_text == uncoded.text and event.user_id == analyst.id
    assert uncoded.id not in shown(client.get(f"/studies/{study.id}/review").text)
    assert coding_service.queue_size(session, study_id=study.id) == (4, 5)


def test_no_code_fits_rejects_open_suggestions_one_by_one_but_not_accepted_codes(client, session, study, analyst):
    units = add_units(session, study, [(SUBSTANTIVE.format(n=1), {"billing": 0.7, "support": 0.6}),
                                       (SUBSTANTIVE.format(n=2), {"billing": 0.7})])
    codes = codes_of(session, study)
    assert decide(client, study, units[0], "none").status_code == 200
    links = session.exec(select(UnitCode).where(UnitCode.unit_id == units[0].id)).all()
    assert {link.status for link in links} == {"rejected"}
    actions = [(e.action, e.old_code) for e in session.exec(select(CodingEvent).order_by(CodingEvent.id))]
    assert sorted(actions) == [("none", None), ("reject", "billing"), ("reject", "support")]
    decide(client, study, units[1], "accept", code=codes["billing"])
    refused = decide(client, study, units[1], "none")
    assert refused.status_code == 400 and "Billing" in refused.text
    assert decide(client, study, units[1], "shrug").status_code == 400


def test_decisions_replayed_after_recoding_keep_open_suggestions_open(client, session, study, analyst):
    from workbench.services.coding import _reapply_decisions

    [unit] = add_units(session, study, [(SUBSTANTIVE.format(n=1), {"billing": 0.9, "support": 0.6})])
    codes = codes_of(session, study)
    decide(client, study, unit, "accept", code=codes["billing"])
    decide(client, study, unit, "reject", code=codes["support"])
    # the coder runs again and now also suggests delivery for the same text
    [again] = add_units(session, study, [(unit.text, {"billing": 0.8, "support": 0.7, "delivery": 0.6})])
    interview = session.get(Interview, again.interview_id)
    for event in session.exec(select(CodingEvent)):
        event.interview_id = interview.id
        session.add(event)
    session.commit()
    _reapply_decisions(session, interview=interview, units=[again])
    session.commit()
    statuses = {session.get(Code, link.code_id).path: link.status
                for link in session.exec(select(UnitCode).where(UnitCode.unit_id == again.id))}
    assert statuses == {"billing": "accepted", "support": "rejected", "delivery": "suggested"}
    assert again.reviewed_at is None  # the new suggestion is the analyst's to decide


def test_the_queue_pages_and_shows_its_counts(client, session, study, analyst):
    units = add_units(session, study, [(SUBSTANTIVE.format(n=n), {"billing": 0.5 + n / 100}) for n in range(45)])
    codes = codes_of(session, study)
    decide(client, study, units[0], "accept", code=codes["billing"])
    first = client.get(f"/studies/{study.id}/review").text
    assert len(shown(first)) == 20 and shown(first)[0] == units[1].id
    assert "44</strong> to review" in first and "1</strong> reviewed" in first and "45 in all" in first
    assert "page 1 of 3" in first and "page=2" in first
    last = client.get(f"/studies/{study.id}/review?page=3").text
    assert shown(last) == [u.id for u in units[41:]] and "page 3 of 3" in last and "page=2" in last
    beyond = client.get(f"/studies/{study.id}/review?page=9").text
    assert "page 3 of 3" in beyond
    assert client.get(f"/studies/{study.id}/review?page=0").status_code == 400
    assert client.get(f"/studies/{study.id}/review?page=two").status_code == 422
    # a plain form post returns to the same page of the queue
    back = decide(client, study, units[42], "reject", code=codes["billing"], htmx=False)
    assert back.status_code == 303 and back.headers["location"] == f"/studies/{study.id}/review"
    kept = client.post(f"/studies/{study.id}/units/{units[43].id}", data={"action": "reject",
                       "code_id": str(codes["billing"].id)}, follow_redirects=False,
                       headers={"referer": f"http://testserver/studies/{study.id}/review?page=3"})
    assert kept.headers["location"] == f"/studies/{study.id}/review?page=3"
    elsewhere = client.post(f"/studies/{study.id}/units/{units[44].id}", data={"action": "reject",
                            "code_id": str(codes["billing"].id)}, follow_redirects=False,
                            headers={"referer": "https://evil.example/phish"})
    assert elsewhere.headers["location"] == f"/studies/{study.id}/review"


def test_training_examples_are_only_units_decided_in_full(client, session, study, analyst):
    units = add_units(session, study, [(SUBSTANTIVE.format(n=1), {"billing": 0.9, "support": 0.6}),
                                       (SUBSTANTIVE.format(n=2), {"billing": 0.9, "support": 0.6}),
                                       (SUBSTANTIVE.format(n=3), {"billing": 0.9}),
                                       (SUBSTANTIVE.format(n=4), {})])
    codes = codes_of(session, study)
    decide(client, study, units[0], "accept", code=codes["billing"])
    decide(client, study, units[0], "reject", code=codes["support"])
    decide(client, study, units[1], "accept", code=codes["billing"])  # support left open
    decide(client, study, units[3], "none")
    texts, labels, _ = coding_service.training_examples(session, study_id=study.id)
    assert dict(zip(texts, labels, strict=True)) == {units[0].text: ["billing"], units[3].text: []}


def test_agreement_is_hidden_until_enough_units_are_decided(client, session, study, analyst):
    units = add_units(session, study, [(SUBSTANTIVE.format(n=n), {"billing": 0.8, "support": 0.7})
                                       for n in range(12)])
    codes = codes_of(session, study)
    for unit in units[:3]:
        decide(client, study, unit, "accept", code=codes["billing"])
        decide(client, study, unit, "reject", code=codes["support"])
    for unit in units[3:]:  # touched, but support still open on each: not compared
        decide(client, study, unit, "accept", code=codes["billing"])
    page = client.get(f"/studies/{study.id}/agreement").text
    assert "3</strong> units compared so far" in page and "27 more needed" in page
    assert "verdict-" not in page and "n too small" in page
    [model] = agreement_service.study_agreement(session, study_id=study.id)
    assert model.n_units == 3 and model.pooled_kappa is None and not model.enough


def test_untouched_suggestions_never_count_as_agreement(client, session, study, analyst):
    units = add_units(session, study, [(SUBSTANTIVE.format(n=n), {"billing": 0.8, "support": 0.7})
                                       for n in range(40)])
    codes = codes_of(session, study)
    for index, unit in enumerate(units):
        decide(client, study, unit, "accept" if index % 2 else "reject", code=codes["billing"])
        if index < 32:  # support decided on 32 units only; on the other 8 it stays open
            decide(client, study, unit, "reject" if index % 4 else "accept", code=codes["support"])
    [model] = agreement_service.study_agreement(session, study_id=study.id)
    assert model.n_units == 32 and model.enough
    rows = {row.code: row for row in model.codes}
    # the model suggested both codes everywhere: half of billing and 3 in 4 of support were rejected
    assert (rows["billing"].both, rows["billing"].only_b) == (16, 16)
    assert (rows["support"].both, rows["support"].only_b) == (8, 24)
    # the model never varies, so there is no agreement beyond chance to claim
    assert rows["billing"].kappa == pytest.approx(0.0) and rows["billing"].verdict == "unreliable"
    page = client.get(f"/studies/{study.id}/agreement").text
    assert "32</strong></dd>" in page and "more needed" not in page


def test_agreement_figures_come_with_intervals_and_rare_codes_show_n_too_small(client, session, study, analyst):
    specs = [(SUBSTANTIVE.format(n=n), {"billing": 0.8} if n % 2 else {"support": 0.8}) for n in range(40)]
    specs.append((SUBSTANTIVE.format(n=99), {"delivery": 0.6}))
    units = add_units(session, study, specs)
    codes = codes_of(session, study)
    for index, unit in enumerate(units[:40]):
        path = "billing" if index % 2 else "support"
        decide(client, study, unit, "reject" if index % 10 == 0 else "accept", code=codes[path])
    decide(client, study, units[40], "accept", code=codes["delivery"])
    [model] = agreement_service.study_agreement(session, study_id=study.id)
    rows = {row.code: row for row in model.codes}
    assert model.enough and model.pooled_kappa is not None and model.kappa_interval is not None
    low, high = model.alpha_interval
    assert low <= model.pooled_alpha <= high
    assert model.same_codes_interval[0] < model.same_codes < model.same_codes_interval[1]
    assert rows["billing"].kappa is not None and rows["billing"].kappa_interval is not None
    assert rows["delivery"].given == 1 and not rows["delivery"].enough and rows["delivery"].kappa is None
    page = client.get(f"/studies/{study.id}/agreement").text
    assert "n too small" in page and "[0." in page and "verdict-" in page


def test_two_analysts_are_compared_only_on_codes_both_decided(client, session, study, analyst):
    units = add_units(session, study, [(SUBSTANTIVE.format(n=n), {"billing": 0.8, "support": 0.7})
                                       for n in range(3)])
    codes = codes_of(session, study)
    decide(client, study, units[0], "accept", code=codes["billing"])
    decide(client, study, units[0], "accept", code=codes["support"])
    decide(client, study, units[1], "none")
    make_user(session, "analyst", email="second@example.com")
    sign_in(client, "second@example.com")
    decide(client, study, units[0], "accept", code=codes["billing"])  # support not decided by the second
    decide(client, study, units[1], "accept", code=codes["billing"])
    comparisons = agreement_service.study_agreement(session, study_id=study.id)
    pair = comparisons[1]
    rows = {row.code: row for row in pair.codes}
    assert pair.n_units == 2 and set(rows) == {"billing"}  # support: only the first analyst decided it
    assert (rows["billing"].both, rows["billing"].only_a, rows["billing"].only_b) == (1, 0, 1)


@pytest.mark.browser
def test_keys_decide_the_first_open_code_and_say_no_code_fits(live_server, browser, session, study):  # noqa: F811 - fixtures
    """In Chromium: a accepts the current unit's first open code, r rejects the next, n marks an uncoded unit."""
    from tests.factories import PASSWORD

    make_user(session, "analyst")
    two, uncoded = add_units(session, study, [(SUBSTANTIVE.format(n=1), {"billing": 0.6, "support": 0.7}),
                                              (SUBSTANTIVE.format(n=2), {})])
    page = browser.new_page()
    page.goto(f"{live_server}/studies/{study.id}/review")
    page.fill("input[name=email]", "analyst@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**/studies/{study.id}/review")
    assert page.locator("#pending-count").inner_text() == "2"
    page.keyboard.press("a")
    page.wait_for_selector(f"#unit-{two.id} .decided-accepted")
    page.keyboard.press("r")
    page.wait_for_selector(f"#unit-{two.id}.reviewed")
    assert page.locator("#pending-count").inner_text() == "1"
    page.locator(f"#unit-{uncoded.id}").focus()
    page.keyboard.press("n")
    page.wait_for_selector(f"#unit-{uncoded.id}.reviewed")
    assert page.locator("#pending-count").inner_text() == "0"
    assert page.locator("#page-done").is_visible()
    session.expire_all()
    statuses = sorted(link.status for link in session.exec(select(UnitCode).where(UnitCode.unit_id == two.id)))
    assert statuses == ["accepted", "rejected"]
    assert session.get(CodedUnit, uncoded.id).reviewed_at is not None


def test_study_overview_counts_the_codes_the_report_counts(session, study, analyst):
    """A doubtful suggestion (below the report's threshold) or a rejected code is no theme on the overview."""
    from workbench.services.reports import confidence_threshold

    low = confidence_threshold() - 0.2
    units = add_units(session, study, [(SUBSTANTIVE.format(n=1), {"billing": 0.9}),
                                       (SUBSTANTIVE.format(n=2), {"support": low}),
                                       (SUBSTANTIVE.format(n=3), {"delivery": 0.95})])
    codes = codes_of(session, study)
    coding_service.decide(session, study_id=study.id, unit_id=units[2].id, action="reject",
                          code_id=codes["delivery"].id, user=analyst)
    summary = coding_service.study_summary(session, study_id=study.id)
    assert [t.code.path for t in summary["themes"]] == ["billing"]
    # an analyst accepting the doubtful one makes it count
    coding_service.decide(session, study_id=study.id, unit_id=units[1].id, action="accept",
                          code_id=codes["support"].id, user=analyst)
    summary = coding_service.study_summary(session, study_id=study.id)
    assert sorted(t.code.path for t in summary["themes"]) == ["billing", "support"]


def test_quotes_behind_a_theme_are_the_units_its_figure_counts(session, study, analyst):
    """The report counts 'billing' and 'billing/errors' apart, so the quotes behind 'billing' are only its own."""
    from storytelling.report import build_report
    from workbench.services import reports as report_service

    session.add(Code(study_id=study.id, path="billing/errors", name="Invoice errors"))
    session.commit()
    add_units(session, study, [(SUBSTANTIVE.format(n=1), {"billing": 0.9}),
                               (SUBSTANTIVE.format(n=2), {"billing/errors": 0.9})])
    report = build_report(report_service.build_corpus(session, study))
    counted = {t.path: t.mentions for t in report.themes}
    assert counted == {"billing": 1, "billing/errors": 1}
    quotes, _ = report_service.quotes_behind(session, study=study, params={"theme": "billing"})
    assert [q["text"] for q in quotes] == [SUBSTANTIVE.format(n=1)]
