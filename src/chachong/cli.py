"""The command line: a thin mirror of the Python API.

Library errors become one-line click errors here and only here. Exit codes: 0 clean,
1 ``check`` found violations, 2 usage or input error. Data goes to stdout, messages and
progress to stderr.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from chachong.version import __version__
from chachong.config import AuditConfig, ConfigError, load_pyproject_settings

# option name -> (click type, help); each maps to the AuditConfig field of the same name
_SETTINGS: dict[str, tuple[Any, str]] = {
    "encoding": (str, "Codec of text files."),
    "split": (click.Choice(["auto", "toc", "none"]), "How to cut a compilation into documents."),
    "text-column": (str, "Column holding the text in .csv/.jsonl sources."),
    "title-column": (str, "Column holding the title in .csv/.jsonl sources."),
    "max-file-mb": (click.IntRange(min=1), "Skip files larger than this many MiB."),
    "ocr": (click.Choice(["never", "auto", "always"]),
            "OCR scans: auto = images and PDF pages without text, always = every page (needs chachong[ocr])."),
    "mask-digits/--no-mask-digits": (None, "Mask digits so changed figures still match."),
    "mask-placeholders/--no-mask-placeholders": (None, "Mask XX, x, 某某, ○○ placeholders."),
    "fold-variants/--no-fold-variants": (None, "Match Traditional/variant characters and look-alikes as Simplified."),
    "shingle": (click.Choice(["char", "word"]), "Character or jieba word k-grams."),
    "k": (int, "Shingle size."),
    "num-perm": (int, "MinHash permutations."),
    "seed": (int, "MinHash seed."),
    "threshold": (float, "Jaccard for a near-duplicate paragraph pair."),
    "containment": (float, "Containment for a 'contained' paragraph pair."),
    "min-paragraph-chars": (int, "Shorter paragraphs never pair documents."),
    "document-threshold": (float, "Jaccard for a near-duplicate document pair."),
    "stock-min-documents": (int, "Independent documents that make a shared paragraph a formula."),
    "phrase-min-documents": (int, "Independent documents a stock phrase needs."),
    "phrase-min-chars": (int, "Shortest stock phrase, in characters."),
    "phrase-max-chars": (int, "Longest stock phrase, in characters."),
    "phrase-closure": (float, "Drop a phrase when a longer one keeps this share of its documents."),
    "phrase-report-limit": (int, "Stock phrases listed in the report (0 = all)."),
    "min-span": (int, "Shortest copied passage, in characters."),
    "workers": (int, "Processes for the heavy stages (0 = one per core)."),
    "work-dir": (click.Path(file_okay=False, path_type=str), "Folder for an audit's data larger than memory."),
    "memory-limit": (click.FloatRange(min=0), "GiB an audit may hold before it spills to --work-dir (0: always)."),
    "metadata": (click.Path(dir_okay=False, path_type=str), "CSV of each document's unit and year (path or title, unit, year)."),
    "meta-pattern": (str, "Regex with groups (?P<unit>...) and (?P<year>...) on file names."),
    "unit-column": (str, "Column holding the unit in .csv/.jsonl sources."),
    "year-column": (str, "Column holding the year in .csv/.jsonl sources."),
    "max-own-ratio": (click.FloatRange(0, 1), "Flag a document reusing more of its unit's previous year's."),
}
# what a default of None means, said in --help (the AuditConfig docstring gives the reasons)
_NONE_MEANS = {"encoding": "detect", "stock-min-documents": "max(5, 3 % of the documents)",
               "phrase-min-documents": "max(3, 2 % of the documents)", "metadata": "none", "meta-pattern": "none",
               "unit-column": "none", "year-column": "none",
               "work-dir": "the system's temporary folder", "memory-limit": "the available memory"}
# reference texts (laws, central documents): matched, never audited (AuditConfig.references)
_REFERENCE = click.option("--reference", "references", multiple=True, metavar="PATH", type=click.Path(path_type=str),
                          help="Reference texts (files or folders; repeat): copying from them is classed reference.")


def default_text(spec: str) -> str:
    """The ``[default: ...]`` of a setting's option, read from the AuditConfig field's default.

    >>> default_text("k"), default_text("mask-digits/--no-mask-digits"), default_text("encoding")
    ('5', '--mask-digits', 'detect')
    """
    name = spec.split("/")[0]
    value = _FIELDS[name.replace("-", "_")].default
    if value is None:
        return _NONE_MEANS[name]
    if isinstance(value, bool):
        return f"--{name}" if value else f"--no-{name}"
    return str(value)


_FIELDS = {f.name: f for f in dataclasses.fields(AuditConfig)}


class _SettingOption(click.Option):
    """An AuditConfig setting: unset unless given (so that [tool.chachong] or an index's own
    settings apply), its ``--help`` line ending with AuditConfig's default (read when the help is
    written) unless ``spec`` is None."""

    def __init__(self, *args: Any, spec: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None or self.spec is None:
            return record
        return record[0], f"{record[1]}  [default: {default_text(self.spec)}]"


def settings_options(func=None, *, show_defaults: bool = True):
    """Decorate a command with one option per AuditConfig setting; ``--help`` shows AuditConfig's
    defaults unless ``show_defaults`` is false (commands whose index decides the settings)."""
    if func is None:
        return lambda f: settings_options(f, show_defaults=show_defaults)
    for spec, (typ, help_) in reversed(list(_SETTINGS.items())):
        name = spec.split("/")[0]
        shown = spec if show_defaults else None
        if typ is None:
            func = click.option(f"--{spec}", cls=_SettingOption, default=None, help=help_, spec=shown)(func)
        else:
            func = click.option(f"--{name}", cls=_SettingOption, type=typ, default=None, help=help_,
                                spec=shown)(func)
    return func


def build_config(options: dict[str, Any]) -> AuditConfig:
    """pyproject [tool.chachong] settings, overridden by the options given on the command line."""
    try:
        values = load_pyproject_settings()
        for spec in _SETTINGS:
            key = spec.split("/")[0].replace("-", "_")
            if options.get(key) is not None:
                values[key] = options[key]
        if options.get("references"):
            values["references"] = tuple(options["references"])
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

    def page(self, path: str, done: int, total: int) -> None:
        """OCR within the read stage: the bar's text follows the pages recognised."""
        if self.bar is not None:
            self.bar.current_item = f"read: OCR page {done}/{total} of {path}"
            self.bar.render_progress()

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
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Run here, or as Dask tasks (same report; needs chachong[dask]).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler, e.g. tcp://host:8786 (with --engine dask; default: a local cluster).")
@_REFERENCE
@settings_options
def audit(paths: tuple[str, ...], out_dir: Path, formats: str, progress: bool | None, top: int, engine: str,
          scheduler: str | None, references: tuple[str, ...], **kwargs: Any) -> None:
    """Audit files or folders (a compilation, or one document per file) and write reports."""
    from chachong.api import audit as run_audit
    from chachong.runtime.gcpause import frozen_gc
    from chachong.runtime.workdir import WorkDirError
    from chachong.report.writer import ReportError, parse_formats

    config = build_config(_settings_from(kwargs) | {"references": references})
    try:
        fmts = parse_formats(formats)
    except ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from exc
    bar = _Progress(sys.stderr.isatty() if progress is None else progress)
    # the audit's objects stay out of cyclic collections through the writing too (gcpause.frozen_gc)
    with frozen_gc():
        try:
            result = run_audit(list(paths), config, progress=bar, engine=engine, scheduler=scheduler)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        except WorkDirError as exc:
            raise InputError(str(exc)) from None
        finally:
            bar.close()
        _report(result, out_dir, fmts, top, engine)


