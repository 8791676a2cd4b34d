"""Key stores moved to ``lantern.keys``; this name stays for existing imports."""

from lantern.keys.store import AuditKey, KeyStore, ReleaseKeys

__all__ = ["AuditKey", "KeyStore", "ReleaseKeys"]
