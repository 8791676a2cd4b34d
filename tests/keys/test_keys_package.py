"""One home for keys and encryption: ``lantern.keys`` is the only place a cipher is used."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest

from lantern.errors import IntegrityError
from lantern.keys import aead
from lantern.keys.store import KeyStore

SRC = Path(__file__).resolve().parents[2] / "src" / "lantern"
CIPHER_USE = re.compile(r"\bAESGCM\b|\bCipher\(|\bFernet\b|aes_key_wrap|ChaCha20Poly1305")


def test_no_cipher_outside_the_keys_package():
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "keys" not in p.relative_to(SRC).parts[:1] and CIPHER_USE.search(p.read_text("utf-8"))
    ]
    assert offenders == []


def test_batch_keys_are_stored_only_wrapped(tmp_path):
    store = KeyStore(tmp_path / "keys")
    keys = store.create("p", "b1")
    text = store.path("p", "b1").read_text()
    for secret in (keys.storage_key, keys.token_secret):
        assert base64.b64encode(secret).decode() not in text and secret.hex() not in text
    assert "wrapped" in json.loads(text)
    assert (store.path("p", "b1").stat().st_mode & 0o777) == 0o600


def test_destroying_a_batch_makes_stray_copies_of_its_key_file_useless(tmp_path):
    store = KeyStore(tmp_path / "keys")
    store.create("p", "old")
    new = store.create("p", "new")
    stray = tmp_path / "copied-old.key"
    shutil.copy(store.path("p", "old"), stray)
    old_kek = json.loads((tmp_path / "keys" / "p" / "project.kek").read_text())["kek"]
    assert store.destroy("p", "old")
    assert not store.path("p", "old").exists()
    body = json.loads(stray.read_text())
    for kek in store.every_key():
        with pytest.raises(IntegrityError):
            aead.unwrap(kek, base64.b64decode(body["wrapped"]["storage_key"]), "p/old/storage_key")
    assert json.loads((tmp_path / "keys" / "p" / "project.kek").read_text())["kek"] != old_kek
    again = store.load("p", "new")  # other batches re-wrapped under the new KEK
    assert (again.storage_key, again.token_secret) == (new.storage_key, new.token_secret)
    assert store.audit_key("p").key_id == new.audit_key.key_id