def _report(result: Any, out_dir: Path, fmts: tuple[str, ...], top: int, engine: str) -> None:
    from chachong.report.writer import ReportError, write_report

    for s in result.skipped:
        click.echo(f"skipped: {s.path}: {s.reason}", err=True)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if not result.document_records:
        raise InputError("nothing could be read; see the reasons above") from None
    try:
        written = write_report(result, out_dir, fmts)
    except (ReportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary(result, top, written))
    click.echo(f"reports: {', '.join(str(p) for p in written)}", err=True)
    if engine == "local":
        _keep_until_exit(result)


def _open_next(written: list[Path]) -> str:
    """The report a new user should open, and what else was written beside it."""
    first = next((p for name in ("report.html", "report.md", "report.json") for p in written if p.name == name),
                 written[0])
    csvs = [p for p in written if p.suffix == ".csv"]
    others = [p.name for p in written if p != first and p.suffix != ".csv"] + (
        [f"{len(csvs)} CSV tables"] if csvs else [])
    how = "in a browser" if first.suffix == ".html" else "to read it"
    return f"open {first} {how}" + (f" (beside it: {', '.join(others)})" if others else "")


def skipped_line(skipped: list[Any]) -> str:
    """How many files were skipped, by reason (the first clause of each reason, details left out).

    >>> from chachong.model import Skipped
    >>> skipped_line([Skipped("a", "is empty; nothing to audit"), Skipped("b", "is empty; nothing to audit"),
    ...               Skipped("c", "is a corrupt .docx (broken zip: x); save again")])
    'skipped 3 files (each listed above, and in report.json): is empty (2) · is a corrupt .docx (1)'
    """
    if not skipped:
        return "skipped: none"
    by_reason: dict[str, int] = {}
    for s in skipped:
        key = re.sub(r"\s*\([^)]*\)", "", s.reason.split(";")[0]).strip() or s.reason
        by_reason[key] = by_reason.get(key, 0) + 1
    ranked = sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    return (f"skipped {len(skipped)} file{'s' if len(skipped) != 1 else ''} (each listed above, and in report.json): "
            + " · ".join(f"{reason} ({n})" for reason, n in ranked))


