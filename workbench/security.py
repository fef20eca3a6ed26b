"""Password hashing (argon2 through pwdlib), API tokens (only their hash is stored), local redirects,
and the security headers every response carries."""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pwdlib import PasswordHash

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

_hasher = PasswordHash.recommended()

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # noqa: BLE001 - a malformed stored hash is a failed login, not a crash
        return False


@cache
def dummy_password_hash() -> str:
    """A hash made by the same hasher, checked against when the e-mail is unknown.

    Verifying it costs what verifying a real user's hash costs, so the time a sign-in takes does not
    tell whether an account exists.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


def waste_a_verification(password: str) -> None:
    """Spend the time a wrong password would take (an unknown or refused account)."""
    verify_password(password, dummy_password_hash())


def new_token() -> str:
    return "pch_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def safe_local_path(target: str | None, default: str = "/studies") -> str:
    """`target` if it is a path on this site, else `default` (login `next`, Referer redirects).

    Browsers read `//host`, `/\\host` and their forms with tabs or newlines inside (which they drop) as
    another site, so those are refused along with anything that has a scheme or a host.
    """
    if not target or not target.startswith("/") or "\\" in target:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):  # spaces, tabs, newlines, control characters
        return default
    if target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# --- headers ---------------------------------------------------------------------------------------


def _csp(**directives: str) -> str:
    return "; ".join(f"{name.replace('_', '-')} {value}" for name, value in directives.items())


def style_hash(css: str) -> str:
    """The CSP source that allows one exact inline <style> element."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


@cache
def _report_style_hash() -> str:
    # Reports and stories carry their stylesheet in a scoped <style> (so a fragment renders alike on
    # the page, in the PDF and saved on its own); that one exact text is allowed by its hash.
    from storytelling.render import stylesheet

    return style_hash(stylesheet(False))


def content_security_policy() -> str:
    """The policy of every page: scripts and styles only from this site's files, no framing."""
    return _csp(default_src="'self'", script_src="'self'", style_src=f"'self' {_report_style_hash()}",
                img_src="'self' data:", media_src="'self'", font_src="'self'", connect_src="'self'",
                object_src="'none'", frame_ancestors="'none'", form_action="'self'", base_uri="'none'")


# FastAPI's /docs (Swagger UI) and /redoc load their scripts from a CDN and start them with an inline
# script: they get a wider policy of their own (they show no user data).
DOCS_CONTENT_SECURITY_POLICY = _csp(
    default_src="'self'", script_src="'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    style_src="'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
    font_src="'self' https://fonts.gstatic.com", img_src="'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    worker_src="'self' blob:", connect_src="'self'", frame_ancestors="'none'", form_action="'self'", base_uri="'none'")


def security_headers(path: str, docs_paths: frozenset[str]) -> list[tuple[bytes, bytes]]:
    policy = DOCS_CONTENT_SECURITY_POLICY if path in docs_paths else content_security_policy()
    return [(b"content-security-policy", policy.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy, nosniff, Referrer-Policy and X-Frame-Options to every response."""

    def __init__(self, app: ASGIApp, *, docs_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""), self.docs_paths)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in extra if name not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
