"""HTML to PDF with WeasyPrint, in process, never over the network.

The PDF is the printable page itself, rendered by WeasyPrint: one template, two outputs. The
stylesheet is linked as ``/static/...`` as on screen; the fetcher reads such URLs from disk (the
staticfiles finders in development and tests, the collected files in a deployment) and refuses
every other URL, so a document can never make the server call out, whatever its HTML says.

WeasyPrint takes most of a second to import (and grows a process by about 50 MB), so it is
loaded once when a process that makes PDFs starts (``preload``: the gunicorn master before it forks
its workers, and the task worker), never on a reader's first request; other ``manage.py``
commands don't pay for it.

A PDF is a pure function of its HTML, and the HTML of a document is the same for every reader
(no name, no day of reading in it): PDFs are kept under the hash of their HTML, rendered ahead by
the task worker when a work-up changes (``documents.tasks``), and rendered in the request only
when one is asked for before the worker got to it.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils import timezone


def static_file(url: str) -> Path | None:
    """The file behind a ``STATIC_URL`` address, or None for any other address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.path.startswith(settings.STATIC_URL):
        return None
    relative = unquote(parts.path[len(settings.STATIC_URL) :])
    if not relative or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    if found:
        return Path(found)
    # A deployment serves collected (possibly hashed) files from STATIC_ROOT.
    try:
        collected = Path(staticfiles_storage.path(relative))
    except NotImplementedError:  # pragma: no cover - a remote storage has no local path
        return None
    return collected if collected.is_file() else None


@cache
def _weasyprint():
    """Import WeasyPrint once, quiet its per-step progress log, and build the fetcher class."""
    progress = logging.getLogger("weasyprint.progress")
    if progress.level == logging.NOTSET:
        progress.setLevel(logging.WARNING)

    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        """Serves static files from disk and ``data:`` URLs; refuses everything else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = static_file(url)
            if path is None:
                raise ValueError(f"Documents load static files only; refused {url[:80]!r}.")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    return weasyprint.HTML, FontConfiguration, StaticFilesFetcher


def preload() -> None:
    """Load WeasyPrint and its fonts now, in a process that will make PDFs (see the module)."""
    html_class, font_configuration, fetcher = _weasyprint()
    font_configuration()


@dataclass(frozen=True)
class Rendering:
    content: bytes
    pages: int


# Relative links (``/static/...``) resolve against this address: the fetcher reads them from
# disk whatever the host, so the PDF does not depend on the address a reader used.
BASE_URL = "http://localhost/"


def render(html: str, *, base_url: str = BASE_URL) -> Rendering:
    """The PDF of an HTML document; ``base_url`` resolves its relative links (``/static/...``)."""
    html_class, font_configuration, fetcher = _weasyprint()
    source = html_class(string=html, base_url=base_url, url_fetcher=fetcher())
    document = source.render(font_config=font_configuration())
    return Rendering(content=document.write_pdf(), pages=len(document.pages))


# How long a rendered PDF is kept after it was last written; a work-up left alone has its PDFs
# rendered again on the next request after that.
KEEP_FOR = timedelta(days=30)


def pdf_key(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def cached_pdf(html: str) -> bytes | None:
    """The PDF of this HTML if it was rendered already (ahead, or for an earlier reader)."""
    from .models import RenderedPdf

    found = RenderedPdf.objects.filter(key=pdf_key(html)).values_list("content", flat=True)
    content = found.first()
    return None if content is None else bytes(content)


def render_pdf(html: str) -> bytes:
    """The PDF of this HTML: the one kept under its hash, else rendered now and kept."""
    from .models import RenderedPdf

    content = cached_pdf(html)
    if content is not None:
        return content
    rendered = render(html)
    RenderedPdf.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    RenderedPdf.objects.get_or_create(
        key=pdf_key(html), defaults={"content": rendered.content, "pages": rendered.pages}
    )
    return rendered.content