def summary(result, top: int = 10, written: list[Path] | None = None) -> str:
    """The short terminal summary: what to open next, skipped files by reason, then the corpus,
    identical documents, top pairs and top copy ratios."""
    from chachong.model import document_ids, outlines, text_lengths

    records = result.document_records  # no text is read: they may wait in a file
    paragraphs = sum(len(d.paragraphs) for d in outlines(records))
    chars_of = dict(zip(document_ids(records), text_lengths(records)))
    chars = sum(chars_of.values())
    confidences = [d.ocr_confidence for d in outlines(records) if d.ocr_confidence is not None]
    head = ([_open_next(written)] if written else []) + [skipped_line(result.skipped)]
    lines = head + [f"{len(records)} documents, {paragraphs} paragraphs, {chars} characters; "
             f"{len(result.paragraph_pair_records)} paragraph pairs, {len(result.cluster_records)} duplicate groups"]
    ident = [p for p in result.document_pair_records if p.kind == "identical"]
    if ident:
        lines.append("identical documents:")
        lines += [f"  {p.a} = {p.b}  {result.record(p.a, text=False).title}" for p in ident]
    pairs = sorted(result.document_pair_records, key=lambda p: (-max(p.a_in_b, p.b_in_a), p.a, p.b))[:top]
    if pairs:
        lines.append("top document pairs (a_in_b / b_in_a, jaccard):")
        lines += [f"  {p.a} {p.b}  {p.a_in_b:.1%} / {p.b_in_a:.1%}  J={p.jaccard:.2f}  {p.kind}" for p in pairs]
    if confidences:
        mean = sum(confidences) / len(confidences)
        lines.append(f"{len(confidences)} documents read by OCR (mean recognition confidence {mean:.2f}; "
                     "recognition errors lower their copy ratios)")
    ranked = sorted(chars_of, key=lambda i: (-result.stats[i].copy_ratio, i))[:top]
    ranked = [i for i in ranked if result.stats[i].copy_ratio > 0]
    if ranked:
        lines.append("copy ratio (文字复制比) by document, with top source:")
        for d in (result.record(i, text=False) for i in ranked):
            st = result.stats[d.id]
            src = f"{st.top_source['document']} {st.top_source['ratio']:.1%}" if st.top_source else "-"
            lines.append(f"  {d.id} {st.copy_ratio:6.1%}  from {src}  {st.copied_chars}/{chars_of[d.id]} chars  {d.title}")
        passages = result.passage_records
        lines.append(f"  copy ratio = copied characters / characters; copied = {len(passages)} passages of "
                     f">= {result.config.min_span} exactly matching characters (formulas in report.json)")
    return "\n".join(lines)


