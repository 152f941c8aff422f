"""Zip packages of XML (``.docx``, ``.ofd``), opened safely: sizes bounded before anything is
inflated, XML parsed without entities, DTDs or network, and paths kept inside the package.

A crafted package can be a zip bomb (a few KiB that inflate to gigabytes), an XML bomb (entities
that expand to gigabytes: "billion laughs") or point outside itself (``../../etc/passwd``). Each
is refused with a one-line reason before it costs more than the file's own size.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any

from chachong.ingest.errors import Bad, Limits, MiB, human
from chachong.ingest.files import display_path

__all__ = ["member_path", "open_zip", "parse_xml", "read_member"]

# Deflate cannot expand small members dangerously; the ratio cap only applies above this.
_RATIO_FLOOR = 1 * MiB

ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError)


def open_zip(data: bytes, limits: Limits, *, corrupt: str, resave: str, fix: str) -> zipfile.ZipFile:
    """The zip archive in ``data``, after checking what its members would inflate to.

    ``corrupt`` starts the reason for a broken archive ("is a corrupt .docx"), ``resave`` ends
    it ("open it in Word/LibreOffice and save again"); ``fix`` is what to do with a genuine
    document over a limit ("save it as .txt in Word"). The sizes checked
    are those the zip directory declares; Python's zipfile never inflates a member beyond its
    declared size, so a zip bomb cannot get past them.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except ZIP_ERRORS as exc:
        raise Bad(f"{corrupt} (broken zip: {exc}); {resave}") from None
    total = sum(m.file_size for m in members)
    if total > limits.max_docx_uncompressed:
        raise Bad(
            f"would expand to {human(total)}, over the {human(limits.max_docx_uncompressed)} limit "
            f"(a zip bomb?); if the document is genuine, {fix} "
            "(or raise Limits(max_docx_uncompressed=...) in Python)"
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > _RATIO_FLOOR and ratio > limits.max_docx_ratio:
            raise Bad(
                f"has a member ({display_path(m.filename)}) that expands {ratio:.0f}x, over the "
                f"{limits.max_docx_ratio:.0f}x limit (a zip bomb?); if the document is genuine, "
                f"{fix} (or raise Limits(max_docx_ratio=...) in Python)"
            )
    return archive


def member_path(base: str, ref: str) -> str:
    """The member a reference inside the package names: ``ref`` relative to the folder of the
    member ``base``, or to the package root when it starts with ``/``.

    Raises Bad for a reference that leaves the package (``../`` above the root), which only a
    damaged or crafted file has.

    >>> member_path("Doc_0/Document.xml", "Pages/Page_0/Content.xml")
    'Doc_0/Pages/Page_0/Content.xml'
    >>> member_path("Doc_0/Document.xml", "/Doc_0/Res/a.xml")
    'Doc_0/Res/a.xml'
    """
    ref = ref.strip().replace("\\", "/")
    joined = ref.lstrip("/") if ref.startswith("/") else posixpath.join(posixpath.dirname(base), ref)
    path = posixpath.normpath(joined) if joined else ""
    if not path or path == "." or path.startswith("../") or path == ".." or path.startswith("/"):
        raise Bad(
            f"refers to {display_path(ref)!r}, a path outside the package (a damaged or crafted file); "
            "open it in the program that made it and save again"
        )
    return path


def read_member(archive: zipfile.ZipFile, name: str, what: str) -> bytes:
    """The bytes of member ``name``; a missing or broken member is a Bad naming ``what`` it is."""
    try:
        return archive.read(name)
    except KeyError:
        raise Bad(f"has no {name} ({what}); the file is incomplete, export it again") from None
    except (*ZIP_ERRORS, zipfile.error, NotImplementedError) as exc:
        raise Bad(f"has a damaged member {display_path(name)} ({exc}); export it again") from None


def parse_xml(data: bytes, name: str) -> Any:
    """The root element of the XML ``data`` (member ``name``), parsed safely.

    Entities are never expanded, no DTD or external file is loaded, nothing is fetched; a
    document with a DTD (which a package never needs: it is how entity bombs and external
    entities get in) is refused.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as exc:
        raise Bad(f"has broken XML in {display_path(name)} ({exc}); export it again") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise Bad(
            f"has a DTD in {display_path(name)} (entity declarations: a crafted file?); refused as unsafe, "
            "export it again"
        )
    return tree.getroot()
