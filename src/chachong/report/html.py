"""``report.html``: one self-contained page a reader can open offline and send on.

The page holds an overview (counts, settings, formulas), a sortable documents table, an
N x N similarity matrix ordered so duplicate groups sit together, side-by-side pair views
(twin passages in one colour, click to jump, differing characters marked), document views
(copied text red with its source on hover, stock phrasing yellow, boilerplate grey), the
stock-phrase and boilerplate tables and a histogram of paragraph-pair similarities.

CSS and JavaScript are inline (templates/ beside this module: report.css, report.js and views.js) and a Content-Security-Policy
forbids every request and every script but the page's own, so the file works from a USB
stick and an e-mail attachment. Document data travels as one JSON block that the script
reads with ``JSON.parse`` and writes with ``textContent`` only; the markup (html_sections.py,
the limits note of html_page.py and the slots filled here) passes every piece of document text,
title and file name through :func:`html.escape`.

Big corpora stay usable: side-by-side views exist for the top ``pair_limit`` document
pairs, document texts are embedded up to ``text_budget`` characters (documents with
findings first, identical texts once), the table lists at most ``table_limit`` documents
(paged in the browser) and the matrix at most ``matrix_limit``. Each limit is printed in
the page. Output is deterministic: no timestamps, no random ids.

This module assembles the page (:func:`render`): html_page.py chooses what it holds under the
limits and builds the script's data, html_sections.py writes the sections, html_data.py encodes
the data block, ranking.py orders pairs and documents, chardiff.py marks differing characters.
The names other modules import from here stay importable here.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from importlib import resources
from typing import Any

from chachong.report.chardiff import char_diff
from chachong.report.html_data import pack, script_json
from chachong.report.html_attribution import attribution_section
from chachong.report.html_page import Page
from chachong.report.html_sections import (
    boilerplate_section,
    documents_section,
    histogram_section,
    histogram_svg,
    matrix_section,
    overview,
    page_header,
    phrases_section,
    settings_section,
)
from chachong.report.ranking import duplicate_groups, pair_score, rank_pairs, seriate
from chachong.result import AuditRecord

PAIR_LIMIT = 200
TEXT_BUDGET = 800_000  # characters; about 2.4 MB of Chinese text in UTF-8
TABLE_LIMIT = 10_000
MATRIX_LIMIT = 300

_SLOT = re.compile(r"\{\{(\w+)\}\}")


def _template(name: str) -> str:
    return resources.files("chachong.report").joinpath("templates", name).read_text(encoding="utf-8")


def render(result: AuditRecord, report: dict[str, Any], *, pair_limit: int = PAIR_LIMIT,
           text_budget: int = TEXT_BUDGET, table_limit: int = TABLE_LIMIT, matrix_limit: int = MATRIX_LIMIT) -> str:
    """The whole report page as one string (``report`` is :func:`chachong.report.json.report_dict`).

    The limits keep a big audit's page small; each is printed in the page.
    """
    page = Page(result, report, pair_limit, text_budget, table_limit, matrix_limit)
    # the page's one script: the two templates share one strict function scope
    js = "(function () {\n  'use strict';\n" + _template("report.js") + _template("views.js") + "}());\n"
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    # the page's own script only: an injected <script> or on* handler would be refused even if escaping failed
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    header, title = page_header(page)
    body = (overview(page) + documents_section(page) + attribution_section(report) + matrix_section(page) + phrases_section(page)
            + boilerplate_section(page) + histogram_section(page) + settings_section(page))
    tool = report.get("tool", {})
    slots = {
        "csp": escape(csp), "generator": escape(f"{tool.get('name', 'chachong')} {tool.get('version', '')}".strip()),
        "title": escape(title), "css": _template("report.css"), "header": header, "main": body,
        "data": script_json(page.data()), "js": js,
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], _template("report.html"))


__all__ = ["MATRIX_LIMIT", "PAIR_LIMIT", "TABLE_LIMIT", "TEXT_BUDGET", "char_diff", "duplicate_groups",
           "histogram_svg", "pack", "pair_score", "rank_pairs", "render", "script_json", "seriate"]
