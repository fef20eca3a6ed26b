"""One error type for failures a user can cause, turned into a page or JSON by one handler."""

from __future__ import annotations


class PercheError(Exception):
    """A failure with a message that tells the user what to do, and its HTTP status."""

    status = 400
    title = "Something is not right"

    def __init__(self, message: str, *, title: str | None = None, status: int | None = None,
                 link: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.link = link  # (href, label): where to go next, shown under the message
        if title:
            self.title = title
        if status:
            self.status = status


class BadRequest(PercheError):
    status = 400
    title = "Please check what you sent"


class NotFound(PercheError):
    status = 404
    title = "Not found"


class Forbidden(PercheError):
    status = 403
    title = "Not allowed"


class Conflict(PercheError):
    status = 409
    title = "Already there"


class TooLarge(PercheError):
    status = 413
    title = "Too large"


class UnsupportedMedia(PercheError):
    status = 415
    title = "Not a recording we can read"


class Unprocessable(PercheError):
    status = 422
    title = "Please check what you sent"


class LoginRequired(PercheError):
    status = 401
    title = "Please sign in"
