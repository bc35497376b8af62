"""Zyn's own error hierarchy; exchange-library errors are translated into these at the edge."""

from __future__ import annotations


class ZynError(Exception):
    """Base error: its message is short, safe to show a user, and free of secrets."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(ZynError):
    """The user's request is malformed or impossible; nothing was changed."""

    exit_code = 1


class ConfigError(InputError):
    """A setting has a bad value."""


class UnknownPairError(InputError):
    """The pair is not traded on the exchange."""


class InvalidAmountError(InputError):
    """An amount or price is zero, negative, not a number or not finite."""


class BelowMinimumError(InputError):
    """An order is smaller than the market's minimum amount or cost."""


class PrecisionError(InputError):
    """A price or amount has more decimals than the market allows."""


class ModeMismatchError(InputError):
    """A database stamped for one mode was opened in the other, or an exchange of one mode reached the other's context."""


class ExchangeError(ZynError):
    """The exchange (or its simulator) refused or failed a request."""

    exit_code = 2


class InvalidOrderError(ExchangeError):
    """The exchange rejected the order as invalid."""

    exit_code = 1


class PostOnlyRejectedError(InvalidOrderError):
    """A post-only limit order was refused because it would have taken liquidity (Kraken: EOrder:Post only order)."""


class InsufficientFundsError(ExchangeError):
    """The balance does not cover the order."""

    exit_code = 1


class OrderNotFoundError(ExchangeError):
    """No order with that id exists (or it is no longer open)."""

    exit_code = 1


class AuthenticationError(ExchangeError):
    """The API key or signature was refused."""


class PermissionDeniedError(ExchangeError):
    """The API key lacks permission, or the action is not allowed in this mode."""

    exit_code = 1


class OfflineError(ExchangeError):
    """The exchange's address cannot even be resolved: this machine is offline. Not retried."""


class TransientError(ExchangeError):
    """A failure worth retrying: network, timeout, rate limit, exchange unavailable."""


class NetworkError(TransientError):
    """The exchange could not be reached."""


class RequestTimeoutError(NetworkError):
    """The request timed out; its outcome is unknown."""


class RateLimitError(TransientError):
    """The exchange asked us to slow down."""


class RateLimitWaitError(ExchangeError):
    """Our own limiter would hold a call longer than allowed for rate-limit headroom; nothing was sent."""


class OrderOutcomeUnknownError(RequestTimeoutError):
    """An order was sent, Kraken's answer was lost and the lookups by its client id did not find it either:
    it may or may not exist. Zyn keeps it as an unresolved intent and settles it by its client id later."""

    def __init__(self, message: str, *, client_id: str, symbol: str, side: str, amount: str,
                 price: str | None = None, order_type: str = "market") -> None:
        super().__init__(message)
        self.client_id, self.symbol, self.side, self.amount = client_id, symbol, side, amount
        self.price, self.order_type = price, order_type


class ExchangeUnavailableError(TransientError):
    """The exchange is down or in maintenance."""
