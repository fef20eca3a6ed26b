"""Perché workbench: everything with state (web app, database, jobs, auth, CLI)."""
