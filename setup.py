"""Setuptools hook: the top-level `templates/` and `static/` ship inside the `workbench` package.

The design keeps both folders at the top of the repository; a wheel (and so a non-editable
`pip install .`) carries them as `workbench/templates` and `workbench/static`, where
`workbench.web` looks first. An editable install serves them from the checkout instead.
Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("templates", "static")


class BuildPyWithPages(build_py):
    """build_py, then copy templates/ and static/ into the built workbench package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the source checkout
        for folder in SHIPPED:
            for source in sorted((ROOT / folder).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts:
                    target = Path(self.build_lib) / "workbench" / folder / source.relative_to(ROOT / folder)
                    self.mkpath(str(target.parent))
                    self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyWithPages})
