"""A guard shared by the tests of download code: no connection beyond 127.0.0.1."""

from __future__ import annotations

import urllib.parse
import urllib.request


def forbid_internet(monkeypatch) -> None:
    """Make ``urllib.request.urlopen`` refuse (AssertionError) any host but 127.0.0.1/localhost."""
    real_urlopen = urllib.request.urlopen

    def local_only(req, *args, **kwargs):
        url = req.full_url if isinstance(req, urllib.request.Request) else req
        if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"test tried to reach the internet: {url}")
        return real_urlopen(req, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)
