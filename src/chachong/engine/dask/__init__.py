"""The Dask executor: the stages as tasks over partitions and shuffles.

:mod:`.engine` (``audit_dask``, the orchestration), :mod:`.cluster` (connecting),
:mod:`.partitions` (reading, cutting, the prepared partitions and their frames),
:mod:`.pairing` (the pair stage's shuffle and routed rounds), :mod:`.aligning` (fingerprint
shuffle, seed hits, alignment of document pairs). Dask is imported inside this package only.
"""
