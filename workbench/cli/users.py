"""`perche user` and `perche token`: users, their passwords and API tokens."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from workbench.cli.common import console, database
from workbench.cli.common import fail as _fail
from workbench.errors import PercheError

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@user_app.command("create")
def user_create(email: str,
                role: Annotated[str, typer.Option(help="admin, interviewer, analyst or manager.")] = "interviewer",
                name: Annotated[str, typer.Option(help="Display name.")] = "",
                password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                             help="Read the password from standard input.")] = False,
                ) -> None:
    """Create a user (the password is asked for, or read from standard input)."""
    from workbench.services import users as user_service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    _settings, scope = database()
    with scope as session:
        try:
            user = user_service.create_user(session, email=email, password=password, role=role, name=name,
                                            via="perche user create")
        except PercheError as exc:
            _fail(exc.message)
    console.print(f"Created {user.email} ({user.role.value}).")


@user_app.command("list")
def user_list() -> None:
    """List the users and their roles."""
    from rich.table import Table

    from workbench.services import users as user_service

    _settings, scope = database()
    table = Table("id", "e-mail", "name", "role", "active")
    with scope as session:
        for u in user_service.list_users(session):
            table.add_row(str(u.id), u.email, u.name, u.role.value, "yes" if u.active else "no")
    console.print(table)


@user_app.command("deactivate")
def user_deactivate(emails: Annotated[list[str] | None, typer.Argument(help="E-mails of the users to disable.")] = None,
                    demo: Annotated[bool, typer.Option("--demo", help="Disable every demo user of `perche demo`.")]
                    = False) -> None:
    """Disable users: they cannot sign in, their sessions end, their API tokens stop working."""
    from workbench.services import users as user_service

    if not emails and not demo:
        _fail("Name the users to disable by e-mail, or give --demo for the demo users.", code=2)
    _settings, scope = database()
    with scope as session:
        try:
            targets = [user_service.get_user_by_email(session, email) for email in emails or []]
        except PercheError as exc:
            _fail(exc.message)
        targets += user_service.active_demo_users(session) if demo else []
        for user in {u.id: u for u in targets}.values():
            user_service.update_user(session, user_id=user.id, active=False, acting_user=None)
            console.print(f"Disabled {user.email}.")
    if not targets:
        console.print("No active demo users.")


@user_app.command("password")
def user_password(email: str,
                  password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                               help="Read the password from standard input.")] = False
                  ) -> None:
    """Set a user's password (their sessions end everywhere)."""
    from workbench.services import users as user_service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    _settings, scope = database()
    with scope as session:
        try:
            user = user_service.set_password(session, user=user_service.get_user_by_email(session, email),
                                             password=password, acting_user=None)
        except PercheError as exc:
            _fail(exc.message)
    console.print(f"New password set for {user.email}; their sessions have ended.")


@token_app.command("create")
def token_create(email: str,
                 name: Annotated[str, typer.Option(help="What the token is for (shown in listings).")] = "",
                 days: Annotated[int | None, typer.Option(help="Days it works (default PERCHE_TOKEN_DAYS).")] = None
                 ) -> None:
    """Create an API token for a user and print it (it is shown only once)."""
    from workbench.services import users as user_service

    settings, scope = database()
    with scope as session:
        try:
            user = user_service.get_user_by_email(session, email)
            token = user_service.create_token(session, user=user, name=name,
                                              days=settings.token_days if days is None else days)
        except PercheError as exc:
            _fail(exc.message)
    print(token)


@token_app.command("list")
def token_list(email: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None) -> None:
    """List API tokens: whose, what for, when they expire and were last used (never the token itself)."""
    from rich.table import Table

    from workbench.services import users as user_service

    def when(value: dt.datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    _settings, scope = database()
    table = Table("id", "user", "name", "created", "expires", "last used", "state")
    with scope as session:
        try:
            user_id = user_service.get_user_by_email(session, email).id if email else None
        except PercheError as exc:
            _fail(exc.message)
        for token, owner in user_service.list_tokens(session, user_id=user_id):
            table.add_row(str(token.id), owner.email, token.name, when(token.created_at), when(token.expires_at),
                          when(token.last_used_at), user_service.token_state(token))
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id, from `perche token list`.")]) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    from workbench.services import users as user_service

    _settings, scope = database()
    with scope as session:
        try:
            token = user_service.revoke_token(session, token_id=token_id, acting_user=None)
        except PercheError as exc:
            _fail(exc.message)
    console.print(f"Revoked token #{token.id}{f' ({token.name})' if token.name else ''}.")



def register(app: typer.Typer) -> None:
    """Add the `user` and `token` groups to the `perche` app."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
