"""The audit log: what is recorded across the app, the admin page's filters and pages, its CSV and GET /api/audit."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlmodel import select

from tests.factories import bearer, make_study, make_user
from tests.workbench.test_erasure import add_interview
from workbench.models import AuditEvent
from workbench.services import audit


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_views_downloads_exports_and_deletes_are_recorded(client, session, settings):
    analyst = make_user(session, "analyst")
    headers = bearer(session, analyst)
    study = make_study(session)
    interview_id = add_interview(client, headers, study.id, respondent="Anna Verdi", account="Acme",
                                 answers=["Invoices are often wrong.", "Support is quick."], seed=3)
    target = f"interview:{interview_id}"
    for path in (f"/interviews/{interview_id}", f"/api/interviews/{interview_id}/transcript",
                 f"/api/interviews/{interview_id}/coding", f"/interviews/{interview_id}/transcript"):
        assert client.get(path, headers=headers).status_code == 200
    views = _events(session, "transcript.view")
    assert [(e.target, e.detail.get("via"), e.user_id, e.study_id) for e in views] == [
        (target, "web", analyst.id, study.id), (target, "api", analyst.id, study.id),
        (target, "api", analyst.id, study.id), (target, "web", analyst.id, study.id)]
    assert views[-1].detail["part"] == "transcript panel"  # the htmx panel, loaded once a transcription ends
    assert views[0].address  # the client's address
    for path in (f"/studies/{study.id}/report", f"/api/studies/{study.id}/report"):
        assert client.get(path, headers=headers).status_code == 200
    assert [e.detail["format"] for e in _events(session, "report.view")] == ["html", "api"]
    # the player's first request is a download; its seeking requests are not logged again
    assert client.get(f"/interviews/{interview_id}/audio", headers=headers).status_code == 200
    assert client.get(f"/interviews/{interview_id}/audio", headers={**headers, "Range": "bytes=0-"}).status_code == 206
    later = client.get(f"/interviews/{interview_id}/audio", headers={**headers, "Range": "bytes=100-"})
    assert later.status_code == 206
    assert len(_events(session, "audio.download")) == 2
    for path in (f"/interviews/{interview_id}/transcript.docx", f"/api/interviews/{interview_id}/transcript.srt",
                 f"/studies/{study.id}/export/segments.csv", f"/api/studies/{study.id}/export/ratings.xlsx",
                 f"/studies/{study.id}/codebook/export", f"/api/studies/{study.id}/export.qdpx"):
        assert client.get(path, headers=headers).status_code == 200, path
    exports = _events(session, "export")
    assert [e.detail["file"] for e in exports] == ["transcript.docx", "transcript.srt", "segments.csv",
                                                    "ratings.xlsx", "codebook.yaml", "project.qdpx"]
    assert all("acme" not in (str(e.detail) + e.target).lower() for e in exports)  # file names hold the account
    assert client.delete(f"/api/interviews/{interview_id}", headers=headers).status_code == 204
    deleted = _events(session, "interview.delete")
    assert len(deleted) == 1 and deleted[0].target == target and deleted[0].detail["counts"]["interviews"] == 1


def _seed(session, count: int = 120) -> None:
    start = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    for number in range(count):
        audit.record(session, user=None, action=("transcript.view", "token.create", "export")[number % 3],
                     study_id=number % 2 + 1, target=f"interview:{number}", at=start + dt.timedelta(hours=number),
                     detail={"n": number})
    audit.flush()


def test_the_admin_page_filters_and_pages_newest_first(client, session):
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    _seed(session)
    page = client.get("/admin/audit", headers=headers)
    assert page.status_code == 200 and page.text.index("interview:119") < page.text.index("interview:118")
    assert "interview:69" not in page.text and "before=" in page.text  # 50 a page
    older = client.get("/admin/audit", headers=headers, params={"before": page.text.split("before=")[1].split('"')[0]})
    assert "interview:69" in older.text and "interview:119" not in older.text
    filtered = client.get("/admin/audit", headers=headers, params={"action": "token", "study": "2",
                                                                   "date_from": "2026-01-02", "date_to": "2026-01-02"})
    # token.create is number % 3 == 1, study 2 is an odd number, 2 January is hours 15..38
    expected = [n for n in range(15, 39) if n % 3 == 1 and n % 2 == 1]
    for number in range(120):
        assert (f"interview:{number}<" in filtered.text) == (number in expected), number
    bad = client.get("/admin/audit", headers=headers, params={"date_from": "January"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    analyst = make_user(session, "analyst")
    assert client.get("/admin/audit", headers=bearer(session, analyst)).status_code == 403


def test_the_csv_export_is_the_filtered_view_and_formula_safe(client, session):
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    _seed(session, 6)
    audit.record(session, user=None, action="export", target="=HYPERLINK(\"http://x\")", study_id=1)
    response = client.get("/admin/audit.csv", headers=headers, params={"action": "export"})
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == audit.CSV_HEADERS
    assert [r[6] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "interview:5", "interview:2"]
    assert rows[-1][1] == "2026-01-01T11:00:00+00:00" and rows[-1][8] == '{"n": 2}'
    # exporting the log is itself logged
    assert _events(session, "export")[-1].target == "audit"


def test_the_api_reads_the_log_with_the_same_filters(client, session):
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    _seed(session, 10)
    first = client.get("/api/audit", headers=headers, params={"limit": 4, "study": 1})
    assert first.status_code == 200
    body = first.json()
    assert [e["target"] for e in body["events"]] == ["interview:8", "interview:6", "interview:4", "interview:2"]
    rest = client.get("/api/audit", headers=headers, params={"limit": 4, "study": 1, "before": body["next_before"]})
    assert [e["target"] for e in rest.json()["events"]] == ["interview:0"] and rest.json()["next_before"] is None
    assert client.get("/api/audit", headers=headers, params={"user": "nobody"}).json()["events"] == []
    bad = client.get("/api/audit", headers=headers, params={"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 422 and bad.json()["status"] == 422
    manager = make_user(session, "manager")
    assert client.get("/api/audit", headers=bearer(session, manager)).status_code == 403


def test_the_page_shows_labels_and_readable_details_and_a_target_finds_every_event(client, session):
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    audit.record(session, user=None, action="transcript.view", target="interview:5", detail={"via": "web"})
    audit.record(session, user=None, action="erase", target="interview:4,5,15",
                 detail={"interviews": [4, 5, 15], "counts": {"segments": 3}, "by": "respondent"})
    audit.record(session, user=None, action="redaction.setting", target="study:1",
                 detail={"redact_personal_data": True})
    audit.record(session, user=None, action="export", target="interview:15", detail={})
    audit.flush()
    page = client.get("/admin/audit", headers=headers).text
    assert "Viewed a transcript" in page and "Erased personal data" in page
    assert "interviews: 4, 5, 15" in page and "counts segments: 3" in page and "redact personal data: yes" in page
    assert "[4, 5, 15]" not in page and "{" not in page.split("<table")[1].split("</table>")[0]
    found = client.get("/api/audit", headers=headers, params={"target": "interview:5"}).json()["events"]
    assert [e["action"] for e in found] == ["erase", "transcript.view"]
    assert [e["action"] for e in client.get("/api/audit", headers=headers,
                                            params={"target": "interview:1"}).json()["events"]] == []
