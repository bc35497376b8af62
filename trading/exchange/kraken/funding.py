"""Kraken funding actions (LIVE only): withdrawals to saved addresses and report exports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from loguru import logger

from trading.errors import ExchangeError

_log = logger.bind(component="kraken")


class KrakenFundingMixin:
    """Withdraw and export, mixed into KrakenExchange. Neither is retried: both act once on Kraken."""

    _raw: Any
    _ex: Any

    async def withdraw(self, asset: str, amount: Decimal, key: str) -> str:
        """Withdraw amount of asset to the withdrawal address saved on Kraken under `key`; the refid."""
        await self._raw("load_markets")  # ccxt needs Kraken's asset ids
        # Not retried: a timed-out withdrawal may have gone through, and a second one would move money twice.
        tx = await self._raw("withdraw", asset, str(amount), None, {"key": key})
        ref = tx.get("id") or (tx.get("info") or {}).get("refid")
        if not ref:
            raise ExchangeError("Kraken accepted the withdrawal but returned no reference; check the account")
        _log.info("withdrawal of {} {} to '{}' requested: {}", amount, asset, key, ref)
        return str(ref)

    async def request_export(self, report: str, description: str) -> str:
        """Ask Kraken to build a trades or ledgers export (CSV); the export id."""
        params = {"report": report, "format": "CSV", "description": description}
        answer = await self._raw("privatePostAddExport", params)
        export_id = (answer.get("result") or {}).get("id")
        if not export_id:
            raise ExchangeError("Kraken did not return an export id")
        _log.info("{} export requested: {}", report, export_id)
        return str(export_id)
