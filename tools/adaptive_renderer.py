"""Check Adaptive Cards with the official JavaScript renderer (npm `adaptivecards`).

One long-lived ``node tools/adaptive_check.js`` process answers JSON lines; see that file for the
protocol. Usage::

    from tools.adaptive_renderer import OfficialRenderer, renderer_available

    if (reason := renderer_available()) is not None:
        ...  # skip: reason says what is missing
    with OfficialRenderer() as renderer:
        problems = renderer.check(card_dict)  # [] when the card is clean
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "adaptive_check.js"
RENDERER_PACKAGE = ROOT / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.js"
TEAMS_CARD_VERSION = "1.5"


class RendererError(RuntimeError):
    """The checker process failed, or answered something other than a check result."""


def renderer_available(root: Path = ROOT) -> str | None:
    """None when the official renderer can run here; otherwise the reason it cannot."""
    if shutil.which("node") is None:
        return "node is not installed (the official Adaptive Cards renderer runs in Node.js)"
    package = root / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.js"
    if not package.is_file():
        return f"npm package adaptivecards is not installed ({package} missing): run `make node`"
    return None


class OfficialRenderer:
    """A context manager around one `node tools/adaptive_check.js` process.

    `check(card)` returns a list of problem strings from the official renderer's parser
    (unknown element or action types, invalid property values), its property validation
    (duplicate ids, ...) and a check that every Action.Execute has a non-empty verb.
    """

    def __init__(
        self,
        target_version: str = TEAMS_CARD_VERSION,
        timeout: float = 30.0,
        root: Path = ROOT,
    ) -> None:
        self.target_version = target_version
        self.timeout = timeout
        self.root = root
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._next_id = 0

    def __enter__(self) -> OfficialRenderer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start the Node process (done by `with`); raises RendererError if it cannot run."""
        if self._process is not None:
            return
        reason = renderer_available(self.root)
        if reason is not None:
            raise RendererError(reason)
        node = shutil.which("node") or "node"
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._process = subprocess.Popen(
            [node, str(self.root / "tools" / "adaptive_check.js")],
            cwd=self.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        threading.Thread(target=self._pump, name="adaptive-check-reader", daemon=True).start()
        log.debug("started adaptive card checker, pid %s", self._process.pid)

    def _pump(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            self._lines.put(line)
        self._lines.put(None)  # end of output: the process has exited

    def close(self) -> None:
        """Stop the Node process."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        log.debug("adaptive card checker stopped, exit code %s", process.returncode)

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().strip()

    def check(self, card: Mapping[str, Any]) -> list[str]:
        """Problems the official renderer finds in `card` (a card JSON object); [] = clean."""
        with self._lock:
            process = self._process
            if process is None or process.stdin is None:
                raise RendererError("the renderer is not running: use `with OfficialRenderer()`")
            self._next_id += 1
            request_id = self._next_id
            request = {"id": request_id, "card": card, "targetVersion": self.target_version}
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                line = self._lines.get(timeout=self.timeout)
            except queue.Empty:
                self.close()  # a late answer would be mistaken for the next one's
                raise RendererError(f"no answer from the renderer in {self.timeout}s") from None
            except OSError as exc:
                raise RendererError(f"renderer died: {self._stderr_text()}") from exc
            if line is None:
                raise RendererError(f"renderer exited: {self._stderr_text()}")
            answer = json.loads(line)
        if answer.get("id") != request_id:
            raise RendererError(f"answer out of order: {answer!r}")
        if "error" in answer:
            raise RendererError(str(answer["error"]))
        return [str(problem) for problem in answer["problems"]]

    def check_all(self, cards: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
        """Check several named cards; returns only the names that have problems."""
        results = {name: self.check(card) for name, card in cards.items()}
        return {name: problems for name, problems in results.items() if problems}
