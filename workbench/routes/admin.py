"""User management for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from workbench.deps import SessionDep, client_address, require
from workbench.errors import PercheError
from workbench.models import Role, User
from workbench.permissions import ROLE_HELP, Permission
from workbench.services import users as user_service
from workbench.web import render

router = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False)


def _page(request: Request, session: Session, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/users.html",
                  {"users": user_service.list_users(session), "roles": list(Role), "role_help": ROLE_HELP,
                   "error": error, "tokens": user_service.list_tokens(session), "token_state": user_service.token_state,
                   "locked": user_service.locked_emails(session), "notice": request.session.pop("notice", None),
                   "lock_minutes": int(user_service.THROTTLE_WINDOW.total_seconds() // 60)},
                  status_code=status_code)


def _done(request: Request, notice: str, anchor: str = "") -> RedirectResponse:
    """Back to the users page, which shows `notice` once."""
    request.session["notice"] = notice
    return RedirectResponse("/admin/users" + anchor, status_code=303)


@router.get("/users")
def read_users(request: Request, session: SessionDep,
               user: Annotated[User, require(Permission.manage_users)]) -> HTMLResponse:
    """Users and their roles."""
    return _page(request, session)


@router.post("/users")
def create_user(request: Request, session: SessionDep, user: Annotated[User, require(Permission.manage_users)],  # nosec B107  # an empty form field, refused by create_user
                email: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                role: Annotated[str, Form()] = "interviewer", password: Annotated[str, Form()] = "") -> Response:
    """Add a user."""
    try:
        user_service.create_user(session, email=email, password=password, role=role, name=name, acting_user=user,
                                 address=client_address(request))
    except PercheError as exc:
        return _page(request, session, error=exc.message, status_code=exc.status)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}")
def update_user(request: Request, user_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.manage_users)],
                role: Annotated[str | None, Form()] = None, active: Annotated[str | None, Form()] = None) -> Response:
    """Change a user's role, or disable or enable them."""
    try:
        user_service.update_user(session, user_id=user_id, role=role,
                                 active=None if active is None else active == "true", acting_user=user,
                                 address=client_address(request))
    except PercheError as exc:
        return _page(request, session, error=exc.message, status_code=exc.status)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/sessions/revoke")
def revoke_sessions(request: Request, user_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.manage_users)]) -> Response:
    """Sign a user out everywhere: every session of theirs ends."""
    try:
        target = user_service.get_user(session, user_id)
    except PercheError as exc:
        return _page(request, session, error=exc.message, status_code=exc.status)
    user_service.revoke_sessions(session, user=target, acting_user=user, address=client_address(request))
    if target.id == user.id:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)
    return _done(request, f"{target.email} is signed out on every device. Their API tokens still work: revoke them "
                          "below if needed.")


@router.post("/users/{user_id}/unlock")
def unlock_user(request: Request, user_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.manage_users)]) -> Response:
    """Lift a sign-in lock: clear the account's failed sign-ins."""
    try:
        target = user_service.get_user(session, user_id)
    except PercheError as exc:
        return _page(request, session, error=exc.message, status_code=exc.status)
    user_service.unlock(session, user=target, acting_user=user, address=client_address(request))
    return _done(request, f"{target.email} is unlocked and can sign in again now.")


@router.post("/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, session: SessionDep,
                 user: Annotated[User, require(Permission.manage_users)]) -> Response:
    """Revoke an API token."""
    try:
        token = user_service.revoke_token(session, token_id=token_id, acting_user=user,
                                          address=client_address(request))
    except PercheError as exc:
        return _page(request, session, error=exc.message, status_code=exc.status)
    return _done(request, f"API token #{token.id}{' (' + token.name + ')' if token.name else ''} is revoked: it no "
                          "longer works.", anchor="#tokens")
