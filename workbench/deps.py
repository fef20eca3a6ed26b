"""Request dependencies: the settings, a database session, the current user, and permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, params
from sqlmodel import Session

from workbench.db import get_engine
from workbench.errors import Forbidden, LoginRequired, TooLarge
from workbench.models import User
from workbench.permissions import PERMISSION_LABELS, Permission, can
from workbench.services import users as user_service
from workbench.settings import Settings


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    with Session(get_engine(settings), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(request: Request, session: SessionDep) -> User:
    """The user behind a Bearer token or the session cookie; 401 otherwise (saying why for a revoked or
    expired token)."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = user_service.user_for_token(session, authorization[7:].strip(),
                                           production=request.app.state.settings.env == "production")
        if user is None:
            raise LoginRequired("The API token is not valid. Create one with `perche token create EMAIL`.")
        request.state.user = user
        return user
    # The cookie carries the user's session version: signing out everywhere, a new password, a role
    # change or a deactivation raises it, and older cookies stop working.
    user = user_service.session_user(session, request.session.get("user_id"), request.session.get("sv"))
    if user is None:
        request.session.clear()
        raise LoginRequired("Please sign in to continue.")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require(permission: Permission) -> params.Depends:
    """A dependency that lets the request through only for roles holding the permission."""

    def dependency(user: CurrentUser) -> User:
        if not can(user.role, permission):
            raise Forbidden(
                f"Your role ({user.role.value}) does not allow you to {PERMISSION_LABELS[permission]}. "
                "Ask an admin if you need it."
            )
        return user

    dependency.permission = permission  # type: ignore[attr-defined]  (read by the role-matrix test)
    return Depends(dependency)


def client_address(request: Request) -> str:
    """The client's IP address as the server sees it (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else ""


async def read_body(request: Request, *, limit: int, what: str = "The body") -> bytes:
    """The request body, refused with a 413 as soon as it passes `limit` bytes (never read whole first)."""
    declared = request.headers.get("content-length", "")
    too_large = TooLarge(f"{what} is larger than {limit / 1024**2:g} MB, the largest accepted.")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
