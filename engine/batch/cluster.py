"""Portfolio runs past one machine: the batch's chunks on a Dask cluster (issue 23).

``ClusterPool`` has ``WorkerPool``'s interface (``engine.batch.runner``): windows of jobs in,
each window's results back in input order, the next window already running while the caller
writes this one. Everything else is the batch run's own: chunks, the journal, the checkpoint
that makes a killed client resume where it stopped, and every row's audit reference, by which a
row recorded before is never recorded again. So a task the scheduler runs twice (a worker lost
mid-task is recomputed elsewhere) changes nothing: its rows are found recorded and skipped.

``local`` starts a ``LocalCluster`` of worker processes on this machine; ``dask://HOST:PORT``
connects to a running scheduler, whose workers must run this product (the same version) and
reach the audit database (PostgreSQL when they are on other machines). Each worker process
loads the rule base once, at its first chunk.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")
ADDRESS = re.compile(r"^dask://(?P<host>[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")
RETRIES = 2
"""Times a chunk that raised is tried again (a worker lost mid-chunk is recomputed anyway)."""


def cluster_address_ok(address: str) -> bool:
    """Whether a ``--cluster`` address is ``local`` or ``dask://HOST:PORT``; the commands word
    the refusal in their own language."""
    if address == "local":
        return True
    found = ADDRESS.match(address)
    return found is not None and 1 <= int(found["port"]) <= 65535


class ClusterPool(Generic[J, R]):
    def __init__(self, address: str, work: Callable[[J], R], workers: int) -> None:
        # only a cluster run loads Dask; its API is untyped, so it is held as ``Any``
        distributed: Any = importlib.import_module("distributed")
        self._work = work
        self._cluster: Any = None
        if address == "local":
            self._cluster = distributed.LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self._client: Any = distributed.Client(self._cluster)
        else:
            found = ADDRESS.match(address)
            assert found is not None  # checked by cluster_address_ok before the run
            self._client = distributed.Client(
                f"tcp://{found['host']}:{found['port']}", timeout="30s"
            )

    def windows(self, windows: Iterator[list[J]]) -> Iterator[list[R]]:
        """Each window's results, in input order (gathered in the order submitted)."""
        pending: list[Any] | None = None
        for jobs in windows:
            futures = self._client.map(self._work, jobs, pure=False, retries=RETRIES)
            if pending is not None:
                yield list(self._client.gather(pending))
            pending = futures
        if pending is not None:
            yield list(self._client.gather(pending))

    def __enter__(self) -> ClusterPool[J, R]:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


__all__ = ["ClusterPool", "cluster_address_ok"]
