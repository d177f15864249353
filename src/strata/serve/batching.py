"""Dynamic micro-batching: concurrent encoder/classifier requests share one model call.

Requests queue per model; a drain task waits `window_s` for company, then runs up to
`max_size` texts in a worker thread and hands each request its own rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

R = TypeVar("R")


class MicroBatcher(Generic[R]):
    """Batches calls of `fn(texts) -> one result per text` across concurrent requests."""

    def __init__(
        self, fn: Callable[[list[str]], Sequence[R]], *, window_s: float, max_size: int
    ) -> None:
        self.fn = fn
        self.window_s = window_s
        self.max_size = max_size
        self._queue: list[tuple[list[str], asyncio.Future[list[R]]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, texts: list[str]) -> list[R]:
        """This request's results, computed in a batch with whatever else is waiting."""
        future: asyncio.Future[list[R]] = asyncio.get_running_loop().create_future()
        self._queue.append((texts, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    def _take(self) -> list[tuple[list[str], asyncio.Future[list[R]]]]:
        taken: list[tuple[list[str], asyncio.Future[list[R]]]] = []
        size = 0
        while self._queue and (not taken or size + len(self._queue[0][0]) <= self.max_size):
            item = self._queue.pop(0)
            taken.append(item)
            size += len(item[0])
        return taken

    async def _drain(self) -> None:
        while self._queue:
            if self.window_s and sum(len(t) for t, _ in self._queue) < self.max_size:
                await asyncio.sleep(self.window_s)
            batch = self._take()
            texts = [text for item, _ in batch for text in item]
            try:
                results = await asyncio.to_thread(self.fn, texts)
            except Exception as exc:  # every waiting request gets the model's error
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches += 1
            start = 0
            for item, future in batch:
                if not future.done():
                    future.set_result(list(results[start : start + len(item)]))
                start += len(item)
