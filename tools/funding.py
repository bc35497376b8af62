"""LIVE-only admin tools: withdrawals and Kraken report exports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from pydantic import Field

from tools.base import Args
from tools.context import ToolContext
from tools.results import amount_str
from trading.domain import Mode
from trading.errors import InputError
from trading.pairs import asset_name


@runtime_checkable
class Funding(Protocol):
    """An exchange account that can move funds out and build reports (Kraken in LIVE)."""

    async def withdraw(self, asset: str, amount: Decimal, key: str) -> str: ...

    async def request_export(self, report: str, description: str) -> str: ...


class WithdrawArgs(Args):
    asset: str = Field(min_length=2, max_length=10, pattern=r"^[A-Za-z0-9]+$")
    amount: Decimal = Field(gt=0, allow_inf_nan=False)
    key: str = Field(min_length=1, max_length=64, description="withdrawal address name saved on Kraken")


class ExportArgs(Args):
    report: Literal["trades", "ledgers"] = "trades"


@dataclass(frozen=True)
class WithdrawResult:
    asset: str
    amount: Decimal
    key: str
    reference: str

    def text(self) -> str:
        return f"Withdrawal of {amount_str(self.amount)} {self.asset} to '{self.key}' requested: ref {self.reference}"


@dataclass(frozen=True)
class ExportResult:
    report: str
    export_id: str

    def text(self) -> str:
        return f"Kraken is building the {self.report} export (id {self.export_id}); it appears under Documents."


def describe_withdraw(args: WithdrawArgs, symbol: str | None = None) -> str:
    """What withdraw will do."""
    return f"withdraw {amount_str(args.amount)} {args.asset.upper()} to the saved address '{args.key}'"


def _funding(ctx: ToolContext) -> Funding:
    if ctx.mode is not Mode.LIVE or not isinstance(ctx.exchange, Funding):
        raise InputError("withdrawals and exports are only available in LIVE mode")
    return ctx.exchange


async def withdraw(ctx: ToolContext, args: WithdrawArgs) -> WithdrawResult:
    """Withdraw an asset to a withdrawal address saved on Kraken (LIVE only)."""
    asset = asset_name(args.asset)
    ref = await _funding(ctx).withdraw(asset, args.amount, args.key)
    return WithdrawResult(asset=asset, amount=args.amount, key=args.key, reference=ref)


async def export_report(ctx: ToolContext, args: ExportArgs) -> ExportResult:
    """Ask Kraken to build a trades or ledgers report (LIVE only)."""
    export_id = await _funding(ctx).request_export(args.report, f"zyn {args.report} {ctx.clock.now():%Y-%m-%d}")
    return ExportResult(report=args.report, export_id=export_id)
