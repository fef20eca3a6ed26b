"""Users, sign-in (with throttling), sessions and API tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from workbench.errors import BadRequest, Conflict, Forbidden, LoginRequired, NotFound, PercheError
from workbench.models import ApiToken, LoginFailure, Role, User, utcnow
from workbench.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_digest,
    verify_password,
    waste_a_verification,
)
from workbench.services import audit

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Sign-in throttling: failures counted over the window, per account and per client address.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
# A token's last use is written when the stored one is older than this, not on every request.
LAST_USED_RESOLUTION = timedelta(hours=1)


class TooManyAttempts(PercheError):
    status = 429
    title = "Too many attempts"

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


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


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(session: Session, *, email: str, password: str, role: Role | str, name: str = "",
                is_demo: bool = False, acting_user: User | None = None, via: str = "", address: str = "") -> User:
    """A new account; logged as user.create when an admin (`acting_user`) or a command (`via`) made it."""
    email = normalise_email(email)
    _check_password(password)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"A user with the e-mail {email} already exists.")
    user = User(email=email, name=name.strip(), role=parse_role(str(getattr(role, "value", role))),
                password_hash=hash_password(password), is_demo=is_demo)
    session.add(user)
    session.commit()
    session.refresh(user)
    if acting_user is not None or via:
        audit.record(session, user=acting_user, action="user.create", target=f"user:{user.id}",
                     detail={"email": user.email, "role": user.role.value, "demo": is_demo, "via": via or "web"},
                     address=address)
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user #{user_id}.")
    return user


def session_user(session: Session, user_id: object, version: object) -> User | None:
    """The user a session cookie names (its `user_id` and session version `sv`), while the cookie is current."""
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    return user if session_is_current(user, version) else None


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def get_user_by_email(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"There is no user with the e-mail {email}. Create one with `perche user create`.")
    return user


# --- sign-in --------------------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def check_throttle(session: Session, *, email: str, address: str, now: datetime | None = None,
                   recorded: bool = False) -> None:
    """Raise TooManyAttempts while the account or the address has too many recent failures.

    `recorded`: the attempt being checked is already counted among them (one more is allowed).
    """
    now = now or utcnow()
    since = now - THROTTLE_WINDOW
    for column, value, limit, what in ((LoginFailure.email, email, MAX_FAILURES_PER_ACCOUNT, "this account"),
                                       (LoginFailure.address, address, MAX_FAILURES_PER_ADDRESS, "this address")):
        if not value:
            continue
        count, oldest = session.exec(
            select(func.count(), func.min(LoginFailure.at)).where(column == value, LoginFailure.at > since)).one()
        if count >= limit + recorded:
            retry_at = _aware(oldest) + THROTTLE_WINDOW
            minutes = max(1, round((retry_at - now).total_seconds() / 60))
            raise TooManyAttempts(
                f"Too many failed sign-ins for {what}. Try again in {minutes} minute{'s' * (minutes != 1)} "
                f"(after {_local(retry_at)}), or ask an admin to check the account.", retry_at=retry_at)


def _record_attempt(session: Session, *, email: str, address: str, now: datetime) -> LoginFailure:
    """Count a sign-in attempt as a failure before its password is checked, committed at once: guesses sent
    in parallel all count, so no more than the limit are ever verified. A success removes it again."""
    # Rows older than the window count for nothing: pruned here, where attempts are written.
    session.exec(delete(LoginFailure).where(LoginFailure.at < now - THROTTLE_WINDOW))
    attempt = LoginFailure(email=email[:254], address=address[:64], at=now)
    session.add(attempt)
    session.commit()
    return attempt


def _record_failure(session: Session, *, email: str, address: str, reason: str) -> None:
    audit.record(session, user=None, action="login.failed", target=f"email:{email[:150]}",
                 detail={"email": email[:254], "reason": reason}, address=address)


def authenticate(session: Session, *, email: str, password: str, address: str = "",
                 production: bool = False) -> User | None:
    """The user for these credentials, or None (a failure is recorded and counted).

    Raises TooManyAttempts while throttled, and Forbidden for a demo user in production. An unknown
    e-mail costs one password verification too, so its answer takes as long as a wrong password's.
    """
    email = email.strip().lower()
    now = utcnow()
    check_throttle(session, email=email, address=address, now=now)
    attempt = _record_attempt(session, email=email, address=address, now=now)
    # Counted after committing: of attempts racing past the first check, the last to commit sees them all.
    check_throttle(session, email=email, address=address, now=now, recorded=True)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        waste_a_verification(password)
        ok, reason = False, "unknown e-mail"
    else:
        ok = verify_password(password, user.password_hash)
        reason = "wrong password" if not ok else ("disabled" if not user.active else "")
        ok = ok and user.active
    if not ok:
        _record_failure(session, email=email, address=address, reason=reason)
        return None
    if production and user.is_demo:
        raise Forbidden(f"{user.email} is a demo account, and demo accounts cannot sign in on this production "
                        "workbench. Ask an admin for an account of your own.", title="Demo account")
    session.exec(delete(LoginFailure).where((LoginFailure.email == email) | (LoginFailure.id == attempt.id)))
    session.commit()
    return user


def locked_emails(session: Session, *, now: datetime | None = None) -> set[str]:
    """The e-mails locked now by sign-in throttling (too many recent failures for the account)."""
    since = (now or utcnow()) - THROTTLE_WINDOW
    rows = session.exec(select(LoginFailure.email).where(LoginFailure.at > since).group_by(LoginFailure.email)
                        .having(func.count() >= MAX_FAILURES_PER_ACCOUNT)).all()
    return set(rows)


def unlock(session: Session, *, user: User, acting_user: User | None, address: str = "") -> int:
    """Clear an account's failed sign-ins, so it can sign in again at once; logged. The number cleared."""
    cleared = session.exec(delete(LoginFailure).where(LoginFailure.email == user.email)).rowcount
    session.commit()
    audit.record(session, user=acting_user, action="user.unlock", target=f"user:{user.id}",
                 detail={"email": user.email, "failures_cleared": cleared}, address=address)
    return cleared


