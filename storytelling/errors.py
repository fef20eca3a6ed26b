"""Errors a user can cause; each message says what to do next."""

from __future__ import annotations


class StorytellingError(ValueError):
    """Base class: a story or report could not be built for a reason the user can fix."""


class InvalidCorpus(StorytellingError):
    """The coded corpus holds a value outside what the package understands."""


class InvalidFilter(StorytellingError):
    """A report filter names an unknown field or holds a value that cannot be read."""


class RenderError(StorytellingError):
    """HTML or PDF output could not be produced (missing fonts, unwritable path)."""
