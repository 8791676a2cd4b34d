"""Keys, key wrapping and encryption: the one place governance, linkage and the portal use.

- ``aead``: AES-256-GCM (data at rest, contact details, key wrapping);
- ``store``: key stores — per project a key-encryption key, wrapped batch keys, the audit key;
- ``placement``: keys never travel with data;
- ``local``: this machine's own key store and the key stores it knows.
"""

from lantern.keys.store import AuditKey, KeyStore, ReleaseKeys

__all__ = ["AuditKey", "KeyStore", "ReleaseKeys"]
