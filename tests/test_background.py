"""Stock phrases mined in a forked process while aligning: the same answer as in one process."""

import importlib
import json
import os
from pathlib import Path

import pytest

import chachong
from chachong.runtime import background
from chachong.runtime.background import Background, BackgroundError

A = importlib.import_module("chachong.engine.local")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"

pytestmark = pytest.mark.skipif(not background.available(), reason="no fork on this system")


def _without_settings(result):
    report = json.loads(result.to_json())
    report.pop("settings")
    return report


@pytest.fixture(scope="module")
def loaded():
    return chachong.load_corpus([EXAMPLE])


def test_background_gives_the_same_report(loaded, monkeypatch):
    serial = chachong.audit(loaded, workers=1)
    started = []
    real = A.Background
    monkeypatch.setattr(A, "_BACKGROUND_MIN_CHARS", 0)
    monkeypatch.setattr(A, "_PARALLEL_MIN_PAIRS", 1)
    monkeypatch.setattr(A, "Background", lambda fn: started.append(1) or real(fn))
    both = chachong.audit(loaded, workers=2)
    assert started == [1, 1]  # the stock phrases, and a share of the document pairs to align
    assert _without_settings(both) == _without_settings(serial)
    assert both.stock_phrase_records and both.boilerplate_records  # the example has both: the comparison means something
    assert len(both.passage_records) > 5


def test_no_second_process_when_the_machine_has_no_memory_for_it(loaded, monkeypatch):
    workdir = importlib.import_module("chachong.runtime.workdir")
    started = []
    real = A.Background
    monkeypatch.setattr(A, "_BACKGROUND_MIN_CHARS", 0)
    monkeypatch.setattr(A, "_PARALLEL_MIN_PAIRS", 1)
    monkeypatch.setattr(A, "Background", lambda fn: started.append(1) or real(fn))
    monkeypatch.setattr(workdir, "available_memory", lambda: 1024)  # 1 KB: far less than the estimate (20 B a character)
    short = chachong.audit(loaded, workers=2)
    assert started == []  # phrases and alignment in this process: two would page each other out
    assert _without_settings(short) == _without_settings(chachong.audit(loaded, workers=1))
    monkeypatch.setattr(workdir, "available_memory", lambda: 0)  # unknown: assumed to fit, as before
    chachong.audit(loaded, workers=2)
    assert started == [1, 1]


def test_fork_fits_compares_the_estimate_with_what_is_available(monkeypatch):
    workdir = importlib.import_module("chachong.runtime.workdir")
    monkeypatch.setattr(workdir, "available_memory", lambda: workdir.FORK_BYTES_PER_CHAR * 1000)
    assert workdir.fork_fits(1000) and not workdir.fork_fits(1001)


def test_alignment_split_at_every_point_gives_the_same_passages(loaded, monkeypatch):
    serial = chachong.audit(loaded, workers=1)
    monkeypatch.setattr(A, "_BACKGROUND_MIN_CHARS", 0)
    monkeypatch.setattr(A, "_PARALLEL_MIN_PAIRS", 1)
    for share in (0.1, 0.5, 0.9):
        monkeypatch.setattr(A, "_ALIGN_SHARE_WITH_PHRASES", share)
        assert _without_settings(chachong.audit(loaded, workers=2)) == _without_settings(serial)


def test_document_jaccards_come_from_the_second_process(loaded, monkeypatch):
    parent = os.getpid()
    real = A._jaccard_values

    def tagged(corpus, pairs):
        values = real(corpus, pairs)
        if os.getpid() != parent and values:
            values[(-1, -1)] = 0.5  # a mark that this dict crossed from the child
        return values

    monkeypatch.setattr(A, "_BACKGROUND_MIN_CHARS", 0)
    monkeypatch.setattr(A, "_PARALLEL_MIN_PAIRS", 1)
    monkeypatch.setattr(A, "_jaccard_values", tagged)
    both = chachong.audit(loaded, workers=2)
    assert (-1, -1) in both.cache.doc_jaccard
    assert _without_settings(both) == _without_settings(chachong.audit(loaded, workers=1))


def test_a_failing_background_process_is_computed_again_here(loaded, monkeypatch):
    parent = os.getpid()
    stock = importlib.import_module("chachong.stages.stock")
    real = stock.stock_inputs

    def only_here(*args, **kwargs):
        if os.getpid() != parent:
            raise MemoryError("the child ran out of memory")
        return real(*args, **kwargs)

    monkeypatch.setattr(A, "_BACKGROUND_MIN_CHARS", 0)
    monkeypatch.setattr(A, "_PARALLEL_MIN_PAIRS", 1)
    monkeypatch.setattr(stock, "stock_inputs", only_here)
    monkeypatch.setattr(A, "_align_part", _only_here(A._align_part, parent))
    result = chachong.audit(loaded, workers=2)
    assert _without_settings(result) == _without_settings(chachong.audit(loaded, workers=1))


def _only_here(fn, parent):
    def wrapped(*args, **kwargs):
        if os.getpid() != parent:
            raise MemoryError("the child ran out of memory")
        return fn(*args, **kwargs)

    return wrapped


def test_background_reports_the_child_traceback():
    def boom():
        raise ValueError("broken input 42")

    with pytest.raises(BackgroundError, match="broken input 42"):
        Background(boom).result()


def test_background_child_that_dies_is_an_error():
    with pytest.raises(BackgroundError, match="exit code 3"):
        Background(lambda: os._exit(3)).result()


def _audit_in_a_daemon(path):
    import chachong as cc
    from chachong.engine import local as _  # noqa: F401

    a = importlib.import_module("chachong.engine.local")
    a._BACKGROUND_MIN_CHARS = 0
    a._PARALLEL_MIN_PAIRS = 1
    return len(cc.audit([path], workers=2).passage_records)


def test_inside_a_pool_worker_everything_runs_in_that_process(loaded):
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:  # pool workers are daemonic: no children
        got = pool.apply(_audit_in_a_daemon, (str(EXAMPLE),))
    assert got == len(chachong.audit(loaded, workers=1).passage_records) > 5
