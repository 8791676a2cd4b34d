"""Linkage files at rest: the Lantern file format lives in ``lantern.keys.files``."""

from lantern.keys.files import (
    MAGIC,
    decrypt,
    encrypt,
    open_any,
    read_frame,
    read_header,
    write_frame,
)

__all__ = ["MAGIC", "decrypt", "encrypt", "open_any", "read_frame", "read_header", "write_frame"]
