"""Signing in and out, and ending every session of an account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from workbench.deps import CurrentUser, SessionDep, SettingsDep, client_address
from workbench.errors import PercheError
from workbench.models import utcnow
from workbench.security import safe_local_path
from workbench.services import users as user_service
from workbench.web import render

router = APIRouter(tags=["auth"])

WRONG_CREDENTIALS = "E-mail or password is wrong, or the account is disabled. Try again."


@router.get("/", include_in_schema=False)
def home(user: CurrentUser) -> RedirectResponse:
    """Start page: the studies list."""
    return RedirectResponse("/studies", status_code=303)


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "auth/login.html", {"next": safe_local_path(next), "error": None, "email": ""})


def _refused(request: Request, *, email: str, next: str, message: str, status: int, title: str,
             headers: dict[str, str] | None = None) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": title, "detail": message, "status": status}, status_code=status,
                            headers=headers)
    return render(request, "auth/login.html", {"next": safe_local_path(next), "email": email, "error": message},
                  status_code=status, headers=headers)


@router.post("/login", include_in_schema=False)
def login(request: Request, session: SessionDep, settings: SettingsDep, email: Annotated[str, Form()] = "",  # nosec B107  # an empty form field, which fails the check
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/studies") -> Response:
    """Check the credentials and start a session (throttled per account and per address)."""
    try:
        user = user_service.authenticate(session, email=email, password=password, address=client_address(request),
                                         production=settings.env == "production")
    except user_service.TooManyAttempts as exc:
        wait = max(1, int((exc.retry_at - utcnow()).total_seconds()))
        return _refused(request, email=email, next=next, message=exc.message, status=429, title=exc.title,
                        headers={"Retry-After": str(wait)})
    except PercheError as exc:
        return _refused(request, email=email, next=next, message=exc.message, status=exc.status, title=exc.title)
    if user is None:
        return _refused(request, email=email, next=next, message=WRONG_CREDENTIALS, status=400,
                        title="Please check what you sent")
    request.session.clear()
    request.session.update({"user_id": user.id, "sv": user.session_version})
    return RedirectResponse(safe_local_path(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> RedirectResponse:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/logout/everywhere", include_in_schema=False)
def logout_everywhere(request: Request, session: SessionDep, user: CurrentUser) -> RedirectResponse:
    """End every session of the signed-in user, on every device, this one included."""
    user_service.revoke_sessions(session, user=user, acting_user=user, address=client_address(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
