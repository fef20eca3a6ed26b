"""What was made cheaper for `make bench-load` gives the figures it gave before.

The report of a synthetic study from the cached corpus and agreement equals one built from scratch; theme
mentions, readable reasons, the answers page's code tally and the ratings of a page of interviews equal
straightforward (slow) reckonings of the same; the follow-up list moved out of the report page is still
there, with its count, for those who may set statuses.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from storytelling.report import SENTIMENTS, _Corpus, build_report, filter_interviews
from storytelling.schema import CodedUnit
from storytelling.trust import _readable_reason, readable_reason
from tests.factories import make_user, sign_in
from workbench.demo.synthetic import create_synthetic_study
from workbench.services import coding as coding_service
from workbench.services import reports as report_service
from workbench.services.redaction import passthrough

FILTERS = ({}, {"segment": "Enterprise"}, {"region": "Centre"})


def _fresh_report(session, study, filters: dict[str, str]) -> dict:
    corpus = report_service.build_corpus(session, study, language="en", redaction=passthrough())
    report = build_report(corpus, filters=filters, language="en",
                          stories=report_service.approved_stories(session, study_id=study.id),
                          loop_status=report_service.loop_statuses(session, study_id=study.id),
                          agreement=report_service.agreement_figures(session, study_id=study.id, language="en"))
    return dataclasses.asdict(report)


def test_the_report_from_the_cached_corpus_equals_one_built_afresh(session):
    study = create_synthetic_study(session, 60, seed=5).study
    for filters in FILTERS:
        for _ in range(2):  # built, then from the caches
            cached = report_service.build_study_report(session, study=study, filters=filters, language="en",
                                                       redaction=passthrough())
            assert dataclasses.asdict(cached) == _fresh_report(session, study, filters)
    # a drill-down reads the same corpus: one theme's quotes are the units the report counted for it
    report = report_service.build_study_report(session, study=study, filters={}, language="en")
    theme = report.themes[0]
    quotes, _ = report_service.quotes_behind(session, study=study, params={"theme": theme.path}, language="en")
    assert {q["unit_id"] for q in quotes} == {u for ids in theme.unit_ids.values() for u in ids}
    assert len({q["interview_id"] for q in quotes}) == theme.interviews


def _mentions_slowly(corpus: _Corpus, sentiments=SENTIMENTS) -> dict[str, list[CodedUnit]]:
    found: dict[str, list[CodedUnit]] = defaultdict(list)
    for interview in corpus.interviews:
        for unit in corpus.units.get(interview.id, []):
            for code in unit.codes:
                if unit.code_sentiment(code) in sentiments and unit not in found[code.path]:
                    found[code.path].append(unit)
    return found


def test_theme_mentions_and_readable_reasons_are_what_the_slow_reckoning_gives(session):
    study = create_synthetic_study(session, 40, seed=2).study
    corpus = report_service.build_corpus(session, study, language="en")
    indexed = _Corpus(corpus, filter_interviews(corpus.interviews, {}), "en")
    assert indexed.mentions() == _mentions_slowly(indexed)
    assert indexed.mentions(sentiments=("negative",)) == _mentions_slowly(indexed, ("negative",))
    units = [u for i in corpus.interviews for u in i.units]
    assert any(readable_reason(u) for u in units)
    assert [readable_reason(u) for u in units] == [_readable_reason.__wrapped__(u.reason or "", u.text)
                                                  for u in units]


def _tally_as_the_template_did(views) -> list[tuple[int, int, str]]:
    keys, items = [], []
    for view in views:
        for link, code in view.live:
            key = f"{code.id}:{link.sentiment or ''}"
            if key not in keys:
                items.append((link, code, key))
            keys.append(key)
    counted = [(keys.count(key), link, code) for link, code, key in items]
    return [(times, link.id, code.path) for times, link, code in sorted(counted, key=lambda c: c[0], reverse=True)]


def test_the_answers_page_tallies_and_ratings_are_those_of_the_whole_study(session):
    study = create_synthetic_study(session, 30, seed=4).study
    page = coding_service.answer_page(session, study_id=study.id, per_page=12)
    everything = coding_service.ratings_by_question(session, study_id=study.id)
    ids = sorted({i.id for _, rows in page.groups for i, _ in rows})
    assert len(ids) == 12
    assert coding_service.ratings_by_question(session, study_id=study.id, interview_ids=ids) == {
        key: rating for key, rating in everything.items() if key[0] in ids}
    checked = 0
    for question, answers in page.groups:
        for interview, views in answers:
            tally = page.tallies[(question.id if question else None, interview.id)]
            assert [(times, link.id, code.path) for times, link, code in tally] == _tally_as_the_template_did(views)
            checked += len(tally) > 1
    assert checked  # some answers carry several codes: their order is checked too


def test_the_follow_up_list_is_a_link_away_and_loads_into_the_report(client, session):
    study = create_synthetic_study(session, 40, seed=1).study
    report = report_service.build_study_report(session, study=study, filters={}, language="en")
    assert report.close_the_loop
    sign_in(client, "analyst@perche.demo", "perche-analyst")
    page = client.get(f"/studies/{study.id}/report")
    link = f"/studies/{study.id}/report/loop"
    assert f'hx-get="{link}"' in page.text and f'href="{link}"' in page.text
    assert f"of the {len(report.close_the_loop)} customers to call back" in page.text
    assert page.text.count('class="loop-status inline"') == 0
    whole = client.get(link)  # without JavaScript: a page of its own
    assert whole.status_code == 200 and "<html" in whole.text
    assert whole.text.count('class="loop-status inline"') == len(report.close_the_loop)
    fragment = client.get(link, headers={"HX-Request": "true", "HX-Target": "loop-editor"})
    assert "<html" not in fragment.text and fragment.text.count("loop-status inline") == len(report.close_the_loop)
    # the filters follow: the filtered report's list
    filtered = report_service.build_study_report(session, study=study, filters={"segment": "Enterprise"}, language="en")
    assert client.get(f"{link}?segment=Enterprise").text.count('class="loop-status inline"') == \
        len(filtered.close_the_loop)
    make_user(session, "manager")
    client.cookies.clear()
    sign_in(client, "manager@example.com")
    assert link not in client.get(f"/studies/{study.id}/report").text
    assert client.get(link).status_code == 403


def test_a_code_on_several_units_of_an_answer_is_counted_once_with_its_times():
    from types import SimpleNamespace as Row

    from workbench.services.coding import UnitView, code_tally

    price, speed = Row(id=1, path="price"), Row(id=2, path="speed")

    def link(n: int, sentiment: str | None, status: str = "suggested") -> Row:
        return Row(id=n, sentiment=sentiment, status=status)

    views = [UnitView(unit=Row(id=10), links=[(link(1, "negative"), price), (link(2, None), speed)]),
             UnitView(unit=Row(id=11), links=[(link(3, None), speed), (link(4, "negative", "rejected"), price)]),
             UnitView(unit=Row(id=12), links=[(link(5, None), speed), (link(6, "positive"), price)])]
    got = [(times, link.id, code.path) for times, link, code in code_tally(views)]
    assert got == _tally_as_the_template_did(views) == [(3, 2, "speed"), (1, 1, "price"), (1, 6, "price")]


def test_several_web_processes_need_the_jobs_run_elsewhere(cli):
    result = cli("serve", "--workers", "2")
    assert result.exit_code == 2
    assert "--no-worker" in result.output and "perche worker" in result.output
