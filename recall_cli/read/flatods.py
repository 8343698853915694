"""Flat OpenDocument spreadsheets (.fods), and indented .ods: XML calamine cannot read as is.

LibreOffice saves "Flat XML ODF Spreadsheet" as a single `<office:document>` holding
what an .ods keeps in content.xml, styles.xml and meta.xml. calamine reads only the
zipped form, and not LibreOffice's pretty-printed XML (it expects no text between
`<table:table-cell>` elements). So the document is parsed with defusedxml (no DTD,
no entities), written again without the indentation, and zipped as content.xml of
an .ods in memory; the .ods path does the rest. Gnumeric indents the content.xml of
the .ods files it saves in the same way: that part is written again too.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import IO, Any, Final
from xml.sax.saxutils import escape, quoteattr

from recall_cli.errors import InputFileError

#: The largest .fods (or indented content.xml) read: its parsed tree takes about ten
#: times its size in memory.
MAX_BYTES: Final = 256 * 1024**2
ODS_MIMETYPE: Final = "application/vnd.oasis.opendocument.spreadsheet"
_TEXT_NS: Final = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_MANIFEST: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/"'
    f' manifest:media-type="{ODS_MIMETYPE}"/><manifest:file-entry'
    ' manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def to_ods(path: Path) -> bytes:
    """The bytes of an .ods whose content.xml is the flat document at `path`."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputFileError(
            f"is a flat ODS spreadsheet of {size // 1024**2:,} MB, too large to read as XML",
            file=path,
            hint=convert_hint(path, "xlsx"),
        )
    with open(path, "rb") as fh:
        content = _compact(fh, path, "flat ODS XML document")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


#: An element start right after a line break and indentation, inside the table data.
_INDENTED = re.compile(rb">\s*\n\s*<table:table-(row|cell)\b")


def is_indented(path: Path) -> bool:
    """Whether an .ods's content.xml is indented between its cells, as Gnumeric writes it
    (calamine stops at the first indentation it meets between table cells)."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open("content.xml") as member:
            return bool(_INDENTED.search(member.read(256 * 1024)))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, EOFError):
        return False  # the reader's own errors say what is wrong with the file


def compact_ods(path: Path) -> bytes:
    """The .ods at `path` with its content.xml written again without indentation (the
    other parts copied as they are). Run sniff.check_zip and check_xml_parts first."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename == "content.xml":
                if info.file_size > MAX_BYTES:
                    raise InputFileError(
                        f"is an ODS spreadsheet whose content ({info.file_size // 1024**2:,} "
                        "MB) is indented as Gnumeric writes it, too large to read again",
                        file=path,
                        hint=convert_hint(path, "xlsx"),
                    )
                with zin.open(info) as member:
                    data = _compact(member, path, "ODS spreadsheet (content.xml)")
            else:
                data = zin.read(info)
            zout.writestr(info, data, compress_type=info.compress_type)
    return out.getvalue()


def _compact(fh: IO[bytes], path: Path, what: str) -> bytes:
    """The XML document in `fh`, parsed with defusedxml and written again compact."""
    import defusedxml.ElementTree as DefusedET
    from defusedxml import DefusedXmlException

    prefixes: dict[str, str] = {}
    try:
        events = DefusedET.iterparse(fh, events=("start-ns", "end"))
        for event, item in events:
            if event == "start-ns":
                prefix, uri = item
                prefixes.setdefault(uri, prefix)
        return _serialise(events.root, prefixes)  # type: ignore[attr-defined]
    except DefusedXmlException:
        raise InputFileError(
            "contains an XML entity or DTD declaration (possible XML bomb); refusing to read it",
            file=path,
            hint="a genuine LibreOffice file never has one: ask the site to re-export it",
        ) from None
    except (SyntaxError, RecursionError, ValueError) as exc:  # ParseError is a SyntaxError
        raise InputFileError(
            f"is damaged (not a complete {what}: {type(exc).__name__})",
            file=path,
            hint=convert_hint(path, "xlsx"),
        ) from None


def convert_hint(path: Path, to: str) -> str:
    """How to convert `path` with LibreOffice, as a command to paste."""
    import shlex

    command = f"soffice --headless --convert-to {to} {shlex.quote(str(path))}"
    return f"convert it with LibreOffice: {command}"


def _serialise(root: Any, prefixes: dict[str, str]) -> bytes:
    """`root` as XML with the document's own prefixes (calamine matches on them) and no
    whitespace-only text outside text:* elements, where ODF says it means nothing."""
    parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']

    def name(tag: str) -> str:
        if tag.startswith("{"):
            uri, _, local = tag[1:].partition("}")
            prefix = prefixes.get(uri)
            return f"{prefix}:{local}" if prefix else local
        return tag

    def keep(text: str | None, in_text: bool) -> bool:
        return bool(text) and (in_text or not text.isspace())  # type: ignore[union-attr]

    def write(elem: Any, in_text: bool, top: bool) -> None:
        attrs = "".join(f" {name(k)}={quoteattr(v)}" for k, v in elem.attrib.items())
        if top:
            attrs = (
                "".join(
                    f" xmlns:{p}={quoteattr(u)}" if p else f" xmlns={quoteattr(u)}"
                    for u, p in prefixes.items()
                )
                + attrs
            )
        inner = in_text or elem.tag.startswith("{" + _TEXT_NS + "}")
        parts.append(f"<{name(elem.tag)}{attrs}>")
        if keep(elem.text, inner):
            parts.append(escape(elem.text))
        for child in elem:
            write(child, inner, False)
            if keep(child.tail, inner):
                parts.append(escape(child.tail))
        parts.append(f"</{name(elem.tag)}>")

    write(root, False, True)
    return "".join(parts).encode("utf-8")
