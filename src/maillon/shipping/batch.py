"""Batch printing (pure): one document from many labels and packing slips.

:func:`merge_pdfs` puts PDF documents (carrier labels, our labels, packing slips) one after
the other in one PDF, with pypdf; :func:`join_zpl` concatenates ZPL label streams, checking
each is a whole ``^XA`` ... ``^XZ`` format a printer can take. :class:`PrintFormat` names the
two outputs and :data:`MAX_BATCH` the most shipments one batch may hold.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from enum import StrEnum

from pypdf import PdfReader, PdfWriter

__all__ = ["MAX_BATCH", "PrintFormat", "join_zpl", "merge_pdfs", "pdf_page_count"]

MAX_BATCH = 200
"""Shipments one batch may hold (a PDF of a few hundred pages, a roll of labels)."""


class PrintFormat(StrEnum):
    """What a batch comes as: a PDF for any printer, ZPL for Zebra thermal printers."""

    PDF = "pdf"
    ZPL = "zpl"

    @property
    def media_type(self) -> str:
        """The HTTP media type of the batch."""
        return "application/pdf" if self is PrintFormat.PDF else "application/zpl"


def merge_pdfs(documents: Sequence[bytes]) -> bytes:
    """Return one PDF holding every page of ``documents``, in order.

    Raises ValueError for an empty list or a document that is not a PDF.
    """
    if not documents:
        raise ValueError("merge_pdfs needs at least one document.")
    writer = PdfWriter()
    for k, document in enumerate(documents):
        if not document.startswith(b"%PDF"):
            raise ValueError(f"document {k} is not a PDF.")
        writer.append(PdfReader(io.BytesIO(document)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_page_count(document: bytes) -> int:
    """Return the number of pages of a PDF."""
    return len(PdfReader(io.BytesIO(document)).pages)


def join_zpl(streams: Sequence[bytes]) -> bytes:
    """Return ``streams`` as one ZPL stream, each ending with a newline.

    Raises ValueError for an empty list or a stream without a ``^XA`` or not ending with
    ``^XZ`` (a partial format would run into the next label).
    """
    if not streams:
        raise ValueError("join_zpl needs at least one stream.")
    out = []
    for k, stream in enumerate(streams):
        text = stream.strip()
        if b"^XA" not in text or not text.endswith(b"^XZ"):
            raise ValueError(f"ZPL stream {k} is not a whole ^XA ... ^XZ format.")
        out.append(text + b"\n")
    return b"".join(out)
