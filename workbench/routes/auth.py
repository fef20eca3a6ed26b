"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from workbench.deps import CurrentUser, SessionDep
from workbench.services import users as user_service
from workbench.web import render

router = APIRouter(tags=["auth"])


def _safe_next(target: str | None) -> str:
    # Only local paths, so the login form cannot bounce a user to another site.
    return target if target and target.startswith("/") and not target.startswith("//") else "/studies"


@router.get("/", include_in_schema=False)
def home(user: CurrentUser) -> RedirectResponse:
    """Start page: the studies list."""
    return RedirectResponse("/studies", status_code=303)


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None):
    """The sign-in form."""
    return render(request, "auth/login.html", {"next": _safe_next(next), "error": None, "email": ""})


@router.post("/login", include_in_schema=False)
def login(request: Request, session: SessionDep, email: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/studies"):
    """Check the credentials and start a session."""
    user = user_service.authenticate(session, email=email, password=password)
    if user is None:
        return render(request, "auth/login.html",
                      {"next": _safe_next(next), "email": email,
                       "error": "E-mail or password is wrong, or the account is disabled. Try again."},
                      status_code=400)
    request.session.clear()
    request.session.update({"user_id": user.id, "pw": user.password_hash[-16:]})
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> RedirectResponse:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
