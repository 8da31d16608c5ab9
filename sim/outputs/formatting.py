"""Numbers as a reader expects them, shared by the terminal tables and the HTML reports."""

from __future__ import annotations

import math


def format_value(value: float | None, unit: str, like: float | None = None) -> str:
    """A number as a reader expects it: shares as percentages, money in pounds, counts grouped.

    ``like`` (the mean, when formatting an interval's ends) fixes the decimals, so a row's
    numbers line up: ``93.5`` with ``83.1 – 103.9``, not ``83.1 – 104``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("share", "per year"):
        return _signed(value * 100, 1) + "%"
    if unit == "GBP":
        text = _signed(value, 0)
        return text.replace("-", "-£") if text.startswith("-") else "£" + text
    size = abs(value if like is None or math.isnan(like) else like)
    return _signed(value, 0 if size >= 100 else 1 if size >= 10 else 2)


def _signed(value: float, decimals: int) -> str:
    """``value`` with thousands separators, and no ``-0.0`` when it rounds to zero."""
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def format_change(value: float | None, unit: str) -> str:
    """A difference with its sign: shares and rates in percentage points (``+2.1 pp``).

    A change in a share from 93.6% to 95.7% is +2.1 percentage points, not +2.1%: the relative
    change would be 2.3%.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("share", "per year"):
        text = _signed(value * 100, 1) + " pp"
    else:
        text = format_value(value, unit, like=value)
    return text if text.startswith("-") or text.lstrip("£") in ("0", "0.00") else "+" + text


def format_interval(low: float, high: float, unit: str, like: float) -> str:
    """``low – high`` in ``unit``, with the decimals of ``like`` (the mean) so a row lines up."""
    return f"{format_value(low, unit, like=like)} – {format_value(high, unit, like=like)}"


def format_change_interval(low: float, high: float, unit: str, like: float) -> str:
    """``low – high`` of a difference, in the units :func:`format_change` uses."""
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        return "n/a"
    if unit in ("share", "per year"):
        return f"{_signed(low * 100, 1)} – {_signed(high * 100, 1)} pp"
    return format_interval(low, high, unit, like)
