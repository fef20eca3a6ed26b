"""The API keeps its own contract: every /api/ operation of the live app's OpenAPI, tried as a new user would.

Each operation is called without credentials, as a manager where it needs more, with ids that do not exist
or lie beyond any integer column, with malformed parameters and bodies, and with good ones. Every answer's
status must be documented for that operation, every error must be ErrorPublic, every 2xx body must match its
documented schema, and nothing answers 500. Routes are read from the OpenAPI, so routes added later are
covered without touching this file; the request bodies known to be good are listed below by operation.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.factories import bearer, make_interview, make_study, make_user, wav_bytes
from workbench import jobs
from workbench.models import Interview
from workbench.permissions import can
from workbench.services import reports as report_service

MISSING = 987_654
HUGE = [2**63, 10**30]


# --- a small JSON Schema checker for the subset FastAPI writes -------------------------------------------

def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
FORMATS = {"date": dt.date.fromisoformat, "date-time": dt.datetime.fromisoformat}


def schema_problems(value, schema: dict, spec: dict, where: str = "$") -> list[str]:
    """Why `value` breaks `schema` (an OpenAPI 3.1 schema as FastAPI writes them); empty when it fits."""
    schema = _resolve(schema, spec)
    problems: list[str] = []
    for key in ("anyOf", "oneOf"):
        if key in schema:
            fits = [not schema_problems(value, option, spec, where) for option in schema[key]]
            if not any(fits):
                problems.append(f"{where}: {value!r:.80} fits none of {key}")
    for option in schema.get("allOf", []):
        problems += schema_problems(value, option, spec, where)
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {value!r:.80} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r:.80} is not one of {schema['enum']}")
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(TYPES[k](value) for k in kinds):
            return [*problems, f"{where}: {value!r:.80} is not {kind}"]
    if isinstance(value, str) and schema.get("format") in FORMATS:
        try:
            FORMATS[schema["format"]](value)
        except ValueError:
            problems.append(f"{where}: {value!r} is not a {schema['format']}")
    if isinstance(value, dict):
        problems += [f"{where}: '{name}' is missing" for name in schema.get("required", []) if name not in value]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                problems += schema_problems(item, properties[name], spec, f"{where}.{name}")
            elif extra is False:
                problems.append(f"{where}: '{name}' is not documented")
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, spec, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += schema_problems(item, schema["items"], spec, f"{where}[{index}]")
    return problems


def test_the_checker_catches_what_it_should():
    spec = {"components": {"schemas": {"E": {"type": "object", "required": ["a"], "additionalProperties": False,
                                             "properties": {"a": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                                                            "d": {"type": "string", "format": "date"}}}}}}
    ref = {"$ref": "#/components/schemas/E"}
    assert schema_problems({"a": 1, "d": "2026-01-31"}, ref, spec) == []
    assert schema_problems({"a": None}, ref, spec) == []
    assert schema_problems({"a": "1"}, ref, spec)
    assert schema_problems({"a": True}, ref, spec)
    assert schema_problems({}, ref, spec)
    assert schema_problems({"a": 1, "b": 2}, ref, spec)
    assert schema_problems({"a": 1, "d": "31/01/2026"}, ref, spec)
    assert schema_problems([{"a": 1}, {"a": "x"}], {"type": "array", "items": ref}, spec)


# --- the live app and a world to call it on ---------------------------------------------------------------

def operations(spec: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in sorted(spec["paths"].items()):
        if path.startswith("/api/"):
            for method, operation in item.items():
                yield method.upper(), path, operation


def permissions(app) -> dict[tuple[str, str], str]:
    """The permission each API route asks for through deps.require, read from its dependencies."""
    found = {}

    def walk(dependant):
        for sub in dependant.dependencies:
            if hasattr(sub.call, "permission"):
                return sub.call.permission.value
            inner = walk(sub)
            if inner:
                return inner
        return None

    def routes(items, prefix=""):
        for route in items:
            router = getattr(route, "original_router", None)  # FastAPI keeps included routers nested
            if router is not None:
                yield from routes(router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute):
                yield prefix + route.path, route

    for path, route in routes(app.routes):
        if path.startswith("/api/"):
            for method in route.methods - {"HEAD"}:
                found[(method, path)] = walk(route.dependant)
    return found


@pytest.fixture
def world(client, session, settings):
    """A study with a coded interview, an approved story and a spare interview to delete; admin and manager."""
    admin = make_user(session, "admin", email="admin@example.com")
    study = make_study(session)
    interview, job = make_interview(session, settings, study, meta={"account": "Acme", "segment": "Enterprise"})
    jobs.enqueue(settings, [job.id])
    session.expire_all()
    story = report_service.set_story_status(session, interview=session.get(Interview, interview.id),
                                            status="approved", user=admin)
    spare, _ = make_interview(session, settings, study, seed=7)
    return {"ids": {"study_id": study.id, "interview_id": interview.id, "job_id": job.id, "story_id": story.id},
            "spare_interview_id": spare.id, "admin": bearer(session, admin),
            "manager": bearer(session, make_user(session, "manager"))}


class Contract:
    """Calls operations and collects every way an answer breaks the documentation."""

    def __init__(self, client: TestClient, spec: dict) -> None:
        self.client, self.spec = client, spec
        self.problems: list[str] = []
        self.calls = 0

    def call(self, method: str, path: str, operation: dict, *, headers=None, **kwargs):
        self.client.cookies.clear()  # no session cookie: only the Bearer token (or nothing) speaks
        response = self.client.request(method, path, headers=headers or {}, follow_redirects=False, **kwargs)
        self.calls += 1
        self.check(method, path, operation, response)
        return response

    def check(self, method: str, path: str, operation: dict, response) -> None:
        label = f"{method} {path} -> {response.status_code}"
        documented = operation["responses"]
        status = str(response.status_code)
        if response.status_code >= 500:
            self.problems.append(f"{label}: a server error: {response.text[:200]}")
            return
        if status not in documented:
            self.problems.append(f"{label}: status not documented (documented: {sorted(documented)}); "
                                 f"{response.text[:200]}")
            return
        content = documented[status].get("content", {})
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                self.problems.append(f"{label}: the error is not JSON: {response.text[:200]}")
                return
            problems = schema_problems(body, {"$ref": "#/components/schemas/ErrorPublic"}, self.spec)
            if body.get("status") != response.status_code:
                problems.append(f"its status says {body.get('status')}")
            if set(body) - {"error", "detail", "status", "link"}:
                problems.append(f"extra keys {sorted(set(body) - {'error', 'detail', 'status', 'link'})}")
            if problems:
                self.problems.append(f"{label}: not ErrorPublic: {problems} in {body}")
            return
        media = response.headers.get("content-type", "").split(";")[0]
        if media == "application/json" and "application/json" in content:
            schema = content["application/json"].get("schema", {})
            problems = schema_problems(response.json(), schema, self.spec)
            if problems:
                self.problems.append(f"{label}: the body breaks its schema: {problems[:5]}")
        elif content and media not in content:
            self.problems.append(f"{label}: answered {media}, documented {sorted(content)}")

    def expect(self, response, method: str, path: str, allowed: set[int], why: str) -> None:
        if response.status_code not in allowed:
            self.problems.append(f"{method} {path} ({why}): {response.status_code}, expected one of "
                                 f"{sorted(allowed)}: {response.text[:200]}")

    def report(self) -> None:
        assert not self.problems, f"{len(self.problems)} broken answers:\n" + "\n".join(self.problems)


def _fill(path: str, operation: dict, ids: dict[str, int], **overrides) -> str:
    values = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            name = parameter["name"]
            values[name] = overrides.get(name, ids.get(name, MISSING))
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _path_ids(operation: dict) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]


def _body_media(operation: dict) -> list[str]:
    return list(operation.get("requestBody", {}).get("content", {}))


@pytest.fixture
def contract(client, app):
    return Contract(client, app.openapi())


# --- the checks --------------------------------------------------------------------------------------------

def test_every_operation_documents_its_errors_with_error_public(app):
    spec = app.openapi()
    assert "ErrorPublic" in spec["components"]["schemas"]
    missing = []
    for method, path, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if schema.get("$ref") != "#/components/schemas/ErrorPublic":
                    missing.append(f"{method} {path} {status}")
        for status in ("401", "403"):
            if status not in operation["responses"]:
                missing.append(f"{method} {path} {status} (every API route is signed in)")
        if _path_ids(operation) and not {"404", "422"} <= set(operation["responses"]):
            missing.append(f"{method} {path}: an id in the address can be missing (404) or not a number (422)")
    assert not missing, "\n".join(missing)


def test_without_credentials_every_operation_is_a_401(contract, world):
    for method, path, operation in operations(contract.spec):
        url = _fill(path, operation, world["ids"])
        response = contract.call(method, url, operation)
        contract.expect(response, method, path, {401}, "no credentials")
        bad = contract.call(method, url, operation, headers={"Authorization": "Bearer not-a-token"})
        contract.expect(bad, method, path, {401}, "a wrong token")
    contract.report()


def test_a_manager_is_refused_what_the_role_cannot_do(contract, app, world):
    needed = permissions(app)
    refused = 0
    for method, path, operation in operations(contract.spec):
        permission = needed[(method, path)]
        assert permission, f"{method} {path} asks for no permission"
        if can("manager", permission):
            continue
        refused += 1
        response = contract.call(method, _fill(path, operation, world["ids"]), operation, headers=world["manager"])
        contract.expect(response, method, path, {403}, f"a manager lacks {permission}")
    assert refused >= 5
    contract.report()


def test_ids_that_do_not_exist_are_a_404(contract, client, world):
    bodies = known_bodies(world, client)
    for method, path, operation in operations(contract.spec):
        for name in _path_ids(operation):
            for value in (MISSING, 0, -1, *HUGE):
                response = contract.call(method, _fill(path, operation, world["ids"], **{name: value}), operation,
                                         headers=world["admin"], **bodies.get((method, path), {}))
                contract.expect(response, method, path, {404}, f"{name}={value}")
            response = contract.call(method, _fill(path, operation, world["ids"], **{name: "abc"}), operation,
                                     headers=world["admin"])
            contract.expect(response, method, path, {422}, f"{name}=abc")
    contract.report()


BAD_VALUES = {"integer": ["abc", str(10**30), "1.5"], "boolean": ["maybe"], "number": ["abc"],
              "date": ["31/01/2026", "2026-02-30"]}


def test_malformed_query_parameters_are_a_422(contract, client, world):
    bodies = known_bodies(world, client)
    tried = 0
    for method, path, operation in operations(contract.spec):
        if method == "DELETE":
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            schema = parameter["schema"]
            options = schema.get("anyOf", [schema])
            kinds = {o.get("format") or o.get("type") for o in options if o.get("type") != "null"}
            enums = [o for o in options if "enum" in o or "const" in o]
            values = [v for kind in kinds for v in BAD_VALUES.get(kind, [])] + (["no-such-choice"] if enums else [])
            for value in values:
                tried += 1
                kwargs = dict(bodies.get((method, path), {}))
                kwargs["params"] = {**kwargs.get("params", {}), parameter["name"]: value}
                response = contract.call(method, _fill(path, operation, world["ids"]), operation,
                                         headers=world["admin"], **kwargs)
                contract.expect(response, method, path, {422}, f"{parameter['name']}={value}")
    assert tried >= 10
    contract.report()


def _malformed_bodies(media: list[str]) -> Iterator[tuple[str, dict]]:
    yield "no body", {}
    yield "broken JSON", {"content": b'{"name": ', "headers": {"content-type": "application/json"}}
    yield "a JSON list", {"json": [1, 2, 3]}
    yield "a JSON string", {"json": "text"}
    yield "unknown fields", {"json": {"unexpected": {"deep": [None, 10**30]}}}
    yield "not UTF-8", {"content": b"\xff\xfe\xfa", "headers": {"content-type": "application/json"}}
    yield "plain text", {"content": b"hello", "headers": {"content-type": "text/plain"}}
    yield "NaN", {"content": b'{"segments": [{"start": NaN, "end": Infinity, "text": "x"}]}',
                  "headers": {"content-type": "application/json"}}
    if any(m.startswith("multipart/") for m in media):
        yield "multipart without its file", {"files": {"other": ("x.txt", b"x", "text/plain")}}
        yield "an empty file", {"files": {"file": ("call.wav", b"", "audio/wav")}}
        yield "a file of garbage", {"files": {"file": ("call.wav", b"\x00garbage" * 100, "audio/wav")}}
        yield "a broken multipart", {"content": b"--x\r\nbroken", "headers": {
            "content-type": "multipart/form-data; boundary=x"}}


def test_malformed_bodies_are_a_4xx(contract, world):
    tried = 0
    for method, path, operation in operations(contract.spec):
        if "requestBody" not in operation:
            continue
        url = _fill(path, operation, world["ids"])
        for why, kwargs in _malformed_bodies(_body_media(operation)):
            tried += 1
            headers = {**world["admin"], **kwargs.pop("headers", {})}
            response = contract.call(method, url, operation, headers=headers, **kwargs)
            contract.expect(response, method, path, {400, 409, 413, 415, 422}, why)
    assert tried >= 20
    contract.report()


# --- good requests: their 2xx bodies match the documentation -------------------------------------------------

def _transcript(world, client) -> dict:
    url = f"/api/interviews/{world['ids']['interview_id']}/transcript"
    return client.get(url, headers=world["admin"]).json()


GOOD_BODIES = {
    ("POST", "/api/studies"): lambda world, client: {"json": {"name": "Contract study", "language": "it"}},
    ("PATCH", "/api/interviews/{interview_id}"): lambda world, client: {"json": {"region": "East"}},
    ("PUT", "/api/interviews/{interview_id}/transcript"): lambda world, client: {"json": _transcript(world, client)},
    ("PUT", "/api/studies/{study_id}/codebook"): lambda world, client: {
        "params": {"recode": "true"},
        "json": client.get(f"/api/studies/{world['ids']['study_id']}/codebook", headers=world["admin"]).json()},
    ("POST", "/api/studies/{study_id}/interviews"): lambda world, client: {
        "files": {"file": ("contract.wav", wav_bytes(1.0, seed=123), "audio/wav")}, "data": {"account": "Zeta"}},
}


def known_bodies(world, client) -> dict[tuple[str, str], dict]:
    """Bodies that pass validation, so a missing id is reached (a 404) rather than a 422 for the body.

    Uploads are left out: their file is read once, and their ids are checked before it matters.
    """
    made = {key: make(world, client) for key, make in GOOD_BODIES.items()}
    return {key: body for key, body in made.items() if "files" not in body}


def test_good_requests_answer_their_documented_schema(contract, client, world):
    called = []
    for method, path, operation in operations(contract.spec):
        if method == "DELETE":
            continue
        make = GOOD_BODIES.get((method, path))
        if "requestBody" in operation and make is None:
            continue  # no good body known here: covered by the route's own tests, and by the error checks above
        kwargs = make(world, client) if make else {}
        response = contract.call(method, _fill(path, operation, world["ids"]), operation, headers=world["admin"],
                                 **kwargs)
        contract.expect(response, method, path, {200, 201, 202, 204}, "a good request")
        called.append((method, path))
    url = f"/api/interviews/{world['spare_interview_id']}"
    delete = contract.spec["paths"]["/api/interviews/{interview_id}"]["delete"]
    contract.expect(contract.call("DELETE", url, delete, headers=world["admin"]), "DELETE", url, {204}, "delete")
    assert ("GET", "/api/studies/{study_id}/interviews") in called and ("GET", "/api/stories/{story_id}") in called
    contract.report()


def test_the_error_shape_is_the_same_for_every_kind_of_error(client, world):
    """A sanity check that the contract above reads real errors: 401, 403, 404 and 422 side by side."""
    interview = world["ids"]["interview_id"]
    answers = [client.get(f"/api/interviews/{interview}"),
               client.delete(f"/api/interviews/{interview}", headers=world["manager"]),
               client.get(f"/api/interviews/{MISSING}", headers=world["admin"]),
               client.get(f"/api/interviews/{interview}x", headers=world["admin"])]
    assert [a.status_code for a in answers] == [401, 403, 404, 422]
    for answer in answers:
        body = answer.json()
        assert set(body) == {"error", "detail", "status"} and body["status"] == answer.status_code
        assert json.dumps(body)  # plain JSON, nothing else
