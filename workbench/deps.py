"""Request dependencies: the settings, a database session, the current user, and permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from workbench.db import get_engine
from workbench.errors import Forbidden, LoginRequired
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
    """The user behind a Bearer token or the session cookie; 401 otherwise."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = user_service.user_for_token(session, authorization[7:].strip())
        if user is None:
            raise LoginRequired("The API token is not valid. Create one with `perche token create EMAIL`.")
        request.state.user = user
        return user
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.active or request.session.get("pw") != user.password_hash[-16:]:
        request.session.clear()
        raise LoginRequired("Please sign in to continue.")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require(permission: Permission):
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
