"""Users and API tokens."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from workbench.errors import BadRequest, Conflict, NotFound
from workbench.models import ApiToken, Role, User, utcnow
from workbench.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise BadRequest(f"'{email}' is not an e-mail address. Use the form name@company.com.")
    return email


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise BadRequest(f"Unknown role '{role}'. Choose one of: {names}.") from None


def create_user(session: Session, *, email: str, password: str, role: Role | str, name: str = "") -> User:
    email = normalise_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"A user with the e-mail {email} already exists.")
    user = User(email=email, name=name.strip(), role=parse_role(str(getattr(role, "value", role))),
                password_hash=hash_password(password))
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user #{user_id}.")
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"There is no user with the e-mail {email}. Create one with `perche user create`.")
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.email)))


def update_user(session: Session, *, user_id: int, role: str | None = None, active: bool | None = None,
                acting_user: User) -> User:
    user = get_user(session, user_id)
    if user.id == acting_user.id and (active is False or (role and parse_role(role) != Role.admin)):
        raise BadRequest("You cannot demote or deactivate yourself. Ask another admin to do it.")
    if role:
        user.role = parse_role(role)
    if active is not None:
        user.active = active
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def create_token(session: Session, *, user: User) -> str:
    """A new API token for the user; only its hash is stored, so it is shown once."""
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token)))
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    session.commit()
    return user
