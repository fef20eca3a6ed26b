"""The `perche` command: one module a command group, assembled here into `app`.

serve, worker and migrate (server), upload (interviews), demo, transcribe, code and discover
(coding), report and story (reports), export and export-transcript (exports), import (imports),
erase and retention (privacy), redact, and the groups user and token (users) and models.
"""

from __future__ import annotations

import typer

from workbench.cli import (
    coding,
    demo,
    exports,
    imports,
    interviews,
    models,
    privacy,
    redact,
    reports,
    server,
    transcribe,
    users,
)
from workbench.settings import get_settings

__all__ = ["app", "get_settings"]

app = typer.Typer(help="Perché: recorded customer conversations in, the why behind satisfaction out.",
                  no_args_is_help=True, pretty_exceptions_enable=False)

# The order of registration is the order of `perche --help`: commands, then groups.
server.register(app)
interviews.register(app)
demo.register(app)
transcribe.register(app)
server.register_migrate(app)
coding.register(app)
reports.register(app)
exports.register(app)
imports.register(app)
privacy.register(app)
redact.register(app)
users.register(app)
models.register(app)
