"""HubSpot's error bodies (docs/hubspot-api.md#errors) and the exception handlers raise to produce
them."""

from __future__ import annotations

import uuid


def correlation_id() -> str:
    return str(uuid.uuid4())


class ApiError(Exception):
    """Raised by handlers; the server turns it into a HubSpot-shaped JSON error response."""

    def __init__(self, status: int, message: str, category: str | None = "VALIDATION_ERROR",
                 context: dict | None = None, errors: list | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.category = status, message, category
        self.context, self.errors, self.extra = context, errors, extra or {}

    def body(self, cid: str) -> dict:
        out: dict = {"status": "error", "message": self.message, "correlationId": cid}
        if self.errors is not None:
            out["errors"] = self.errors
        if self.context is not None:
            out["context"] = self.context
        if self.category is not None:
            out["category"] = self.category
        out.update(self.extra)
        return out


def validation(message: str, errors: list | None = None, context: dict | None = None) -> ApiError:
    return ApiError(400, message, "VALIDATION_ERROR", context=context, errors=errors)


def not_found(record_id: str) -> ApiError:
    # The message really has two spaces (docs/hubspot-api.md#batch-reads).
    return ApiError(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                    context={"id": [record_id]})


def unknown_type(token: str) -> ApiError:
    # No category in the observed body; we answer 400 (400 or 404 is uncertain:
    # docs/hubspot-api.md#object-types).
    return ApiError(400, f"Unable to infer object type from: {token}", None)


def invalid_json(detail: str) -> ApiError:
    # "Invalid input JSON on line 1, column 42: ..." with no category (docs/hubspot-api.md#errors).
    return ApiError(400, f"Invalid input JSON on line 1, column 1: {detail}", None)


def batch_not_found(error_word: str, ids: list[str]) -> dict:
    """The per-batch error listing missing ids (docs/hubspot-api.md#batch-reads)."""
    return {"status": "error", "category": "OBJECT_NOT_FOUND",
            "message": f"Could not get some {error_word} objects, they may be deleted or not "
                       "exist. Check that ids are valid.",
            "context": {"ids": ids}}
