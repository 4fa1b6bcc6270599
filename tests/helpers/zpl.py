"""A small ZPL II reader for tests: split a stream into labels, commands and fields the way a
Zebra printer reads them, so a test checks what a printer would print, not our strings.

* :func:`tokens` cuts a stream into ``(command, parameters)``: a command is ``^`` or ``~``
  and two characters (``^FD`` takes everything up to the next ``^FS`` as its data).
* :func:`labels` groups the tokens of each ``^XA`` ... ``^XZ`` format, refusing a stream whose
  formats are not balanced (a nested ``^XA``, a ``^XZ`` without one, text outside a format).
* :func:`fields` returns each field: its origin (``^FO``), its kind (``text`` with its
  font, or a ``^BC`` barcode with its parameters) and its data with ``^FH`` escapes decoded.
* :func:`code128_data` decodes ``^BC`` field data written with invocation codes (``>;``,
  ``>:``, ``>5``, ``>6``, ``>8``, ``><``) back to the encoded text, FNC1 as ``<FNC1>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Field", "Label", "code128_data", "fields", "labels", "tokens"]

_HEX = re.compile(r"_([0-9A-Fa-f]{2})")


def tokens(stream: str) -> list[tuple[str, str]]:
    """Return the commands of ``stream`` in order as ``(command, parameters)``; whitespace
    between commands is dropped. Raises AssertionError for text that is no command."""
    out: list[tuple[str, str]] = []
    i = 0
    n = len(stream)
    while i < n:
        char = stream[i]
        if char in "\r\n":
            i += 1
            continue
        assert char in "^~", f"text outside a command at {i}: {stream[i : i + 20]!r}"
        command = stream[i : i + 3].upper()
        i += 3
        if command == "^FD":
            end = stream.find("^FS", i)
            assert end >= 0, "^FD without ^FS"
            out.append((command, stream[i:end]))
            i = end
            continue
        j = i
        while j < n and stream[j] not in "^~\r\n":
            j += 1
        out.append((command, stream[i:j]))
        i = j
    return out


@dataclass
class Label:
    """The commands of one ``^XA`` ... ``^XZ`` format (both excluded)."""

    commands: list[tuple[str, str]] = field(default_factory=list)

    def has(self, command: str, parameters: str | None = None) -> bool:
        """Whether the label holds ``command`` (with exactly ``parameters`` when given)."""
        return any(
            c == command and (parameters is None or p == parameters) for c, p in self.commands
        )


def labels(stream: str) -> list[Label]:
    """Return the labels of ``stream``. Raises AssertionError unless every ``^XA`` has its
    ``^XZ`` and no command sits outside a format."""
    out: list[Label] = []
    current: Label | None = None
    for command, parameters in tokens(stream):
        if command == "^XA":
            assert current is None, "^XA inside a format"
            current = Label()
        elif command == "^XZ":
            assert current is not None, "^XZ without ^XA"
            out.append(current)
            current = None
        else:
            assert current is not None, f"{command} outside ^XA ... ^XZ"
            current.commands.append((command, parameters))
    assert current is None, "^XA without ^XZ"
    return out


@dataclass(frozen=True)
class Field:
    """A field of a label: origin, kind (``text`` or ``^BC``...), its parameters, its data."""

    x: int
    y: int
    kind: str
    parameters: str
    data: str


def fields(label: Label) -> list[Field]:
    """Return the fields of ``label``. Raises AssertionError for a ``^FD`` without its own
    ``^FO``, a field without ``^FS`` or a ``^FO`` whose field never gets data."""
    out: list[Field] = []
    origin: tuple[int, int] | None = None
    kind, parameters, hexed = "", "", False
    for command, params in label.commands:
        if command == "^FO":
            assert origin is None, "^FO before the previous field ended"
            x, y = params.split(",")[:2]
            origin = (int(x), int(y))
            kind, parameters, hexed = "", "", False
        elif command == "^FH":
            hexed = True
        elif command.startswith("^A") or (command.startswith("^B") and command != "^BY"):
            kind, parameters = ("text" if command.startswith("^A") else command), params
        elif command == "^GB":
            kind, parameters = "box", params
        elif command == "^FD":
            assert origin is not None, "^FD without ^FO"
            data = _HEX.sub(lambda m: chr(int(m.group(1), 16)), params) if hexed else params
            out.append(Field(origin[0], origin[1], kind, parameters, data))
        elif command == "^FS":
            assert origin is not None, "^FS without ^FO"
            if kind == "box":
                out.append(Field(origin[0], origin[1], "box", parameters, ""))
            origin = None
    assert origin is None, "a field without ^FS"
    return out


_INVOCATIONS = {">;": "C", ">:": "B", ">5": "C", ">6": "B"}


def code128_data(data: str) -> str:
    """Return the text a ``^BC`` field (mode N, starting with ``>;`` or ``>:``) encodes."""
    assert data[:2] in (">;", ">:"), f"no start code in {data!r}"
    out: list[str] = []
    subset = ""
    i = 0
    while i < len(data):
        pair = data[i : i + 2]
        if pair in _INVOCATIONS:
            subset = _INVOCATIONS[pair]
            i += 2
        elif pair == ">8":
            out.append("<FNC1>")
            i += 2
        elif pair == "><":
            out.append(">")
            i += 2
        elif subset == "C":
            assert pair.isdigit() and len(pair) == 2, f"subset C needs digit pairs: {data!r}"
            out.append(pair)
            i += 2
        else:
            assert data[i] != ">", f"unknown invocation {pair!r}"
            out.append(data[i])
            i += 1
    return "".join(out)
