"""The open site: a static folder with the map, area panel, table and open-data downloads."""

from lantern.publish.writer import publish

__all__ = ["publish"]
