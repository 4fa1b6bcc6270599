"""Reading carriers' SOAP and XML answers without a SOAP library (pure).

Our connectors build their few SOAP bodies as text and read answers by local element names
(namespaces differ between a carrier's test and live servers, and between its services).
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from maillon.shipping.carriers import CarrierUnavailable

__all__ = ["all_named", "element", "fault", "first", "local", "parse", "text"]


def local(tag: str) -> str:
    """The element name without its namespace."""
    return tag.rpartition("}")[2]


def all_named(node: ET.Element, name: str) -> list[ET.Element]:
    """Every element named ``name`` under ``node`` (any depth, document order)."""
    return [n for n in node.iter() if local(n.tag) == name]


def first(node: ET.Element, name: str) -> ET.Element | None:
    """The first element named ``name`` under ``node`` (any depth), or None."""
    return next(iter(all_named(node, name)), None)


def text(node: ET.Element | None, name: str) -> str:
    """The stripped text of ``node``'s direct child ``name`` ("" when absent)."""
    if node is None:
        return ""
    found = next((n for n in node if local(n.tag) == name), None)
    return (found.text or "").strip() if found is not None else ""


def parse(carrier: str, body: str) -> ET.Element:
    """Parse an answer. Raises CarrierUnavailable when it is not XML (an error page)."""
    try:
        return ET.fromstring(body)
    except ET.ParseError:
        raise CarrierUnavailable(carrier, f"unreadable answer ({body[:80]!r})") from None


def fault(root: ET.Element) -> str | None:
    """The ``faultstring`` of a SOAP 1.1 fault (or the text of a SOAP 1.2 ``Reason``)."""
    node = first(root, "faultstring")
    if node is None:
        reason = first(root, "Reason")
        node = first(reason, "Text") if reason is not None else None
    return (node.text or "").strip() if node is not None else None


def element(name: str, fields: Mapping[str, object], prefix: str = "") -> str:
    """``<name>`` holding one child per field: text escaped, a nested mapping as elements,
    None left out (``prefix`` is put before every name, e.g. ``car:``)."""
    inner = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            inner.append(element(key, value, prefix))
        else:
            inner.append(f"<{prefix}{key}>{escape(str(value))}</{prefix}{key}>")
    return f"<{prefix}{name}>{''.join(inner)}</{prefix}{name}>"
