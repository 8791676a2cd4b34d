"""The open site's pieces: reader (warehouse → :class:`SiteData`), pages, tiles, site JSON and
downloads. The ``publish`` use case that puts them together is :mod:`lantern.pipeline.publish`."""
