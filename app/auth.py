"""Bearer-token protection for write endpoints."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request

from app.errors import ApiError
from app.services import services


def _presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_is_valid(token: str | None, configured: tuple[str, ...]) -> bool:
    """Constant-time comparison against every configured token (rotation keeps two)."""
    if not token:
        return False
    matches = [hmac.compare_digest(token.encode(), t.encode()) for t in configured]
    return any(matches)


def require_token(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        configured = services().settings.api_tokens
        if not configured:
            raise ApiError(
                401,
                "writes_disabled",
                "no API token is configured on the server (JIPPNAS_API_TOKEN); "
                "write endpoints are disabled",
            )
        if not token_is_valid(_presented_token(), configured):
            raise ApiError(
                401, "unauthorized", "missing or wrong token: send 'Authorization: Bearer <token>'"
            )
        return view(*args, **kwargs)

    return wrapper
