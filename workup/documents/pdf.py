"""HTML to PDF with WeasyPrint, in process, never over the network.

The PDF is the printable page itself, rendered by WeasyPrint: one template, two outputs. The
stylesheet is linked as ``/static/...`` as on screen; the fetcher reads such URLs from disk (the
staticfiles finders in development and tests, the collected files in a deployment) and refuses
every other URL, so a document can never make the server call out, whatever its HTML says.

WeasyPrint takes most of a second to import, so it is imported on the first PDF, not with the
URL configuration: ``manage.py`` commands and the pages that never make a PDF don't pay for it.
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


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int


def render(html: str, *, base_url: str) -> RenderedPdf:
    """The PDF of an HTML document; ``base_url`` resolves its relative links (``/static/...``)."""
    html_class, font_configuration, fetcher = _weasyprint()
    source = html_class(string=html, base_url=base_url, url_fetcher=fetcher())
    document = source.render(font_config=font_configuration())
    return RenderedPdf(content=document.write_pdf(), pages=len(document.pages))


# How long a rendered PDF is kept for reuse; the documents change daily anyway (see models).
KEEP_FOR = timedelta(days=2)


def render_pdf(html: str, *, base_url: str) -> bytes:
    """The PDF of this HTML: from the cache when the same HTML was rendered before."""
    from .models import RenderedPdf

    key = hashlib.sha256(f"{base_url}\n{html}".encode()).hexdigest()
    cached = RenderedPdf.objects.filter(key=key).values_list("content", flat=True).first()
    if cached is not None:
        return bytes(cached)
    rendered = render(html, base_url=base_url)
    RenderedPdf.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    RenderedPdf.objects.get_or_create(
        key=key, defaults={"content": rendered.content, "pages": rendered.pages}
    )
    return rendered.content
