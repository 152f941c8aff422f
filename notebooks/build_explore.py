"""Build notebooks/explore.ipynb from the cells below and execute it in place (outputs committed).

    python notebooks/build_explore.py          # rebuild and execute
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

CELLS: list[tuple[str, str]] = [
    ("md", """# Exploring an audit with chachong (查重)

This notebook walks through the bundled example compilation (`examples/compilation.txt`, ten short
work summaries written for chachong) and, when the shared corpus is present beside the checkout, the
real seed compilation of sixteen 2023 work summaries. Every result is a pandas DataFrame; the numbers are
the same the command line writes to `report.json`, because both call the same functions."""),
    ("code", """from pathlib import Path

import pandas as pd

import chachong

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "examples" / "compilation.txt").is_file())
EXAMPLE = ROOT / "examples" / "compilation.txt"
SEED = ROOT.parent / "shared" / "corpus" / "000_1c4df289d1e39c46.txt"
pd.set_option("display.max_colwidth", 40)
pd.set_option("display.width", 160)
print(chachong.__version__)"""),
    ("md", """## Load and audit

`load_documents` shows how the compilation is cut into documents (by its 目录); `audit` runs the whole
pipeline."""),
    ("code", """docs, skipped, warnings = chachong.load_documents([EXAMPLE], chachong.AuditConfig())
[(d.id, d.title, len(d.paragraphs), len(d.text)) for d in docs]"""),
    ("code", """result = chachong.audit([EXAMPLE])
from chachong.cli import summary
print(summary(result))"""),
    ("md", """## Documents, sorted by copy ratio (文字复制比)

`copy_ratio` = characters covered by passages of at least `min_span` characters found in another
document ÷ the document's characters; `top_source` is the single document covering most of it."""),
    ("code", """result.documents.sort_values(["copy_ratio", "id"], ascending=[False, True])[
    ["id", "title", "chars", "copy_ratio", "copy_ratio_excluding_stock", "top_source", "top_source_ratio",
     "stock_ratio", "placeholders"]]"""),
    ("code", """result.document_pairs"""),
    ("md", """## The similarity matrix as a heat map

Row document's share covered by passages found in the column document. Chinese labels need a CJK font:
the cell below uses Noto Sans SC, which the `[test]` extra installs (the pip package
`pylopdf-fonts-zh-cn`), or a CJK font of the system; without one it warns and labels with ids only."""),
    ("code", """import warnings

import matplotlib.pyplot as plt
from matplotlib import font_manager

CJK_FONTS = ("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
             "PingFang SC", "SimHei", "AR PL UMing CN")


def cjk_font():
    \"\"\"The name of a font with Chinese glyphs, or None.\"\"\"
    try:
        from pylopdf_fonts_zh_cn import sans_path  # Noto Sans SC, from the [test] extra

        font_manager.fontManager.addfont(str(sans_path()))
        return font_manager.FontProperties(fname=str(sans_path())).get_name()
    except (ImportError, OSError, RuntimeError):
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)


CJK = cjk_font()
if CJK is None:
    warnings.warn("no CJK font: the plots label documents by id and in English "
                  "(pip install pylopdf-fonts-zh-cn, or apt-get install fonts-wqy-microhei)")
else:
    plt.rcParams["font.family"] = CJK
plt.rcParams["axes.unicode_minus"] = False


def zh(chinese, english):
    return chinese if CJK else english


print("font:", CJK)"""),
    ("code", """def heatmap(result, title):
    m = result.similarity_matrix()
    titles = result.documents.set_index("id")["title"]
    labels = [f"{i} {titles[i][:12]}" if CJK else i for i in m.index]
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(m.values, cmap="Reds", vmin=0, vmax=1)
    ax.set_xticks(range(len(m)), [i for i in m.index], rotation=90, fontsize=8)
    ax.set_yticks(range(len(m)), labels, fontsize=8)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label=zh("行文档被列文档覆盖的比例", "share of the row document found in the column document"))
    fig.tight_layout()
    return fig

heatmap(result, zh("示例汇编：文档相似度矩阵", "example compilation: document similarity"));"""),
    ("md", """## The identical pair, side by side

`result.pair(a, b)` renders the two documents with the copied passages highlighted in the same colour
(the same markup as the HTML report); `result.document(id)` renders one document with its sources."""),
    ("code", """ident = result.document_pairs.query("kind == 'identical'")
a, b = ident.iloc[0][["a", "b"]]
result.pair(a, b)"""),
    ("code", """result.document("d08")"""),
    ("md", """## Stock phrases (套话) and boilerplate

Phrases that many independent documents share are formulas, not copying; they are listed apart, and
copy ratios are also given without them."""),
    ("code", """result.stock_phrases.head(15)"""),
    ("code", """result.boilerplate"""),
    ("md", """## Re-thresholding without re-hashing

`rethreshold` re-filters the same prepared corpus at other pairing settings; shingles and signatures
are reused."""),
    ("code", """rows = []
for t in (0.3, 0.5, 0.7, 0.9):
    r = result.rethreshold(threshold=t)
    rows.append({"threshold": t, "paragraph_pairs": len(r.paragraph_pairs),
                 "document_pairs": len(r.document_pairs)})
pd.DataFrame(rows)"""),
    ("code", """r20 = result.rethreshold(min_span=20)
r20.documents[["id", "copy_ratio"]].merge(result.documents[["id", "copy_ratio"]], on="id",
                                                 suffixes=("_min_span_20", "_min_span_13"))"""),
    ("md", """## The seed compilation (when `../shared/corpus` is present)

Sixteen real 2023 work summaries; two of them are the same report listed twice."""),
    ("code", """if SEED.is_file():
    seed = chachong.audit([SEED])
    display(seed.documents.sort_values(["copy_ratio", "id"], ascending=[False, True])[
        ["id", "title", "copy_ratio", "top_source", "stock_ratio", "placeholders"]])
    heatmap(seed, zh("种子汇编：文档相似度矩阵", "seed compilation: document similarity"))
    plt.show()
    display(seed.stock_phrases.head(20))
else:
    print("shared corpus not present; skipped")"""),
    ("code", """if SEED.is_file():
    sim = seed.paragraph_pairs
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(sim["jaccard"], bins=20, range=(0, 1), color="#b22")
    ax.set_xlabel(zh("段落对 Jaccard 相似度", "paragraph-pair Jaccard"))
    ax.set_ylabel(zh("段落对数", "paragraph pairs"))
    ax.set_title(zh("种子汇编：段落对相似度分布", "seed compilation: paragraph-pair similarities"))
    fig.tight_layout()"""),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, src in CELLS:
        nb.cells.append(nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def main() -> int:
    nb = build()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(nb, HERE / "explore.ipynb")
    print("wrote", HERE / "explore.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
