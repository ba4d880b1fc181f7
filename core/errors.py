"""Errors that pages turn into calm messages."""

from __future__ import annotations


class ValidationError(ValueError):
    """Input that cannot be saved. `fields` maps a field name to the message shown beside it."""

    def __init__(self, fields: dict[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(self.fields.values()))

    @classmethod
    def one(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})


class AccessDenied(PermissionError):
    """The acting user may not do this; the attempt has already been audited."""
