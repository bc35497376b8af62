"""Numerical kernels behind trading.decision.indicators: O(n) rolling windows and a blocked linear recurrence.

Both are pure numpy. Rolling windows use the van Herk / Gil-Werman block trick (prefix and suffix
accumulations inside blocks of the window length), so a window's sum only ever adds numbers from
that window: the rounding error is that of summing the window directly, not of a running total
over the whole history (cumsum differences lose digits on long series of small values, such as
volume in quiet hours). Recursive filters (EMA, Wilder) are solved in closed form per block.
"""

from __future__ import annotations

import math

import numpy as np

# The recurrence scales terms by a**-j inside a block; keep that below ~1e200 so nothing overflows,
# and cap the block so the cumulative sum's rounding (about L ulps) stays far below 1e-9.
_MAX_SCALE_DIGITS = 200.0
_MAX_BLOCK = 2048


def _blocks(x: np.ndarray, n: int, fill: float = np.nan) -> np.ndarray:
    """x padded at the end to a whole number of blocks of n, as a (blocks, n) array."""
    size = -(-len(x) // n) * n
    pad = np.full(size, fill)
    pad[: len(x)] = x
    return pad.reshape(-1, n)


def _rolling(x: np.ndarray, n: int, ufunc: np.ufunc) -> np.ndarray:
    """ufunc reduced over each window x[i-n+1 .. i]; NaN before index n-1 (NaN inside a window propagates)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(len(x), np.nan)
    if n < 1:
        raise ValueError(f"window must be at least 1, got {n}")
    if len(x) < n:
        return out
    blocks = _blocks(x, n)
    pre = ufunc.accumulate(blocks, axis=1).ravel()  # block start .. j
    suf = ufunc.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()  # j .. block end
    count = len(x) - n + 1
    # A window [s, s+n-1] not starting on a block boundary is the suffix of s's block plus the
    # prefix of the next block up to its end; one starting on a boundary is a whole block.
    res = ufunc(suf[:count], pre[n - 1 : len(x)])
    res[::n] = pre[n - 1 : len(x) : n]
    out[n - 1 :] = res
    return out


def rolling_sum(x: np.ndarray, n: int) -> np.ndarray:
    """Sum of each window of n values (NaN until the first full window)."""
    return _rolling(x, n, np.add)


def rolling_max(x: np.ndarray, n: int) -> np.ndarray:
    """Maximum of each window of n values (NaN until the first full window)."""
    return _rolling(x, n, np.maximum)


def rolling_min(x: np.ndarray, n: int) -> np.ndarray:
    """Minimum of each window of n values (NaN until the first full window)."""
    return _rolling(x, n, np.minimum)


def rolling_var(x: np.ndarray, n: int, ddof: int = 0) -> np.ndarray:
    """Variance of each window of n values (ddof=0: population, 1: sample); NaN until the first full window."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(len(x), np.nan)
    if n <= ddof:
        raise ValueError(f"window {n} too short for ddof={ddof}")
    if len(x) < n:
        return out
    # E[x^2] - E[x]^2 cancels catastrophically when the spread is tiny against the level (a BTC-quoted
    # price of 0.1 moving by 1e-5). So sum deviations from a reference inside the window instead: the
    # first value of the block holding the window's end. Prefix sums use their own block's start,
    # suffix sums the next block's start, so both halves of a window share one reference.
    blocks = _blocks(x, n)
    starts = np.append(blocks[:, 0], np.nan)
    dev_pre = blocks - starts[:-1, None]
    dev_suf = blocks - starts[1:, None]
    count = len(x) - n + 1
    s1 = np.cumsum(dev_suf[:, ::-1], axis=1)[:, ::-1].ravel()[:count]
    s2 = np.cumsum((dev_suf * dev_suf)[:, ::-1], axis=1)[:, ::-1].ravel()[:count]
    p1 = np.cumsum(dev_pre, axis=1).ravel()[n - 1 : len(x)]
    p2 = np.cumsum(dev_pre * dev_pre, axis=1).ravel()[n - 1 : len(x)]
    s1, s2 = s1 + p1, s2 + p2
    s1[::n], s2[::n] = p1[::n], p2[::n]
    var = (s2 - s1 * s1 / n) / (n - ddof)
    out[n - 1 :] = np.maximum(var, 0.0)  # rounding can leave -1e-30 on a flat window
    return out


def linear_recurrence(b: np.ndarray, a: float, y0: float) -> np.ndarray:
    """y[t] = a * y[t-1] + b[t] for t = 0.. over a 1-D b, with y[-1] = y0 and 0 < a < 1."""
    if not 0.0 < a < 1.0:
        raise ValueError(f"decay must be in (0, 1), got {a}")
    b = np.asarray(b, dtype=np.float64)
    out = np.empty_like(b)
    size = int(min(_MAX_BLOCK, max(1.0, _MAX_SCALE_DIGITS / -math.log10(a))))
    t = np.arange(size, dtype=np.float64)
    power = a**t  # a^t, each correctly rounded (no drift from repeated multiplication)
    inverse = 1.0 / power
    power_next = power * a
    prev = float(y0)
    # Inside a block the recursion has a closed form: y[t] = a^(t+1) y0 + a^t * sum_{j<=t} b[j] a^-j.
    for s in range(0, len(b), size):
        chunk = b[s : s + size]
        m = len(chunk)
        y = power[:m] * np.cumsum(chunk * inverse[:m]) + power_next[:m] * prev
        out[s : s + m] = y
        prev = y[-1]
    return out
