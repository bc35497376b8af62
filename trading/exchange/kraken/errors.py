"""Translate ccxt (and transport) exceptions into Zyn's error hierarchy, with short, secret-free messages.

ccxt's exception text can carry the request URL, the response body and, for some transports, request
details. None of it is copied: a translated message names only what went wrong and, when there is
one, Kraken's own error code (e.g. "EOrder:Insufficient funds"), which is safe to show a user.

InvalidNonce is treated as transient (a plain TransientError, so tenacity retries it): Kraken refuses
such a request before acting on it, and the retry is signed with a fresh, larger nonce. It happens
when two clients share a key or after a clock hiccup; an authentication error would mislead the user.
"""

from __future__ import annotations

import asyncio
import re
import socket

from trading.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeUnavailableError,
    InsufficientFundsError,
    InvalidOrderError,
    NetworkError,
    OfflineError,
    OrderNotFoundError,
    PermissionDeniedError,
    PostOnlyRejectedError,
    RateLimitError,
    RequestTimeoutError,
    TransientError,
    UnknownPairError,
    ZynError,
)

# Kraken error codes look like "EOrder:Insufficient funds" or "EGeneral:Invalid arguments:volume".
# A base64 key or secret never contains ':', and the pattern allows no quotes or brackets.
_KRAKEN_CODE = re.compile(r"\b(E[A-Z][A-Za-z]+:[A-Za-z0-9 _.:/-]{2,80})")

# Codes whose meaning is clearer than the ccxt class they arrive as (ccxt maps "Unknown order" to
# InvalidOrder except inside cancel_order; "Invalid signature" is unmapped in ccxt).
_BY_CODE: dict[str, tuple[type[ZynError], str]] = {
    "EOrder:Unknown order": (OrderNotFoundError, "Kraken does not know that order"),
    "EOrder:Post only order": (PostOnlyRejectedError, "Kraken refused the post-only order: it would have taken "
                                                      "liquidity; nothing was placed"),
    "EAPI:Invalid signature": (AuthenticationError, "Kraken refused the API signature; check the API secret"),
    "EAPI:Invalid key": (AuthenticationError, "Kraken refused the API key; check KRAKEN_API_KEY and the secret"),
    "EAPI:Feature disabled": (PermissionDeniedError, "this feature is disabled for the API key"),
    "EGeneral:Permission denied": (PermissionDeniedError, "the API key lacks permission for this"),
    "EQuery:Unknown asset pair": (UnknownPairError, "Kraken does not trade that pair"),
}


def kraken_code(text: str) -> str | None:
    """The first Kraken error code found in text, or None."""
    match = _KRAKEN_CODE.search(text or "")
    if not match:
        return None
    return match.group(1).rstrip(" .:")


def _msg(summary: str, code: str | None) -> str:
    return f"{summary} ({code})" if code else summary


def _dns_failure(exc: BaseException) -> bool:
    """True if a socket.gaierror (name resolution failure) is anywhere in the exception's causes."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__ or next(
            (a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)), None)
        if seen is None:
            return False
        os_error = getattr(seen, "os_error", None)
        if isinstance(os_error, socket.gaierror):
            return True
    return False


def translate(exc: BaseException) -> ZynError:
    """The Zyn error for an exception raised by ccxt or its HTTP transport (never echoes raw text)."""
    if isinstance(exc, ZynError):
        return exc
    # Imported here so that importing the adapter module stays free of ccxt (CLI start-up time);
    # by the time a ccxt exception exists, ccxt is loaded anyway.
    import ccxt

    code = kraken_code(str(exc)) if isinstance(exc, ccxt.BaseError) else None
    if code is not None:
        for known, (cls, summary) in _BY_CODE.items():
            if code.startswith(known):
                return cls(_msg(summary, code))

    if _dns_failure(exc):  # no name resolution: offline; retrying in a second will not help
        return OfflineError("could not resolve Kraken's address (no network?)")
    # Transient failures first: several ccxt classes nest under NetworkError.
    if isinstance(exc, ccxt.RequestTimeout | asyncio.TimeoutError | TimeoutError):
        return RequestTimeoutError("Kraken did not answer in time; the outcome is unknown")
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimitError(_msg("Kraken asked us to slow down", code))
    if isinstance(exc, ccxt.ExchangeNotAvailable):  # includes OnMaintenance
        return ExchangeUnavailableError(_msg("Kraken is unavailable or in maintenance", code))
    if isinstance(exc, ccxt.InvalidNonce):
        return TransientError(_msg("Kraken refused the request nonce; retrying with a fresh one", code))
    if isinstance(exc, ccxt.NetworkError):
        return NetworkError(_msg("could not reach Kraken", code))

    # Refusals: never retried.
    if isinstance(exc, ccxt.AuthenticationError) and "credential" in str(exc):
        return AuthenticationError("the Kraken API key and secret are not set")  # ccxt refused to sign
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFundsError(_msg("insufficient funds on Kraken", code))
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFoundError(_msg("Kraken does not know that order", code))
    if isinstance(exc, ccxt.InvalidOrder):
        return InvalidOrderError(_msg("Kraken rejected the order", code))
    if isinstance(exc, ccxt.BadSymbol):
        return UnknownPairError(_msg("Kraken does not trade that pair", code))
    if isinstance(exc, ccxt.BadRequest):
        return InvalidOrderError(_msg("Kraken rejected the request as invalid", code))
    if isinstance(exc, ccxt.PermissionDenied | ccxt.AccountSuspended):
        return PermissionDeniedError(_msg("the Kraken account or API key is not allowed to do this", code))
    if isinstance(exc, ccxt.AuthenticationError):
        return AuthenticationError(_msg("Kraken refused the API credentials", code))
    if isinstance(exc, ccxt.BaseError):
        return ExchangeError(_msg("Kraken request failed", code))
    # aiohttp errors that escaped ccxt's own wrapping.
    import aiohttp

    if isinstance(exc, aiohttp.ClientError):
        return NetworkError("could not reach Kraken")
    return ExchangeError(f"unexpected Kraken adapter failure ({type(exc).__name__})")


def is_translatable(exc: BaseException) -> bool:
    """True for exceptions that translate() knows (ccxt, aiohttp, timeouts); others are bugs to surface."""
    if isinstance(exc, ZynError | asyncio.TimeoutError | TimeoutError):
        return True
    import sys

    ccxt = sys.modules.get("ccxt")
    aiohttp = sys.modules.get("aiohttp")
    return bool(
        (ccxt is not None and isinstance(exc, ccxt.BaseError))
        or (aiohttp is not None and isinstance(exc, aiohttp.ClientError))
    )
