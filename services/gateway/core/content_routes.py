"""One path and method answered by two routes, told apart by the request's body type.

``POST /api/notices/{id}/asks/{ask}/submission`` takes the items as JSON (the submissions feature) or the filled
样表 as a file (the documents feature): the JSON route does not match a multipart request, the file route
matches nothing else, so each feature keeps its own route whatever order the routers are included in.
"""

from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope


def is_multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == b"multipart/form-data")
    return False


class NotMultipart(APIRoute):
    """A route for any request but a multipart one (a JSON body, or none)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("type") == "http" and is_multipart(scope):
            return Match.NONE, {}
        return super().matches(scope)


class MultipartOnly(APIRoute):
    """A route for multipart requests only (a file uploaded)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("type") != "http" or not is_multipart(scope):
            return Match.NONE, {}
        return super().matches(scope)


def multipart_body(description: str) -> dict[str, Any]:
    """``openapi_extra`` of the JSON route: the file its multipart twin takes, in the same operation."""
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary", "description": description}},
                    }
                }
            }
        }
    }
