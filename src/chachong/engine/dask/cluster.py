"""Reaching a Dask cluster: the scheduler at an address, or a LocalCluster started for one audit.

Dask is imported inside these functions only (and in the other modules of this package), so
the local engine never loads it.
"""

from __future__ import annotations

import os
import socket

from chachong.config import ConfigError


def require_dask() -> None:
    """Fail with one line when dask[distributed] (and pandas, pyarrow) are not installed."""
    try:
        import dask
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the dask engine needs dask[distributed] (and pandas, pyarrow); "
                          "install it with: pip install 'chachong[dask]'") from exc


def connect(scheduler: str | None, workers: int = 0):
    """A ``distributed.Client`` for ``scheduler`` (``tcp://host:port``), or a LocalCluster.

    Returns (client, cluster or None); close both when done. Without an address a LocalCluster
    of ``workers`` processes is started (0: one per core).
    """
    require_dask()
    from distributed import Client

    if scheduler:
        unreachable = ConfigError(f"cannot reach the Dask scheduler at {scheduler}; "
                                  "start one with `dask scheduler` or check --scheduler")
        if scheduler.startswith("tcp://"):
            # a refused connection is known at once; the client would retry until its timeout
            host, _, port = scheduler[len("tcp://"):].rpartition(":")
            try:
                socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
            except (OSError, ValueError):
                raise unreachable from None
        try:
            return Client(scheduler, timeout="30s", set_as_default=False), None
        except (OSError, TimeoutError):
            raise unreachable from None
    cluster = local_cluster(workers or os.cpu_count() or 1)
    return Client(cluster, set_as_default=False), cluster


def local_cluster(workers: int, **kwargs):
    """A LocalCluster of ``workers`` single-thread worker processes, spawned with the heap the
    local engine audits with (``runtime.heap.kept_environ``) instead of Dask's
    ``MALLOC_TRIM_THRESHOLD_`` (``distributed.nanny.pre-spawn-environ``).

    Dask's nanny sets it to 64 KiB so that freed memory goes back to the system at once; set
    alone, it also stops glibc from raising its mmap threshold, so every large numpy temporary is
    a fresh mapping whose pages fault in again: the stages' numpy work took twice the CPU in such
    a worker (``stages.prepare`` of 150,000 paragraphs: 5.6 s instead of 2.8 s). A variable this
    process already has wins, as Dask has it (an earlier cluster's nanny leaves its own there).

    On AMD Zen 4 the workers also get numpy's AVX2 sorts (``runtime.simd.worker_environ``) even when
    this process loaded numpy before chachong could choose (``distributed`` loads it): with the
    AVX-512 ones, 5 times slower there, the alignment's blocks took 2-3 times the CPU of the local
    engine's same calls. The workers do not sample their own stacks for Dask's profile (a dashboard
    page; this cluster has no dashboard): that took about 1 % of their CPU.
    """
    require_dask()
    import dask
    from distributed import LocalCluster

    from chachong.runtime.heap import kept_environ
    from chachong.runtime.simd import worker_environ

    # numpy's sorts as the local engine has them (a variable set here or in Dask's config wins)
    configured = dask.config.get("distributed.nanny.pre-spawn-environ", {})
    environ = worker_environ() | {k: v for k, v in configured.items() if not k.startswith("MALLOC_")} | kept_environ()
    # no dashboard, so nobody sees the workers' statistical profiles: not sampled every 10 ms either
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                          "distributed.worker.profile.enabled": False}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, **kwargs)


__all__ = ["connect", "local_cluster", "require_dask"]
