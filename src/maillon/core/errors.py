"""The one error tree of Maillon.

Services raise these; they never raise HTTP errors. The API maps each branch to a status
code, the CLI to a message and exit code 1.

    MaillonError                    500 (a bug if it ever reaches a user)
    ├── ValidationError             422  bad input; names the offending field
    ├── NotFound                    404  an entity named in the request does not exist
    ├── Conflict                    409  the request is valid but the state forbids it
    │   ├── InvalidTransition            an order cannot move from its status to the next
    │   ├── InsufficientStock            not enough available units (carries the lines)
    │   ├── StockTaken                   planned units went to a concurrent order: roll back
    │   └── DuplicateError               a unique key is already taken
    ├── AuthenticationError         401  no key, or an unknown or revoked key
    ├── PermissionDenied            403  the key's role may not do this
    └── Unavailable                 503  an outside system (a carrier) cannot answer now: retry
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class MaillonError(Exception):
    """Base of every error Maillon raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body the API sends for this error."""
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a dotted path (``lines.0.quantity``) and what is wrong."""

    field: str
    message: str


class ValidationError(MaillonError):
    """Input that cannot be accepted; ``errors`` names every offending field."""

    status_code = 422
    code = "validation_error"

    def __init__(self, errors: list[FieldError] | FieldError | str, message: str | None = None):
        if isinstance(errors, str):
            errors = [FieldError("", errors)]
        elif isinstance(errors, FieldError):
            errors = [errors]
        self.errors = errors
        if message is None:
            message = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)
        super().__init__(message)

    @property
    def field(self) -> str:
        """The first offending field."""
        return self.errors[0].field if self.errors else ""

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["field"] = self.field
        body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return body


class NotFound(MaillonError):
    """The entity named by ``key`` does not exist."""

    status_code = 404
    code = "not_found"

    def __init__(self, entity: str, key: object, field: str | None = None) -> None:
        self.entity = entity
        self.key = key
        self.field = field
        super().__init__(f"{entity} {key!r} not found")

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        if self.field:
            body["field"] = self.field
        return body


class Conflict(MaillonError):
    """The request is well formed but the current state forbids it."""

    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    """An order (or other stateful entity) cannot go from ``current`` to ``target``."""

    code = "invalid_transition"

    def __init__(self, entity: str, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(f"{entity} cannot go from {current!r} to {target!r}")


@dataclass(frozen=True)
class ShortLine:
    """A line that could not be covered: what was asked and what was available."""

    sku: str
    requested: int
    available: int


class StockTaken(Conflict):
    """A stock record planned on lost its units to a concurrent transaction: the caller's
    transaction must be rolled back (and may be run again on fresh stock)."""

    code = "stock_taken"

    def __init__(self, stock_id: int) -> None:
        self.stock_id = stock_id
        super().__init__("stock changed meanwhile; try again")


class InsufficientStock(Conflict):
    """Not enough available units; ``lines`` says which and by how much."""

    code = "insufficient_stock"

    def __init__(self, lines: list[ShortLine]) -> None:
        self.lines = lines
        detail = ", ".join(f"{s.sku} (asked {s.requested}, available {s.available})" for s in lines)
        super().__init__(f"insufficient stock: {detail}")

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["lines"] = [
            {"sku": s.sku, "requested": s.requested, "available": s.available} for s in self.lines
        ]
        return body


class DuplicateError(Conflict):
    """A unique key (SKU, GTIN, code...) is already taken."""

    code = "duplicate"

    def __init__(self, entity: str, field: str, value: object) -> None:
        self.field = field
        super().__init__(f"{entity} with {field}={value!r} already exists")

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["field"] = self.field
        return body


class AuthenticationError(MaillonError):
    """No API key, or an unknown or revoked one."""

    status_code = 401
    code = "unauthenticated"


class PermissionDenied(MaillonError):
    """The caller's role may not do this."""

    status_code = 403
    code = "forbidden"


class Unavailable(MaillonError):
    """An outside system (a carrier's API) did not answer usefully now; nothing was done.

    ``retry_after`` is the wait in seconds it asked for, if any (sent as ``Retry-After``).
    """

    status_code = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body


@dataclass
class ErrorCollector:
    """Gathers field errors so a request reports all of them at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_path: str, message: str) -> None:
        """Record that ``field_path`` is invalid."""
        self.errors.append(FieldError(field_path, message))

    def raise_if_any(self) -> None:
        """Raise ValidationError naming every recorded field, if any was recorded."""
        if self.errors:
            raise ValidationError(list(self.errors))
