"""The establishment: funded social-worker posts, who holds each, and pending recruitment.

A post is *vacant* when no permanent worker holds it, even if an agency worker covers it; that is
the DfE definition behind the published vacancy rate (vacancies / (vacancies + in post)).
"""

from __future__ import annotations

import numpy as np

NOBODY = -1
NOT_SCHEDULED = -1


class Posts:
    """Column store of posts: team, holder, whether funded, and scheduled arrivals."""

    def __init__(self) -> None:
        self.team = np.empty(0, dtype=np.int32)
        self.holder = np.empty(0, dtype=np.int32)
        self.is_active = np.empty(0, dtype=bool)
        self.day_recruit = np.empty(0, dtype=np.int64)
        self.day_agency = np.empty(0, dtype=np.int64)

    @property
    def n(self) -> int:
        """Number of posts ever created (cut posts stay, inactive)."""
        return len(self.team)

    def add(self, team: int, count: int) -> np.ndarray:
        """Create ``count`` empty active posts in ``team``; return their indices."""
        start = self.n
        self.team = np.concatenate([self.team, np.full(count, team, dtype=np.int32)])
        self.holder = np.concatenate([self.holder, np.full(count, NOBODY, dtype=np.int32)])
        self.is_active = np.concatenate([self.is_active, np.ones(count, dtype=bool)])
        self.day_recruit = np.concatenate([self.day_recruit, np.full(count, NOT_SCHEDULED)])
        self.day_agency = np.concatenate([self.day_agency, np.full(count, NOT_SCHEDULED)])
        return np.arange(start, start + count)