@main.command()
@click.argument("compilation", type=click.Path(path_type=str))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for one UTF-8 file per document.")
@click.option("--encoding", default=None, help="Codec of the file (default: detect).")
@click.option("--split", "mode", type=click.Choice(["auto", "toc", "none"]), default="auto", show_default=True)
@click.option("--max-file-mb", type=click.IntRange(min=1), default=256, show_default=True,
              help="Refuse a file larger than this many MiB.")
def split(compilation: str, out_dir: Path, encoding: str | None, mode: str, max_file_mb: int) -> None:
    """Split a compilation into one file per document (title line, blank line, text)."""
    from chachong.report.split_files import SplitError, split_to_folder

    try:
        written, warnings = split_to_folder(compilation, out_dir, encoding=encoding, mode=mode,
                                            max_file_mb=max_file_mb)
    except SplitError as exc:
        raise click.ClickException(str(exc)) from exc
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    for path in written:
        click.echo(str(path))


# --------------------------------------------------------------------------- check and index


class InputError(click.ClickException):
    """A user mistake about inputs (a file, an index, a baseline): one line, exit code 2."""

    exit_code = 2


def _explicit_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """[tool.chachong] settings and the options given on the command line, nothing else.

    An index records the settings it was built with; only these override them.
    """
    try:
        values = load_pyproject_settings()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    values.update({k: v for k, v in _settings_from(kwargs).items() if v is not None})
    return values


@main.command()
@click.argument("new", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--index", "index_uri", metavar="URI", help="Reference index: a file (SQLite) or redis://host:port/db.")
@click.option("--against", multiple=True, metavar="PATH", type=click.Path(path_type=str),
              help="Reference files or folders instead of an index (repeat the option).")
@click.option("--max-copy-ratio", type=click.FloatRange(0, 1), default=None,
              help="Fail above this copy ratio (文字复制比) [default: 0.3; 1 = off].")
@click.option("--max-top-source-ratio", type=click.FloatRange(0, 1), default=None,
              help="Fail when more than this share comes from one source.")
@click.option("--max-paragraph-similarity", "--max-similarity", "max_paragraph_similarity",
              type=click.FloatRange(0, 1), default=None, help="Fail when a paragraph is this similar to another.")
@click.option("--fail-on", multiple=True, type=click.Choice(["identical", "near-duplicate", "none"]),
              help="Fail on identical (default) or near-duplicate documents; none = never by kind.")
@click.option("--baseline", type=click.Path(path_type=str), help="JSON file of accepted matches (allow-list).")
@click.option("--write-baseline", type=click.Path(path_type=str),
              help="Accept every current match and write them (with --baseline's) to this file.")
@click.option("--add-on-pass", is_flag=True, help="Add the documents that pass to the index.")
@click.option("--ratio", type=click.Choice(["total", "excluding-quotes", "excluding-own", "net"]), default="total",
              show_default=True, help="The ratio --max-copy-ratio applies to (net: without quotes and own).")
@_REFERENCE
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json", "junit"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=str),
              help="Write the report in --format to this file; the text report still goes to stdout.")
