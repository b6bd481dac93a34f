"""Errors a person sees when a file cannot be loaded."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file cannot be loaded at all; nothing of it was written. The message names the file,
    says what is wrong and what to do."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem
