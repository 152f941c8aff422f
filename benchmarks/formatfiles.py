"""Documents in the formats government offices circulate, made from text we wrote: for the tests
(tests/test_office.py, test_ofd.py, test_ocr.py) and benchmarks/formats.py.

- :func:`write_docx`: python-docx, a title, headings, paragraphs and an optional table;
- :func:`convert`: LibreOffice (headless) turns that into ``.doc``, ``.odt`` or ``.rtf``;
  a ``.wps`` is a ``.doc`` renamed, which is what Kingsoft WPS Office writes (LibreOffice
  cannot write .wps);
- :func:`write_ofd`: an OFD package (GB/T 33190-2016) laid out as a 公文 page: A4, 28 characters
  a line, the first line of a paragraph indented two characters, the title centred and larger;
- :func:`write_scan`: the same page drawn as an image at a given dpi with a CJK font and saved as
  an image-only PDF (what a scanner makes), optionally degraded like a real scan.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # fonts-wqy-microhei (.ci/setup.sh)

# a 公文 page (GB/T 9704): A4, text block 156 x 225 mm, 三号 (16 pt = 5.6 mm) characters,
# 28 characters a line, 22 lines a page
PAGE_MM = (210.0, 297.0)
LEFT_MM, TOP_MM = 27.0, 37.0
SIZE_MM = 156.0 / 28
LINE_MM = 225.0 / 22
CHARS = 28
LINES = 22


def _em(ch: str) -> float:
    return 0.5 if ch.isascii() else 1.0  # half-width Latin letters and digits, full-width the rest


def _wrap(text: str, room: float) -> tuple[str, str]:
    """The most of ``text`` that fits ``room`` em, and the rest."""
    used = 0.0
    for i, ch in enumerate(text):
        used += _em(ch)
        if used > room + 1e-9:
            return text[:i], text[i:]
    return text, ""


def lay_out(title: str | None, paragraphs: list[str]) -> list[list[tuple[float, float, float, str, list[float]]]]:
    """Pages of lines (x mm, baseline y mm, size mm, text, advance of each character in mm), as a
    word processor sets a 公文: the title centred at 1.3 times the size; each paragraph's first
    line indented two characters, its lines filled to :data:`CHARS` em and justified (spread to
    the right margin) but the last."""
    lines: list[tuple[float, float, str, list[float]]] = []  # (x offset in em, size factor, text, advances)
    if title:
        width = sum(map(_em, title)) * 1.3
        lines.append((max(0.0, (CHARS - width) / 2) / 1.3, 1.3, title, [_em(c) for c in title]))
    for para in paragraphs:
        rest, first = para, True
        while rest:
            room = CHARS - 2 if first else CHARS
            line, rest = _wrap(rest, room)
            ems = [_em(c) for c in line]
            if rest and len(line) > 1:  # justified: the slack spread over the gaps between characters
                slack = (room - sum(ems)) / (len(line) - 1)
                ems = [e + slack for e in ems[:-1]] + ems[-1:]
            lines.append((2.0 if first else 0.0, 1.0, line, ems))
            first = False
    pages = []
    for start in range(0, len(lines), LINES):
        page = []
        for i, (indent, factor, text, ems) in enumerate(lines[start:start + LINES]):
            size = SIZE_MM * factor
            page.append((LEFT_MM + indent * size, TOP_MM + (i + 1) * LINE_MM, size, text, [e * size for e in ems]))
        pages.append(page)
    return pages


def _deltas(advances: list[float]) -> str:
    """ST_Array of the advances between characters, runs of one value as ``g N value``."""
    out: list[str] = []
    values = [f"{a:.3f}" for a in advances[:-1]]
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        out.append(f"g {j - i} {values[i]}" if j - i > 2 else " ".join(values[i:j]))
        i = j
    return " ".join(out)


def write_docx(path: Path, title: str | None, paragraphs: list[str], *, heading_prefixes: tuple[str, ...] = (),
               table: list[list[str]] | None = None) -> Path:
    """A .docx: the title as a title property and first heading, paragraphs starting with one of
    ``heading_prefixes`` as headings, the table (if any) after the first paragraph."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
        document.add_heading(title, level=0)
    for n, para in enumerate(paragraphs):
        if para.startswith(heading_prefixes) and heading_prefixes:
            document.add_heading(para, level=1)
        else:
            document.add_paragraph(para)
        if n == 0 and table:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def convert(sources: list[Path], ext: str, out_dir: Path) -> list[Path]:
    """``sources`` converted by LibreOffice to ``ext`` (doc, odt, rtf; wps = a .doc renamed) in
    ``out_dir``, in one LibreOffice process; raises when LibreOffice is absent or fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    target = "doc" if ext == "wps" else ext
    filters = {"doc": "doc:MS Word 97", "odt": "odt:writer8", "rtf": "rtf:Rich Text Format"}
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="formatfiles-") as tmp:
        profile = Path(tmp, "profile").as_uri()
        subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile}",
                        "--convert-to", filters[target], "--outdir", tmp, *map(str, sources)],
                       check=True, capture_output=True, timeout=120 + 30 * len(sources))
        out = []
        for src in sources:
            made = Path(tmp, src.stem + "." + target)
            final = out_dir / (src.stem + "." + ext)
            shutil.move(made, final)
            out.append(final)
    return out


def _ofd_xml(title: str | None, pages: int) -> dict[str, str]:
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    title_xml = f"<ofd:Title>{escape(title)}</ofd:Title>" if title else ""
    files = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD">'
                   f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0c5f9c4e</ofd:DocID>{title_xml}</ofd:DocInfo>"
                   "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {ns} BaseLoc="Res">'
                               '<ofd:Fonts><ofd:Font ID="1" FontName="仿宋" FamilyName="仿宋"/></ofd:Fonts></ofd:Res>',
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData>'
                              f"<ofd:MaxUnitID>{pages * 1000}</ofd:MaxUnitID><ofd:PageArea>"
                              f"<ofd:PhysicalBox>0 0 {PAGE_MM[0]:g} {PAGE_MM[1]:g}</ofd:PhysicalBox></ofd:PageArea>"
                              "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>"
                              + "".join(f'<ofd:Page ID="{n + 2}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
                                        for n in range(pages))
                              + "</ofd:Pages></ofd:Document>",
    }
    return files


def ofd_bytes(title: str | None, paragraphs: list[str], *, shuffle: bool = False, scanned: int = 0) -> bytes:
    """An OFD package of the text laid out by :func:`lay_out`. ``shuffle`` writes each page's
    text objects bottom line first (a producer's order need not be the reading order). ``scanned``
    (a dpi) makes each page an image of itself instead (:func:`scan_pages`, JPEG, a resource of the
    document), as a scanner writing OFD does."""
    pages = lay_out(title, paragraphs)
    files: dict[str, str | bytes] = dict(_ofd_xml(title, len(pages)))
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    uid = 1000
    images = scan_pages(title, paragraphs, scanned, degrade=True) if scanned else []
    for n, page in enumerate(pages):
        objects = []
        for x, y, size, text, advances in (reversed(page) if shuffle else page):
            uid += 1
            # one TextObject a line: the boundary is the line's box, the TextCode's baseline inside it
            width = sum(advances)
            objects.append(
                f'<ofd:TextObject ID="{uid}" Boundary="{x:.3f} {y - size:.3f} {width:.3f} {size * 1.2:.3f}" '
                f'Font="1" Size="{size:.3f}"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" '
                f'Y="{size:.3f}" DeltaX="{_deltas(advances)}">{escape(text)}</ofd:TextCode></ofd:TextObject>')
        if scanned:
            buffer = io.BytesIO()
            images[n].save(buffer, "JPEG", quality=85)
            files[f"Doc_0/Res/page{n}.jpg"] = buffer.getvalue()
            w, h = PAGE_MM
            objects = [f'<ofd:ImageObject ID="{uid + 1}" Boundary="0 0 {w:g} {h:g}" CTM="{w:g} 0 0 {h:g} 0 0" '
                       f'ResourceID="{100 + n}"/>']
        files[f"Doc_0/Pages/Page_{n}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content>'
            f'<ofd:Layer ID="{n + 1}" Type="Body">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>')
    if scanned:
        files["Doc_0/Document.xml"] = str(files["Doc_0/Document.xml"]).replace(
            "</ofd:PublicRes>", "</ofd:PublicRes><ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>")
        files["Doc_0/DocumentRes.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias>'
            + "".join(f'<ofd:MultiMedia ID="{100 + n}" Type="Image" Format="JPEG"><ofd:MediaFile>page{n}.jpg'
                      "</ofd:MediaFile></ofd:MultiMedia>" for n in range(len(pages)))
            + "</ofd:MultiMedias></ofd:Res>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def write_ofd(path: Path, title: str | None, paragraphs: list[str], **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ofd_bytes(title, paragraphs, **kwargs))
    return path


def scan_pages(title: str | None, paragraphs: list[str], dpi: int = 200, *, degrade: bool = False) -> list:
    """The pages of :func:`lay_out` drawn as greyscale PIL images at ``dpi``. ``degrade`` makes them
    look scanned: turned by 0.3 degrees, a little blur and speckle, JPEG-compressed."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    px = dpi / 25.4
    fonts: dict[int, ImageFont.FreeTypeFont] = {}
    images = []
    for n, page in enumerate(lay_out(title, paragraphs)):
        image = Image.new("L", (round(PAGE_MM[0] * px), round(PAGE_MM[1] * px)), 255)
        draw = ImageDraw.Draw(image)
        for x, y, size, text, advances in page:
            points = round(size * px)
            font = fonts.setdefault(points, ImageFont.truetype(FONT, points))
            for ch, advance in zip(text, advances):
                draw.text((x * px, y * px), ch, font=font, fill=0, anchor="ls")
                x += advance
        if degrade:
            import random

            rng = random.Random(n)
            image = image.rotate(0.3, resample=Image.BICUBIC, fillcolor=255).filter(ImageFilter.GaussianBlur(0.6))
            pixels = image.load()
            for _ in range(image.size[0] * image.size[1] // 400):
                pixels[rng.randrange(image.size[0]), rng.randrange(image.size[1])] = rng.choice((0, 128, 255))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=75)
            image = Image.open(io.BytesIO(buffer.getvalue()))
        images.append(image)
    return images


def write_scan(path: Path, title: str | None, paragraphs: list[str], dpi: int = 200, *,
               degrade: bool = False) -> Path:
    """An image-only PDF (``.pdf``) or image (``.png``/``.jpg``/``.tif``, first page) of the text."""
    images = scan_pages(title, paragraphs, dpi, degrade=degrade)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".pdf":
        images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    else:
        images[0].save(path, dpi=(dpi, dpi))
    return path


def compilation_documents(path: Path | None = None) -> list[tuple[str, list[str]]]:
    """The documents of examples/compilation.txt (text we wrote): (title, paragraphs) each."""
    from chachong.api import load_corpus

    root = Path(__file__).resolve().parents[1]
    corpus = load_corpus(path or root / "examples" / "compilation.txt")
    return [(d.title, [p.text for p in d.paragraphs]) for d in corpus]


__all__ = ["compilation_documents", "convert", "lay_out", "ofd_bytes", "scan_pages", "write_docx", "write_ofd",
           "write_scan"]

if __name__ == "__main__":  # pragma: no cover - a look at one of each
    out = Path(os.environ.get("OUT", "/tmp/formatfiles"))
    title, paras = compilation_documents()[0]
    write_ofd(out / "a.ofd", title, paras)
    write_scan(out / "a.pdf", title, paras, degrade=True)
    print(out)
