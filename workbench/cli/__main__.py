"""`python -m workbench.cli ...` runs the `perche` command."""

from workbench.cli import app

app()
