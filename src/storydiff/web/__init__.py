"""The local web UI over the store (stories) and for ad-hoc comparisons; needs the `[web]` extra."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(store_path: str | None = None, **options: Any) -> Any:
    """Build the web app (see `storydiff.web.app.create_app`); imports FastAPI only when called."""
    from storydiff.web.app import create_app as _create

    return _create(store_path, **options)
