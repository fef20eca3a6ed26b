"""The FastAPI application: middleware, error pages, routers, and the embedded job worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote

import asgi_csrf as asgi_csrf_module
from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from python_multipart import FormParser
from python_multipart.multipart import Field, File
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from workbench import jobs
from workbench.db import upgrade_database
from workbench.errors import LoginRequired, PercheError
from workbench.routes import (
    admin,
    api,
    auth,
    coding,
    exports,
    interviews,
    privacy,
    qdpx,
    reports,
    studies,
)
from workbench.security import SecurityHeadersMiddleware
from workbench.services import audit
from workbench.services import coding as coding_service
from workbench.settings import Settings, get_settings
from workbench.storage import StorageUnavailable
from workbench.web import STATIC_DIR, render

log = logging.getLogger("perche")


class _TokenFormParser(FormParser):
    """The parser asgi-csrf reads a multipart form's token with, taking its `FileClass` again.

    asgi-csrf 0.11 passes `FileClass=`, which python-multipart 0.0.26 removed (simonw/asgi-csrf#38): every
    multipart form sent without the x-csrftoken header (the codebook page's import forms, any upload
    without JavaScript) was a 500. As asgi-csrf meant, a file part before the token stops the reading at
    once (`FileClass.write` raises): the form is refused, not buffered.
    """

    def __init__(self, content_type: str, on_field: Callable[[Field], None] | None,
                 on_file: Callable[[File], None] | None, *, boundary: bytes | str | None = None,
                 FileClass: type | None = None) -> None:  # asgi-csrf's keyword
        super().__init__(content_type, on_field, on_file, boundary=boundary)
        callbacks = self.parser.callbacks
        values: list[bytes] = []
        begin, value, finished = (callbacks[f"on_{name}"] for name in ("part_begin", "header_value",
                                                                         "headers_finished"))

        def on_part_begin() -> None:
            values.clear()
            begin()

        def on_header_value(data: bytes, start: int, end: int) -> None:
            values.append(data[start:end])
            value(data, start, end)

        def on_headers_finished() -> None:
            finished()
            disposition = b"".join(values).lower()
            if FileClass is not None and (b"filename=" in disposition or b"filename*=" in disposition):
                FileClass(None, None, {}).write(b"")

        callbacks.update(on_part_begin=on_part_begin, on_header_value=on_header_value,
                         on_headers_finished=on_headers_finished)


asgi_csrf_module.FormParser = _TokenFormParser


class CSRFMiddleware:
    """asgi-csrf's double-submit check on every unsafe request that carries cookies."""

    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self.app = asgi_csrf(app, signing_secret=secret, cookie_secure=secure, send_csrf_failed=_csrf_failed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def _csrf_failed(scope: Scope, send: Send, message_id: asgi_csrf_module.Errors) -> None:
    body = (
        "<!doctype html><meta charset=utf-8><title>Form expired</title>"
        "<link rel=stylesheet href=/static/app.css><main class=narrow><h1>This form has expired</h1>"
        "<p>The page was open too long or came from elsewhere, so it was not sent. "
        "Go back, reload the page and send it again.</p><p><a href=/>Back to Perché</a></p></main>"
    ).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, title: str, message: str,
                    link: tuple[str, str] | None = None, headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        body = {"error": title, "detail": message, "status": status, **({"link": link[0]} if link else {})}
        return JSONResponse(body, status_code=status, headers=headers)
    context = {"title": title, "message": message, "status": status, "link": link}
    if request.headers.get("hx-request") == "true":
        # htmx swaps 4xx bodies into the form's error slot (see static/app.js).
        return render(request, "_error_fragment.html", context, status_code=status, headers=headers)
    if getattr(request.state, "user", None) is None:
        _attach_session_user(request)
    return render(request, "error.html", context, status_code=status, headers=headers)


def _attach_session_user(request: Request) -> None:
    """Error pages outside any route still show the signed-in user's menu."""
    from sqlmodel import Session

    from workbench.db import get_engine
    from workbench.services.users import session_user

    cookie = request.scope.get("session", {})
    if isinstance(cookie.get("user_id"), int):
        with Session(get_engine(request.app.state.settings)) as session:
            request.state.user = session_user(session, cookie.get("user_id"), cookie.get("sv"))


def _allowed_methods(request: Request) -> str:
    from starlette.routing import Match

    methods = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            methods.append(method)
    return ", ".join(methods)


def refuse_demo_users_in_production(settings: Settings) -> None:
    """With PERCHE_ENV=production, refuse to start while a demo user of `perche demo` is active."""
    if settings.env != "production":
        return
    from workbench.db import session_scope
    from workbench.services.users import active_demo_users

    with session_scope(settings) as session:
        emails = [u.email for u in active_demo_users(session)]
    if emails:
        raise RuntimeError(
            f"PERCHE_ENV=production, but the demo users of `perche demo` are active ({', '.join(emails)}); "
            "their passwords are public. Deactivate them with `perche user deactivate --demo`, then start again.")


def create_app(settings: Settings | None = None, *, start_worker: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.ensure_dirs()
    jobs.queue_for(settings)  # the queue this app's jobs go on, built from its settings
    run_worker = settings.embedded_worker if start_worker is None else start_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade_database(settings)
        refuse_demo_users_in_production(settings)
        # Before serving, not in a thread: a second thread importing spaCy's modules while requests
        # import them too can trip Python's import-deadlock detection.
        coding_service.warm_up_small_talk_gate()
        consumer = jobs.start_consumer(settings, embedded=True) if run_worker else None
        yield
        if consumer is not None:
            consumer.stop(graceful=False)
        audit.flush()  # the events still waiting for the background writer

    app = FastAPI(
        title="Perché",
        summary="Voice-of-customer interview workbench: recordings in, the why behind satisfaction out.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings

    @app.exception_handler(PercheError)
    async def perche_error(request: Request, exc: PercheError) -> Response:
        if isinstance(exc, LoginRequired) and not _wants_json(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.headers.get("hx-request") == "true":
                return Response(status_code=401, headers={"HX-Redirect": f"/login?next={quote(target)}"})
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if isinstance(exc, StorageUnavailable):  # what to fix is for the operators' log, not the user's page
            log.error("%s %s: %s", request.method, request.url.path, exc.message)
            return _error_response(request, exc.status, exc.title, StorageUnavailable.USER_MESSAGE, None)
        return _error_response(request, exc.status, exc.title, exc.message, exc.link)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p not in ('body', 'query', 'path', 'form'))}: {e['msg']}"
            for e in exc.errors()
        )
        return _error_response(request, 422, "Please check what you sent", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed here"}
        message = "There is nothing at this address. Use the menu to find your way." if exc.status_code == 404 \
            else str(exc.detail)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # RFC 9110: a 405 lists every method the address takes (Starlette names only its first route's)
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return _error_response(request, exc.status_code, titles.get(exc.status_code, "Error"), message,
                               headers=headers or None)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        if "NUL" in str(getattr(exc, "orig", "")):
            # PostgreSQL cannot store the NUL character, wherever a request puts it
            return _error_response(request, 422, "Please check what you sent",
                                   "The text you sent holds a NUL character (\\x00); remove it and send it again.")
        # An id beyond the database's integer range in the address or a query parameter
        # (/interviews/99999999999 on PostgreSQL, or past 2**63 on SQLite): nothing is there.
        return _error_response(request, 404, "Not found",
                               "There is nothing at this address: a number in it is out of range.")

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in (auth, studies, interviews, coding, reports, exports, qdpx, admin, privacy, api):
        app.include_router(module.router)

    app.add_middleware(CSRFMiddleware, secret=settings.signing_key(), secure=settings.cookie_secure)
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=frozenset(
        path for path in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if path))
    app.add_middleware(
        SessionMiddleware, secret_key=settings.signing_key(), session_cookie="perche_session",
        max_age=settings.session_hours * 3600, same_site="lax", https_only=settings.cookie_secure,
    )
    return app