@settings_options(show_defaults=False)
@click.pass_context
def check(ctx: click.Context, new: tuple[str, ...], index_uri: str | None, against: tuple[str, ...],
          max_copy_ratio: float | None, max_top_source_ratio: float | None,
          max_paragraph_similarity: float | None, fail_on: tuple[str, ...], baseline: str | None,
          write_baseline: str | None, add_on_pass: bool, ratio: str, references: tuple[str, ...], fmt: str,
          output: str | None, **kwargs: Any) -> None:
    """Check NEW documents against an index or reference files; exit 1 when a limit is crossed.

    Exit codes: 0 every document passed, 1 a limit was crossed, 2 usage or input error. Settings not
    given are the index's own (with --against, those of `chachong audit --help`).
    """
    from chachong.index.check import CheckError, Limits
    from chachong.index.check import check as run_check

    settings = _explicit_settings(kwargs) | ({"references": references} if references else {})
    fails = () if "none" in fail_on else (tuple(fail_on) if fail_on else ("identical",))
    try:
        limits = Limits(max_copy_ratio if max_copy_ratio is not None else 0.3, max_top_source_ratio,
                        max_paragraph_similarity, fails, ratio)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if index_uri is not None and against:
        raise click.UsageError("give --index or --against, not both")
    try:
        result = run_check(list(new), index=index_uri, against=list(against) if against else None,
                           settings=settings, limits=limits, baseline=baseline, write_baseline=write_baseline,
                           add_on_pass=add_on_pass)
    except (CheckError, ConfigError) as exc:
        raise InputError(str(exc)) from None
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if output:
        from chachong.runtime.fsio import atomic_write_text

        try:
            atomic_write_text(output, result.render(fmt))
        except OSError as exc:
            raise InputError(f"{output}: cannot write the report ({exc.strerror}); choose another path") from None
        click.echo(result.to_text(), nl=False)
    else:
        click.echo(result.render(fmt), nl=False)
    ctx.exit(result.exit_code)


@main.group("index")
def index_group() -> None:
    """Build and keep a reference index for `chachong check` (a file, or redis://host:port/db)."""


def _index_error(exc: Exception) -> InputError:
    return InputError(str(exc))


def _added_line(uri: str, added: Any) -> str:
    parts = [f"{len(added.added)} added", f"{len(added.replaced)} replaced", f"{len(added.unchanged)} unchanged"]
    return f"{uri}: " + ", ".join(parts)


@index_group.command("build")
@click.argument("uri")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@settings_options
def index_build(uri: str, paths: tuple[str, ...], **kwargs: Any) -> None:
    """Create the index at URI from PATHS (replacing a whole existing index)."""
    from chachong.index.index import Index, IndexStoreError

    try:
        added = Index.build(uri, list(paths), settings=_explicit_settings(kwargs))
    except (IndexStoreError, ConfigError) as exc:
        raise _index_error(exc) from None
    for w in added.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(_added_line(uri, added))


@index_group.command("add")
@click.argument("uri")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@settings_options(show_defaults=False)
def index_add(uri: str, paths: tuple[str, ...], **kwargs: Any) -> None:
    """Add documents to the index at URI (created when absent); a known path is replaced."""
    from chachong.index.index import Index, IndexStoreError

    try:
        with Index.open(uri, create=True, settings=_explicit_settings(kwargs)) as idx:
            added = idx.add(list(paths))
    except (IndexStoreError, ConfigError) as exc:
        raise _index_error(exc) from None
    for w in added.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(_added_line(uri, added))


@index_group.command("remove")
@click.argument("uri")
@click.argument("names", nargs=-1, required=True)
def index_remove(uri: str, names: tuple[str, ...]) -> None:
    """Remove documents (by key, or every document of a path) from the index at URI."""
    from chachong.index.index import Index, IndexStoreError

    try:
        with Index.open(uri) as idx:
            removed = idx.remove(list(names))
    except IndexStoreError as exc:
        raise _index_error(exc) from None
    for key in removed:
        click.echo(f"removed {key}")


