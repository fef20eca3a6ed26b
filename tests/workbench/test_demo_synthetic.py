"""`perche demo --synthetic N`: a coded study of N made-up interviews, stored without any model run."""

from __future__ import annotations

from collections import Counter

from tests.factories import sign_in
from workbench.demo.synthetic import create_synthetic_study
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import interviews as interview_service
from workbench.services import reports as report_service
from workbench.services import studies as study_service
from workbench.services import transcripts as transcript_service


def test_a_synthetic_study_is_named_so_and_holds_n_coded_interviews(session):
    made = create_synthetic_study(session, 30, seed=3)
    study = made.study
    assert "synthetic" in study.name.lower() and "30" in study.name
    interviews = interview_service.list_interviews(session, study_id=study.id)
    assert len(interviews) == made.interviews == 30
    assert all(i.status.value == "transcribed" and i.account and i.segment and i.region and i.product_line
               and i.journey_stage and i.channel and i.interview_date and i.interviewer_name for i in interviews)
    assert Counter(i.language for i in interviews) == {"en": 18, "it": 12}
    assert len({i.segment for i in interviews}) > 1 and len({i.region for i in interviews}) > 1
    # a transcript with both speakers, and coded units pointing into its lines
    lines = transcript_service.segments_of(session, interview_id=interviews[0].id)
    views = coding_service.units_of(session, interview_id=interviews[0].id)
    assert len(lines) > len(views) > 0
    by_id = {line.id: line for line in lines}
    assert all(by_id[v.unit.segment_id].text[v.unit.start_char:v.unit.end_char] == v.unit.text for v in views)
    # themes from the starter codebook, some decided by an analyst, some waiting for review
    starter = {c.path for c in codebook_service.codes_of(session, study.id)}
    links = [(link, code) for i in interviews for v in coding_service.units_of(session, interview_id=i.id)
             for link, code in v.links]
    assert links and {code.path for _, code in links} <= starter
    statuses = Counter(link.status for link, _ in links)
    assert statuses["accepted"] and statuses["suggested"]
    assert coding_service.queue_size(session, study_id=study.id)[0] > 0


def test_its_ratings_spread_and_its_report_builds(session):
    study = create_synthetic_study(session, 40).study
    summary = coding_service.study_summary(session, study_id=study.id)
    assert summary["coded"] == 40 and summary["scale"] == "nps" and summary["ratings"] >= 30
    assert summary["nps_groups"]["promoter"] and summary["nps_groups"]["detractor"]
    scales = Counter(r.scale for r in coding_service.ratings_of(session, study_id=study.id).values())
    assert scales == {"nps": summary["ratings"]}
    report = report_service.build_study_report(session, study=study, filters={"segment": "Enterprise"},
                                               language="en")
    assert 0 < len(report.summary.interview_ids) < 40


def test_the_pages_of_a_synthetic_study_open(client, session):
    study = create_synthetic_study(session, 12).study
    sign_in(client, "analyst@perche.demo", "perche-analyst")
    interview = interview_service.list_interviews(session, study_id=study.id)[0]
    for path in (f"/studies/{study.id}", f"/interviews/{interview.id}", f"/studies/{study.id}/review",
                 f"/studies/{study.id}/questions", f"/studies/{study.id}/report",
                 f"/studies/{study.id}/report?region=North"):
        assert client.get(path).status_code == 200, path


def test_the_cli_creates_one(cli, session):
    result = cli("demo", "--synthetic", 5)
    assert result.exit_code == 0, result.output
    assert "synthetic" in result.output.lower()
    studies = study_service.list_studies(session)
    assert len(studies) == 1 and len(interview_service.list_interviews(session, study_id=studies[0].id)) == 5
