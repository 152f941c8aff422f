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
    from distributed import Client, LocalCluster

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
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster, set_as_default=False), cluster


__all__ = ["connect", "require_dask"]
