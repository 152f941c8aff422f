"""gcpause.frozen_gc: the audit's objects are left out of collections, and the process is left as it was."""

from __future__ import annotations

import gc

from chachong.runtime.gcpause import freeze_now, frozen_gc


def test_frozen_gc_restores_thresholds_and_unfreezes_only_what_it_froze():
    gc.unfreeze()
    thresholds = gc.get_threshold()
    with frozen_gc():
        assert gc.get_freeze_count() > 0
        made = [[] for _ in range(100)]  # noqa: F841 - alive at freeze_now
        count = gc.get_freeze_count()
        freeze_now()
        assert gc.get_freeze_count() >= count + 100
        with frozen_gc():  # nested: the outer block decides
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    freeze_now()  # outside a block: nothing
    assert gc.get_freeze_count() == 0
    # a caller's own freeze is left as it was, and not added to outside a block
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        made = [[] for _ in range(100)]  # noqa: F841
        freeze_now()
        assert gc.get_freeze_count() < frozen + 100  # the lists made since were not frozen
        with frozen_gc():
            pass
        assert gc.get_freeze_count() >= frozen and gc.get_threshold() == thresholds
    finally:
        gc.unfreeze()


def test_cyclic_garbage_made_inside_is_collected_after():
    import weakref

    class Node:
        pass

    with frozen_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        freeze_now()
        del a, b
        gc.collect()
        assert ref() is not None  # frozen: kept until the block ends
    gc.collect()
    assert ref() is None
