"""L4: the local web page (``matdiff serve``) and its JSON API; see :mod:`.app`."""

from .app import create_app

__all__ = ["create_app"]