def session_is_current(user: User | None, version: object) -> bool:
    """Whether a session cookie carrying `version` still belongs to an active user."""
    return user is not None and user.active and version == user.session_version


def revoke_sessions(session: Session, *, user: User, acting_user: User | None, address: str = "",
                    reason: str = "sign out everywhere") -> User:
    """End every session of `user` (their cookies carry the old version and stop working)."""
    _raise_session_version(user)
    session.add(user)
    session.commit()
    session.refresh(user)
    audit.record(session, user=acting_user, action="session.revoke", target=f"user:{user.id}",
                 detail={"email": user.email, "reason": reason}, address=address)
    return user


def _raise_session_version(user: User) -> None:
    user.session_version = (user.session_version or 0) + 1


# --- accounts ---------------------------------------------------------------------------------------


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.email)))


def update_user(session: Session, *, user_id: int, role: str | None = None, active: bool | None = None,
                acting_user: User | None, address: str = "") -> User:
    """Change a role, or disable or enable a user; either ends the user's sessions."""
    user = get_user(session, user_id)
    if acting_user is not None and user.id == acting_user.id and (
            active is False or (role and parse_role(role) != Role.admin)):
        raise BadRequest("You cannot demote or deactivate yourself. Ask another admin to do it.")
    events = []
    if role and parse_role(role) != user.role:
        events.append(("user.role", {"email": user.email, "from": user.role.value, "to": parse_role(role).value}))
        user.role = parse_role(role)
    if active is not None and active != user.active:
        events.append(("user.deactivate" if not active else "user.activate", {"email": user.email}))
        user.active = active
    if events:
        _raise_session_version(user)
    session.add(user)
    session.commit()
    session.refresh(user)
    for action, detail in events:
        audit.record(session, user=acting_user, action=action, target=f"user:{user.id}", detail=detail,
                     address=address)
    return user


def set_password(session: Session, *, user: User, password: str, acting_user: User | None,
                 address: str = "") -> User:
    """A new password; the user's other sessions end."""
    _check_password(password)
    user.password_hash = hash_password(password)
    _raise_session_version(user)
    session.add(user)
    session.commit()
    session.refresh(user)
    audit.record(session, user=acting_user, action="user.password", target=f"user:{user.id}",
                 detail={"email": user.email}, address=address)
    return user


def active_demo_users(session: Session) -> list[User]:
    return list(session.exec(select(User).where(User.is_demo, User.active)
                             .order_by(User.email)))


# --- API tokens -------------------------------------------------------------------------------------


def create_token(session: Session, *, user: User, name: str = "", days: int = 90,
                 acting_user: User | None = None, address: str = "") -> str:
    """A new API token for the user, working for `days`; only its hash is stored, so it is shown once."""
    if days < 1:
        raise BadRequest("A token must work for at least 1 day (--days).")
    if days > 3650:
        raise BadRequest("A token can work for at most 3650 days (ten years); choose fewer --days.")
    token = new_token()
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), name=name.strip()[:100],
                   expires_at=utcnow() + timedelta(days=days))
    session.add(row)
    session.commit()
    session.refresh(row)
    audit.record(session, user=acting_user, action="token.create", target=f"token:{row.id}",
                 detail={"email": user.email, "name": row.name, "days": days}, address=address)
    return token


def list_tokens(session: Session, *, user_id: int | None = None) -> list[tuple[ApiToken, User]]:
    """Tokens with their users, newest first (only one user's with `user_id`)."""
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.exec(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """active, expired or revoked."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and _aware(token.expires_at) <= now:
        return "expired"
    return "active"


def revoke_token(session: Session, *, token_id: int, acting_user: User | None, address: str = "") -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"There is no API token #{token_id}. `perche token list` shows them.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.commit()
        session.refresh(token)
        owner = session.get(User, token.user_id)
        audit.record(session, user=acting_user, action="token.revoke", target=f"token:{token.id}",
                     detail={"email": owner.email if owner else "", "name": token.name}, address=address)
    return token


def user_for_token(session: Session, token: str, *, production: bool = False) -> User | None:
    """The active user behind a token; None for an unknown token, LoginRequired for a revoked or expired one,
    Forbidden for a demo user's token in production (like their sign-in)."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if row is None:
        return None
    now = utcnow()
    state = token_state(row, now)
    if state == "revoked":
        raise LoginRequired(f"This API token was revoked on {_aware(row.revoked_at):%Y-%m-%d}. "
                            "Ask an admin for a new one (`perche token create EMAIL`).")
    if state == "expired":
        raise LoginRequired(f"This API token expired on {_aware(row.expires_at):%Y-%m-%d}. "
                            "Create a new one with `perche token create EMAIL`.")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if production and user.is_demo:
        raise Forbidden(f"This API token belongs to {user.email}, a demo account, and demo accounts cannot use this "
                        "production workbench. Ask an admin for an account and a token of your own.",
                        title="Demo account")
    if row.last_used_at is None or now - _aware(row.last_used_at) >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return user
