"""The partner portal: scoped, audited access for districts and community hubs.

A FastAPI app over SQLAlchemy 2 (SQLite by default, PostgreSQL in production) with Alembic
migrations shipped in this package. ``create_app`` builds the app; ``lantern portal serve`` runs it.
"""

from __future__ import annotations

from lantern.portal.settings import PortalSettings

__all__ = ["PortalSettings", "create_app"]


def create_app(settings: PortalSettings | None = None):  # noqa: ANN201 - lazy import keeps CLI start fast
    """Build the FastAPI application (see ``lantern.portal.app``)."""
    from lantern.portal.app import create_app as _create

    return _create(settings)
