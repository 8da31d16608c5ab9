"""The class view: a lecturer's run followed read-only from students' own browsers.

The lecturer's session opens a :class:`Broadcast` under a short code (``K7QMP``). After every
Step, play tick or lever change it publishes a snapshot of what its page shows: text and chart
options only, never the model, so a follower's page holds nothing it could steer the
lecturer's run with, and nothing of the model is read from another session's thread while it
steps. A follower's session waits for the next version (:meth:`Broadcast.wait`) in a thread of
its own and draws it. Forking builds a model of the follower's own from the snapshot's settings
and lever changes (``DashboardModel.replay``).

The :data:`CLASSROOM` registry lives as long as the server process; a broadcast is closed and
dropped when its lecturer stops sharing or the lecturer's session ends, and its followers then
say so. Nothing here imports Solara.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from sim.dashboard.view_model import NotApplied

#: Letters and digits of a class code, without look-alikes (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5


class Broadcast:
    """One shared run: the latest snapshot of the lecturer's page and its version number."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.version = 0
        self.snapshot: Any = None
        self.closed = False
        self.followers = 0  # sessions following now
        self._changed = threading.Condition()

    def join(self) -> None:
        """A follower's session starts following."""
        with self._changed:
            self.followers += 1

    def leave(self) -> None:
        """A follower's session stops following (left, forked or closed)."""
        with self._changed:
            self.followers -= 1

    def publish(self, snapshot: Any) -> None:
        """Make ``snapshot`` the page every follower draws next."""
        with self._changed:
            self.snapshot = snapshot
            self.version += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, Any]:
        """The (version, snapshot) after ``seen``, waiting up to ``timeout`` seconds for it."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen or self.closed, timeout)
            return self.version, self.snapshot

    def close(self) -> None:
        """End the broadcast: followers stop waiting and say the class has ended."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class Classroom:
    """The open broadcasts of this server, by code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Broadcast] = {}

    def open(self) -> Broadcast:
        """A new broadcast under a code no open broadcast has."""
        with self._lock:
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if code not in self._open:
                    break
            broadcast = self._open[code] = Broadcast(code)
            return broadcast

    def find(self, code: str) -> Broadcast | None:
        """The open broadcast under ``code`` (already checked by :func:`parse_class_code`)."""
        with self._lock:
            return self._open.get(code)

    def close(self, broadcast: Broadcast) -> None:
        """Close ``broadcast`` and forget it."""
        broadcast.close()
        with self._lock:
            if self._open.get(broadcast.code) is broadcast:
                del self._open[broadcast.code]

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)


#: This server's broadcasts.
CLASSROOM = Classroom()


def parse_class_code(raw: Any) -> str:
    """A class code as typed or sent (case and spaces do not matter), checked.

    Raises:
        NotApplied: For anything but :data:`CODE_LENGTH` characters of :data:`CODE_ALPHABET`.
    """
    text = raw.strip().upper().replace(" ", "") if isinstance(raw, str) else None
    if text is None or len(text) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in text):
        shown = repr(raw)[:40] if not isinstance(raw, str) else repr(raw[:40])
        raise NotApplied(
            f"Not applied: Class code: {CODE_LENGTH} letters and digits such as K7QMP (got {shown})"
        )
    return text


def find_class(raw: Any, classroom: Classroom = CLASSROOM) -> Broadcast:
    """The broadcast a follower asked for.

    Raises:
        NotApplied: For a code that is malformed or that no class is sharing now.
    """
    code = parse_class_code(raw)
    broadcast = classroom.find(code)
    if broadcast is None or broadcast.closed:
        raise NotApplied(f"Not applied: Class code: no class is sharing {code} on this server")
    return broadcast