@index_group.command("info")
@click.argument("uri")
@click.option("--documents", "list_documents", is_flag=True, help="List the indexed documents.")
@click.option("--verify", is_flag=True, help="Check the index for consistency (exit 1 on a problem).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def index_info(ctx: click.Context, uri: str, list_documents: bool, verify: bool, as_json: bool) -> None:
    """Settings and size of the index at URI."""
    import json

    from chachong.index.index import Index, IndexStoreError

    try:
        with Index.open(uri) as idx:
            info = idx.info()
            docs = idx.documents() if list_documents else []
            problems = idx.verify() if verify else None
    except IndexStoreError as exc:
        raise _index_error(exc) from None
    if list_documents:
        info["document_list"] = [{"key": d.key, "title": d.title, "chars": d.chars, "paragraphs": d.paragraphs}
                                 for d in docs]
    if problems is not None:
        info["problems"] = problems
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=1))
    else:
        lay = info["layout"]
        click.echo(f"{info['index']} ({info['backend']}, {info['created_by']})")
        click.echo(f"  {info['documents']} documents, {info['paragraphs']} paragraphs "
                   f"({info['indexed_paragraphs']} indexed), {info['band_keys']} band keys, "
                   f"{info['fingerprints']} fingerprints" + (f", {info['bytes']} bytes" if "bytes" in info else ""))
        click.echo(f"  {lay['shingle']} {lay['k']}-grams, num_perm {lay['num_perm']}, seed {lay['seed']}, "
                   f"bands {lay['bands']}x{lay['rows']} (threshold {lay.get('threshold')}), "
                   f"min_paragraph_chars {lay['min_paragraph_chars']}, min_span {lay['min_span']}")
        for d in info.get("document_list", []):
            click.echo(f"  {d['key']}  {d['title']}  ({d['chars']} characters)")
        if problems is not None:
            click.echo("  consistent" if not problems else "  problems:\n" + "\n".join(f"    {p}" for p in problems))
    if problems:
        ctx.exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--top", default=30, show_default=True, help="Phrases to list, most widespread first (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the records of report.json's stock_phrases.")
@settings_options
def phrases(paths: tuple[str, ...], top: int, as_json: bool, **kwargs: Any) -> None:
    """Stock phrases (套话) of files or folders: formulas many independent documents write."""
    import json

    from chachong.api import audit as run_audit

    config = build_config(_settings_from(kwargs))
    if top <= 0 or top > config.phrase_report_limit > 0:
        config = config.replace(phrase_report_limit=max(top, 0))  # list as many as asked for
    try:
        result = run_audit(list(paths), config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    for s in result.skipped:
        click.echo(f"skipped: {s.path}: {s.reason}", err=True)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if not result.document_records:
        raise InputError("nothing could be read; see the reasons above")
    rows = result.stock_phrase_records[:top] if top > 0 else result.stock_phrase_records
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    click.echo(f"{len(result.stock_phrase_records)} stock phrases listed, most widespread first, from "
               f"{len(result.document_records)} documents; copies of one document count once", err=True)
    click.echo(f"{'rank':>4}  {'docs':>5}  {'occur':>6}  phrase  [family]")
    for n, p in enumerate(rows, 1):
        family = f"  [{p['family']}]" if p["family"] != p["phrase"] else ""
        click.echo(f"{n:>4}  {p['documents']:>5}  {p['occurrences']:>6}  {p['phrase']}{family}")


def run() -> None:  # pragma: no cover - console entry with exit code 2 for usage errors
    main()


# Under the console entry (entry()) the process ends as soon as the command has: an audit's
# result is kept here instead of being freed object by object when the command returns (about
# 1 s at 600 000 paragraphs, all of it after the reports are written), and the process ends
# without the interpreter's teardown. Elsewhere (CliRunner, the Python API) nothing is kept.
_AT_EXIT = False
_KEPT: list[Any] = []


def _keep_until_exit(obj: Any) -> None:
    if _AT_EXIT:
        _KEPT.append(obj)


def entry() -> None:  # pragma: no cover - the console script; tested in a subprocess
    """The ``chachong`` console script: :func:`main`, then a quick exit when an audit's result is kept."""
    global _AT_EXIT
    _AT_EXIT = True
    try:
        main(prog_name="chachong")
    except SystemExit as exc:
        if not _KEPT:
            raise
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
