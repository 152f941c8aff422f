"""What makes an index usable by a run: its format, its layout and the settings it records.

Signatures, band keys and fingerprints made under different settings cannot be compared, so an
index records what makes them comparable (:func:`layout`: shingle kind and size, normalisation,
MinHash scheme, permutations and seed, LSH band layout, the signature format and Unicode
version, the tool's major.minor version) in its meta record (:func:`index_meta`), and a run
whose settings cannot be mixed with them is refused, with a one-line message naming the fix
(:func:`incompatibility`, :func:`require_compatible`). :class:`IndexStoreError` is that refusal,
and every other reason an index cannot be used as asked.

>>> layout(AuditConfig())["bands"], layout(AuditConfig())["rows"]
(42, 3)
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping
from typing import Any

from chachong.config import AuditConfig, ConfigError
from chachong.stages.lsh import choose_bands
from chachong.version import __version__

SCHEMA = "chachong.index/2"
# Bump when normalize/shingle/signature change what they produce for the same text: old
# signatures would then silently stop matching new ones.
SIGNATURE_FORMAT = 1


# Settings that came after indexes were first built, with the value that reproduces how an index
# that does not record them was built: its normalisation did not fold variants, which is exactly
# fold_variants=False, so such an index serves runs with that setting (a run with the other one is
# refused like any other difference, naming --no-fold-variants).
_BEFORE = {"fold_variants": False}


class IndexStoreError(Exception):
    """The index cannot be used as asked; the message (one line) names the index and the fix."""


def layout(config: AuditConfig) -> dict[str, Any]:
    """The settings that must agree for two signatures (and band keys) to be comparable."""
    bands, rows = (config.bands, config.rows) if config.bands else choose_bands(config.threshold, config.num_perm)
    return {
        **config.signature_key(),
        "bands": int(bands),
        "rows": int(rows),
        "min_paragraph_chars": config.min_paragraph_chars,
        "min_span": config.min_span,
        "signature_format": SIGNATURE_FORMAT,
        "unicode": unicodedata.unidata_version,
        "tool": ".".join(__version__.split(".")[:2]),
    }


_OPTION = {"shingle": "--shingle", "k": "--k", "num_perm": "--num-perm", "seed": "--seed",
           "mask_digits": "--mask-digits/--no-mask-digits",
           "mask_placeholders": "--mask-placeholders/--no-mask-placeholders",
           "fold_variants": "--fold-variants/--no-fold-variants",
           "min_paragraph_chars": "--min-paragraph-chars", "min_span": "--min-span"}


def incompatibility(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> str | None:
    """Why signatures made under ``wanted`` cannot be mixed with an index made under ``recorded``.

    >>> incompatibility(layout(AuditConfig()), layout(AuditConfig(threshold=0.7)))
    'LSH bands 42x3 (threshold 0.5 or --bands/--rows), this run 32x4'
    >>> incompatibility(layout(AuditConfig()), layout(AuditConfig(min_paragraph_chars=30))) is None
    True
    """
    for name in ("shingle", "k", "num_perm", "seed", "scheme", "mask_digits", "mask_placeholders",
                 "fold_variants"):
        was = recorded.get(name, _BEFORE.get(name))
        if was != wanted.get(name, _BEFORE.get(name)):
            return f"{name}={was} ({_OPTION.get(name, name)}), this run {wanted.get(name)}"
    if (recorded.get("bands"), recorded.get("rows")) != (wanted.get("bands"), wanted.get("rows")):
        return (f"LSH bands {recorded.get('bands')}x{recorded.get('rows')} (threshold "
                f"{recorded.get('threshold', 0.5)} or --bands/--rows), this run {wanted.get('bands')}x{wanted.get('rows')}")
    # an index of paragraphs >= 20 characters serves a check that looks at >= 30, not >= 10; its
    # fingerprints catch every copy of >= min_span characters, so any longer span too
    for name in ("min_paragraph_chars", "min_span"):
        if int(wanted.get(name, 0)) < int(recorded.get(name, 0)):
            return f"{name}={recorded.get(name)} ({_OPTION[name]} at least that), this run {wanted.get(name)}"
    for name, what in (("signature_format", "signature format"), ("unicode", "Unicode version"),
                       ("tool", "chachong version")):
        if recorded.get(name) != wanted.get(name):
            return f"{what} {recorded.get(name)}, this run {wanted.get(name)}"
    return None


def index_meta(config: AuditConfig) -> dict[str, Any]:
    """The meta record of an index built under ``config``: format, layout, settings, creator."""
    return {"schema": SCHEMA, "layout": {**layout(config), "threshold": config.threshold},
            "config": config.to_dict(), "created_by": f"chachong {__version__}"}


def run_config(config: AuditConfig | None, meta: Mapping[str, Any] | None, settings: Mapping[str, Any] | None,
               where: str) -> AuditConfig:
    """The settings of a run: ``config`` (default: those recorded in ``meta``, or the defaults) updated
    by ``settings``; a bad setting raises :class:`IndexStoreError` naming the index ``where``."""
    try:
        if config is None:
            # settings a newer chachong recorded and this one does not know do not bear on signatures
            known = {f.name for f in dataclasses.fields(AuditConfig)}
            base = {k: v for k, v in (meta["config"] if meta else {}).items() if k in known}
            if meta:
                base = {**_BEFORE, **base}
            base.update(settings or {})
            return AuditConfig.from_mapping(base)
        return config.replace(**dict(settings or {}))
    except (ConfigError, TypeError) as exc:
        raise IndexStoreError(f"{where}: {exc}") from exc


def require_schema(meta: Any, where: str) -> None:
    """Raise :class:`IndexStoreError` when ``meta`` (of the index at ``where``) is not of this format."""
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        raise IndexStoreError(f"{where}: index format {meta.get('schema') if isinstance(meta, dict) else '?'}"
                              f" is not {SCHEMA}; rebuild it with this chachong: chachong index build {where} PATH...")


def require_compatible(meta: Mapping[str, Any], config: AuditConfig, where: str) -> None:
    """Raise :class:`IndexStoreError` when ``config`` cannot use the index (at ``where``) of ``meta``."""
    why = incompatibility(meta["layout"], layout(config))
    if why:
        raise IndexStoreError(f"{where}: index built with {why}; drop the differing setting to use the "
                              f"index's own, or rebuild it: chachong index build {where} PATH...")


__all__ = ["SCHEMA", "SIGNATURE_FORMAT", "IndexStoreError", "incompatibility", "index_meta", "layout",
           "require_compatible", "require_schema", "run_config"]
