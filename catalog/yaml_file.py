"""Reading a YAML file that is then validated as a whole (the catalog, the policy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class UnreadableFile(Exception):
    """The file could not be read as YAML; `problem` says why, prefixed with the file."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def read_yaml(file: Path, empty_means: str) -> Any:
    """The parsed file; an empty or truncated file is refused (it must not replace a good one
    on reload), with `empty_means` saying what it must hold."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnreadableFile(f"{file}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{file}: not UTF-8 text ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        raise UnreadableFile(f"{file}: not valid YAML ({exc})") from exc
    if data is None:
        raise UnreadableFile(f"{file}: is empty; {empty_means}")
    return data
