"""Template rendering shared by the HTML routes."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from workbench.permissions import Permission, can

ROOT = Path(__file__).resolve().parent.parent


def shipped_folder(name: str) -> Path:
    """`templates` or `static`: inside the installed package (a wheel carries them as package data, see
    setup.py), else at the top of the source checkout (an editable install, or running from the repository)."""
    packaged = Path(str(files("workbench") / name))
    return packaged if packaged.is_dir() else ROOT / name


TEMPLATES_DIR = shipped_folder("templates")
STATIC_DIR = shipped_folder("static")
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _clock(seconds: float | None) -> str:
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y %H:%M") if value else ""


templates.env.filters["clock"] = _clock
templates.env.filters["when"] = _when
templates.env.filters["urlquote"] = lambda value: quote(str(value), safe="")
templates.env.globals["Permission"] = Permission


def csrf_token(request: Request) -> str:
    getter = request.scope.get("csrftoken")
    return getter() if getter else ""


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    context = {
        "user": user,
        "can": (lambda permission: user is not None and can(user.role, permission)),
        "csrf_token": csrf_token(request),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
