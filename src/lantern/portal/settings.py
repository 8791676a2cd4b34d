"""Portal settings from keyword arguments or the environment (``LANTERN_PORTAL_*``).

Precedence: explicit argument, then environment variable, then the default shown here.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from datetime import timedelta

from lantern.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///lantern-portal.db"


def _env_bool(name: str) -> bool | None:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError("portal settings", [f"{name} must be 1/true/yes or 0/false/no"])


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError("portal settings", [f"{name} must be a whole number"]) from exc


@dataclass(frozen=True)
class PortalSettings:
    """Everything the portal needs to run; secrets are kept out of ``repr``."""

    database_url: str = field(
        default_factory=lambda: os.environ.get("LANTERN_PORTAL_DB", DEFAULT_DATABASE_URL)
    )
    #: base64 of a 32-byte AES-256 key for household contact details (``lantern portal keygen``)
    data_key: str | None = field(
        default_factory=lambda: os.environ.get("LANTERN_PORTAL_DATA_KEY"), repr=False
    )
    #: minutes of inactivity after which a session ends
    session_idle_minutes: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_SESSION_IDLE_MINUTES", 30)
    )
    #: hours after sign-in after which a session ends however active it is
    session_max_hours: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_SESSION_MAX_HOURS", 8)
    )
    #: consecutive failed sign-ins that lock an account
    lockout_threshold: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_LOCKOUT_THRESHOLD", 5)
    )
    lockout_minutes: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_LOCKOUT_MINUTES", 15)
    )
    #: sign-in attempts allowed per client address per minute
    login_rate_per_minute: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_LOGIN_RATE_PER_MINUTE", 20)
    )
    #: key folder of project releases (``lantern.linkage.keystore``) used by the objection form
    keystore: str | None = field(default_factory=lambda: os.environ.get("LANTERN_PORTAL_KEYSTORE"))
    #: OpenID Connect issuer metadata URL; OIDC sign-in is offered only when set
    oidc_metadata_url: str | None = field(
        default_factory=lambda: os.environ.get("LANTERN_PORTAL_OIDC_METADATA_URL")
    )
    oidc_client_id: str | None = field(
        default_factory=lambda: os.environ.get("LANTERN_PORTAL_OIDC_CLIENT_ID")
    )
    oidc_client_secret: str | None = field(
        default_factory=lambda: os.environ.get("LANTERN_PORTAL_OIDC_CLIENT_SECRET"), repr=False
    )
    #: the address residents and staff use, e.g. ``https://portal.example.org``; every absolute
    #: link (register, objection form, OpenID Connect redirect) is built from it, never from the
    #: request's Host header
    public_url: str | None = field(
        default_factory=lambda: os.environ.get("LANTERN_PORTAL_PUBLIC_URL") or None
    )
    #: mark cookies ``Secure`` and send HSTS even when a proxy forwards plain HTTP; defaults to
    #: on when ``public_url`` is https
    secure_cookies: bool | None = field(
        default_factory=lambda: _env_bool("LANTERN_PORTAL_SECURE_COOKIES")
    )
    #: ``Strict-Transport-Security`` max-age sent with secure cookies (0: no HSTS header)
    hsts_seconds: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_HSTS_SECONDS", 31_536_000)
    )
    #: objections accepted per client address per hour (the form is anonymous)
    objection_rate_per_hour: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_OBJECTION_RATE_PER_HOUR", 10)
    )
    #: anonymous sessions (a CSRF token for a public form) are purged after this many minutes
    anonymous_session_minutes: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_ANONYMOUS_SESSION_MINUTES", 60)
    )

    #: minutes between scheduled purges while serving (0: only at start-up and from the CLI)
    purge_interval_minutes: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_PURGE_INTERVAL_MINUTES", 60)
    )
    #: state-changing requests allowed per client address per minute, signed in or not
    write_rate_per_minute: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_WRITE_RATE_PER_MINUTE", 120)
    )

    #: database connections each server process keeps open (opened at start-up by ``serve``;
    #: as many again may be opened for a burst): at least the requests one process serves at
    #: once, and workers × this below the database's connection limit
    db_pool_size: int = field(default_factory=lambda: _env_int("LANTERN_PORTAL_DB_POOL_SIZE", 25))
    #: requests each server process works on at once (the rest wait their turn, in order):
    #: more threads than this only take turns holding Python's interpreter lock, and the event
    #: loop that answers finished requests waits behind all of them
    threads: int = field(default_factory=lambda: _env_int("LANTERN_PORTAL_THREADS", 8))

    #: aggregates reuse outcome counts taken at most this many minutes ago (0: always now);
    #: any change to an agreement's households takes new counts at once
    aggregate_refresh_minutes: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_AGGREGATE_REFRESH_MINUTES", 15)
    )
    #: seconds each server process may spend before serving making the protected aggregate
    #: tables of active users' scopes (0: make each on its first read)
    aggregate_prepare_seconds: int = field(
        default_factory=lambda: _env_int("LANTERN_PORTAL_AGGREGATE_PREPARE_SECONDS", 60)
    )
    #: disclosure policy of aggregate exports (a ``lantern.disclosure`` preset name)
    disclosure_policy: str = field(
        default_factory=lambda: (
            os.environ.get("LANTERN_PORTAL_DISCLOSURE_POLICY") or "nhs_small_area"
        )
    )

    def __post_init__(self) -> None:
        problems = []
        if self.db_pool_size < 1:
            problems.append("LANTERN_PORTAL_DB_POOL_SIZE must be at least 1")
        if self.threads < 1:
            problems.append("LANTERN_PORTAL_THREADS must be at least 1")
        from lantern.disclosure import PRESETS

        chosen = PRESETS.get(self.disclosure_policy)
        if chosen is None or not chosen.suppresses or chosen.noise != "none":
            usable = sorted(n for n, p in PRESETS.items() if p.suppresses and p.noise == "none")
            problems.append(
                "LANTERN_PORTAL_DISCLOSURE_POLICY must name a policy that withholds small "
                f"counts without random noise: one of {', '.join(usable)}"
            )
        if self.public_url is not None:
            from urllib.parse import urlsplit

            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                problems.append(
                    "LANTERN_PORTAL_PUBLIC_URL must be an absolute http(s) URL such as "
                    "https://portal.example.org"
                )
        if self.oidc_metadata_url and not self.public_url:
            problems.append(
                "OpenID Connect sign-in needs LANTERN_PORTAL_PUBLIC_URL (its redirect address)"
            )
        if problems:
            raise ConfigError("portal settings", problems)

    @property
    def force_secure(self) -> bool:
        """Cookies are always ``Secure`` (and HSTS is sent) behind a TLS-terminating proxy."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return bool(self.public_url and self.public_url.startswith("https://"))

    def link(self, path: str) -> str:
        """An absolute link from ``public_url``, or the bare path when none is configured."""
        if not self.public_url:
            return path
        return self.public_url.rstrip("/") + path

    @property
    def policy(self):  # noqa: ANN201 - lantern.disclosure.Policy
        """The disclosure policy of aggregate exports."""
        from lantern.disclosure import PRESETS

        return PRESETS[self.disclosure_policy]

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_max(self) -> timedelta:
        return timedelta(hours=self.session_max_hours)

    def key_bytes(self) -> bytes:
        """The AES-256 data key; a clear error if missing or malformed."""
        if not self.data_key:
            raise ConfigError(
                "portal settings",
                ["LANTERN_PORTAL_DATA_KEY is not set: run `lantern portal keygen` and export it"],
            )
        try:
            key = base64.b64decode(self.data_key, validate=True)
        except ValueError as exc:
            raise ConfigError("portal settings", ["LANTERN_PORTAL_DATA_KEY is not base64"]) from exc
        if len(key) != 32:
            raise ConfigError(
                "portal settings", ["LANTERN_PORTAL_DATA_KEY must decode to 32 bytes (AES-256)"]
            )
        return key
