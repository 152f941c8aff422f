"""The command line: a thin mirror of the Python API.

Library errors become one-line click errors here and only here. Exit codes: 0 clean,
1 ``check`` found violations, 2 usage or input error. Data goes to stdout, messages and
progress to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from chachong import __version__
from chachong.config import AuditConfig, ConfigError, load_pyproject_settings

# option name -> (click type, help); each maps to the AuditConfig field of the same name
_SETTINGS: dict[str, tuple[Any, str]] = {
    "encoding": (str, "Codec of text files (default: detect)."),
    "split": (click.Choice(["auto", "toc", "none"]), "How to cut a compilation into documents."),
    "text-column": (str, "Column holding the text in .csv/.jsonl sources."),
    "title-column": (str, "Column holding the title in .csv/.jsonl sources."),
    "mask-digits/--no-mask-digits": (None, "Mask digits so changed figures still match."),
    "mask-placeholders/--no-mask-placeholders": (None, "Mask XX, x, 某某, ○○ placeholders."),
    "shingle": (click.Choice(["char", "word"]), "Character or jieba word k-grams."),
    "k": (int, "Shingle size."),
    "num-perm": (int, "MinHash permutations."),
    "seed": (int, "MinHash seed."),
    "threshold": (float, "Jaccard for a near-duplicate paragraph pair."),
    "containment": (float, "Containment for a 'contained' paragraph pair."),
    "min-paragraph-chars": (int, "Shorter paragraphs never pair documents."),
    "document-threshold": (float, "Jaccard for a near-duplicate document pair."),
    "stock-min-documents": (int, "Independent documents that make a shared paragraph a formula."),
    "min-span": (int, "Shortest copied passage, in characters."),
    "workers": (int, "Processes for the heavy stages (0 = one per core)."),
}


def settings_options(func):
    """Decorate a command with one option per AuditConfig setting (default: unset)."""
    for spec, (typ, help_) in reversed(list(_SETTINGS.items())):
        name = spec.split("/")[0]
        if typ is None:
            func = click.option(f"--{spec}", default=None, help=help_)(func)
        else:
            func = click.option(f"--{name}", type=typ, default=None, help=help_)(func)
    return func


def build_config(options: dict[str, Any]) -> AuditConfig:
    """pyproject [tool.chachong] settings, overridden by the options given on the command line."""
    try:
        values = load_pyproject_settings()
        for spec in _SETTINGS:
            key = spec.split("/")[0].replace("-", "_")
            if options.get(key) is not None:
                values[key] = options[key]
        return AuditConfig.from_mapping(values)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def _settings_from(kwargs: dict[str, Any]) -> dict[str, Any]:
    names = {spec.split("/")[0].replace("-", "_") for spec in _SETTINGS}
    return {k: kwargs.pop(k) for k in list(kwargs) if k in names}


class _Progress:
    """Stage names on stderr, as a progress bar when stderr is a terminal."""

    STAGES = ("read", "sign", "pair", "cluster", "align", "documents", "phrases", "write")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        if enabled:
            self.bar = click.progressbar(length=len(self.STAGES), label="chachong", file=sys.stderr,
                                         show_eta=False, item_show_func=lambda s: s)
            self.bar.__enter__()

    def __call__(self, stage: str) -> None:
        if self.bar is not None:
            self.bar.update(1, stage)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chachong")
def main() -> None:
    """chachong (查重): audit Chinese document compilations for copied content."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", "out_dir", default="reports", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the reports.")
@click.option("--format", "formats", default="html,json,csv", show_default=True,
              help="Comma-separated: html, json, csv, md.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when a terminal).")
@click.option("--top", default=10, show_default=True, help="Rows of the terminal summary.")
@settings_options
def audit(paths: tuple[str, ...], out_dir: Path, formats: str, progress: bool | None, top: int, **kwargs: Any) -> None:
    """Audit files or folders (a compilation, or one document per file) and write reports."""
    from chachong.audit import audit as run_audit
    from chachong.report.writer import ReportError, parse_formats, write_report

    config = build_config(_settings_from(kwargs))
    try:
        fmts = parse_formats(formats)
    except ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from exc
    bar = _Progress(sys.stderr.isatty() if progress is None else progress)
    try:
        result = run_audit(list(paths), config, progress=bar)
    finally:
        bar.close()
    for s in result.skipped:
        click.echo(f"skipped: {s.path}: {s.reason}", err=True)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if not result.documents:
        raise click.ClickException("nothing could be read; see the reasons above") from None
    try:
        written = write_report(result, out_dir, fmts)
    except (ReportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary(result, top))
    click.echo(f"reports: {', '.join(str(p) for p in written)}", err=True)


def summary(result, top: int = 10) -> str:
    """The short terminal summary: corpus, identical documents, top pairs, top copy ratios."""
    docs = {d.id: d for d in result.documents}
    lines = [f"{len(result.documents)} documents, {sum(len(d.paragraphs) for d in result.documents)} paragraphs, "
             f"{sum(len(d.text) for d in result.documents)} characters; "
             f"{len(result.paragraph_pairs)} paragraph pairs, {len(result.clusters)} duplicate groups"]
    ident = [p for p in result.document_pairs if p.kind == "identical"]
    if ident:
        lines.append("identical documents:")
        lines += [f"  {p.a} = {p.b}  {docs[p.a].title}" for p in ident]
    pairs = sorted(result.document_pairs, key=lambda p: (-max(p.a_in_b, p.b_in_a), p.a, p.b))[:top]
    if pairs:
        lines.append("top document pairs (a_in_b / b_in_a, jaccard):")
        lines += [f"  {p.a} {p.b}  {p.a_in_b:.1%} / {p.b_in_a:.1%}  J={p.jaccard:.2f}  {p.kind}" for p in pairs]
    ranked = sorted(result.documents, key=lambda d: (-result.stats[d.id].copy_ratio, d.id))[:top]
    ranked = [d for d in ranked if result.stats[d.id].copy_ratio > 0]
    if ranked:
        lines.append("copy ratio (文字复制比) by document, with top source:")
        for d in ranked:
            st = result.stats[d.id]
            src = f"{st.top_source['document']} {st.top_source['ratio']:.1%}" if st.top_source else "-"
            lines.append(f"  {d.id} {st.copy_ratio:6.1%}  from {src}  {d.title}")
    return "\n".join(lines)


@main.command()
@click.argument("compilation", type=click.Path(path_type=str))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for one UTF-8 file per document.")
@click.option("--encoding", default=None, help="Codec of the file (default: detect).")
@click.option("--split", "mode", type=click.Choice(["auto", "toc", "none"]), default="auto", show_default=True)
def split(compilation: str, out_dir: Path, encoding: str | None, mode: str) -> None:
    """Split a compilation into one file per document (title line, blank line, text)."""
    from chachong.split_files import SplitError, split_to_folder

    try:
        written, warnings = split_to_folder(compilation, out_dir, encoding=encoding, mode=mode)
    except SplitError as exc:
        raise click.ClickException(str(exc)) from exc
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    for path in written:
        click.echo(str(path))


def run() -> None:  # pragma: no cover - console entry with exit code 2 for usage errors
    main()


if __name__ == "__main__":  # pragma: no cover
    main()
