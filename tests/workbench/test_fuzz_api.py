"""The integration API fuzzed from its own OpenAPI document (schemathesis, in-process over ASGI).

Every operation gets a bounded, derandomized set of generated requests, valid ones and (for operations
with parameters or a body) invalid ones, sent with an admin's bearer token against a database holding one
coded study with one interview (so small ids exist). Every check schemathesis has runs on each response:
no server error, a documented status, a body, headers and content type as documented, the Allow header
of a 405, schema-valid requests accepted (a 4xx for one is a finding) and invalid ones refused.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure

from tests.factories import bearer, make_interview, make_study, make_user

# Examples per operation and mode: enough to reach each route's error paths; the run stays near a minute.
MAX_EXAMPLES = 25

# Schema-valid requests the API may refuse, because what makes them wrong is not something JSON Schema can
# say: the content of an uploaded file, an order between two fields, an opaque cursor. Each is refused with
# a message naming the problem, and the status is documented on the route.
CONTENT_RULES = [  # (operation, status, what the error's detail says, why no schema can say it)
    ("POST /api/studies/{study_id}/interviews", 415, "", "a file that is not a recording: its bytes decide"),
    ("POST /api/studies/{study_id}/interviews", 422, "", "a transcript file that cannot be read: its bytes decide"),
    ("POST /api/studies/{study_id}/import", 415, "", "a file that is not a REFI-QDA project or codebook"),
    ("POST /api/studies/{study_id}/import", 422, "", "a REFI-QDA file whose XML does not validate"),
    ("POST /api/studies", 422, "scale_min must be below scale_max", "an order between two fields"),
    ("GET /api/audit", 422, "the first day comes before date_to", "an order between two fields"),
    ("GET /api/studies/{study_id}/interviews", 422, "The cursor is not one this API gave", "an opaque cursor"),
    ("PUT /api/studies/{study_id}/codebook", 422, "repeats the path", "paths unique across the list's items"),
]


def _operations() -> list[tuple[str, bool]]:
    """(label, has inputs) per operation; the delete last (each operation has its own database anyway)."""
    from workbench.app import create_app
    from workbench.settings import Settings

    spec = create_app(Settings(), start_worker=False).openapi()
    labels = [(f"{method.upper()} {path}", bool(op.get("parameters") or op.get("requestBody")))
              for path, methods in spec["paths"].items() for method, op in methods.items()]
    return sorted(labels, key=lambda item: item[0].startswith("DELETE"))


CASES = [pytest.param(label, mode, id=f"{label}-{mode.value}") for label, has_inputs in _operations()
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or has_inputs]


@pytest.fixture
def fuzz_world(session, settings):
    """An admin's bearer token, and one study with one transcribed and coded interview (ids 1 exist)."""
    admin = make_user(session, "admin")
    study = make_study(session)
    make_interview(session, settings, study)
    return {"headers": bearer(session, admin)}


def _tolerated(label: str, failure: Failure, response) -> bool:
    if failure.title != "Schema-valid request rejected":
        return False
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - not JSON: no detail to match
        body = None
    detail = body.get("detail", "") if isinstance(body, dict) else ""
    return any(label == rule[0] and response.status_code == rule[1] and rule[2] in detail for rule in CONTENT_RULES)


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_api_answers_as_documented(app, fuzz_world, label, mode):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    findings: dict[str, str] = {}
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def send(case):
        response = case.call(headers=fuzz_world["headers"])
        sent.append(response.status_code)
        try:
            case.validate_response(response, headers=fuzz_world["headers"])
        except BaseExceptionGroup as group:
            failures = [f for f in group.exceptions if not _tolerated(label, f, response)]
            for failure in failures:
                findings.setdefault(f"{failure.title} ({response.status_code})",
                                    f"{failure.title}: {failure.message}\n{response.text[:300]}\n"
                                    f"{case.as_curl_command()}"[:1500])
        except Failure as failure:
            if not _tolerated(label, failure, response):
                findings.setdefault(f"{failure.title} ({response.status_code})",
                                    f"{failure.title}: {failure.message}\n{response.text[:300]}\n"
                                    f"{case.as_curl_command()}"[:1500])

    send()
    if os.environ.get("PERCHE_FUZZ_LOG"):  # figures for the report: requests sent, statuses, findings
        with open(os.environ["PERCHE_FUZZ_LOG"], "a") as log:
            log.write(json.dumps({"case": f"{label}-{mode.value}", "sent": len(sent), "statuses": sorted(set(sent)),
                                  "findings": sorted(findings)}) + "\n")
    assert not findings, "\n\n".join(findings.values())
