"""LIVE figures that check themselves, through the CLI against the Kraken stand-in: an empty answer while Zyn
knows better is called out and the last good figures are shown with their time; a balance that moved with no
fill is pointed out; a consistent read is shown as it is."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.bot.test_cli_live import kraken, run  # noqa: F401 - the LIVE stand-in fixture
from tests.standins.kraken import KrakenStandin


def test_empty_balances_from_kraken_are_not_shown_as_true(kraken: KrakenStandin, capsys) -> None:  # noqa: F811
    code, out, err = run(capsys, "portfolio", "--json")
    good = json.loads(out)
    assert code == 0 and good["warning"] == "" and good["as_of"] is None, err
    for asset in list(kraken.balances):
        kraken.balances[asset] = Decimal(0)  # Kraken answers an empty account (an outage, a key glitch)
    code, out, err = run(capsys, "portfolio", "--json")
    shown = json.loads(out)
    assert code == 0, err
    assert "EMPTY balances" in shown["warning"] and "not your account" in shown["warning"]
    assert shown["as_of"] is not None and Decimal(shown["equity"]) == Decimal(good["equity"])
    assert {b["asset"]: b["total"] for b in shown["balances"]}["USD"] == "10000"
    code, out, err = run(capsys, "portfolio")
    assert "EMPTY balances" in out and "as of" in out and "Equity 0.00" not in out


def test_a_balance_that_moved_with_no_fill_is_pointed_out(kraken: KrakenStandin, capsys) -> None:  # noqa: F811
    assert run(capsys, "portfolio", "--json")[0] == 0
    kraken.set_balance("XETH", "3")  # a deposit Zyn did not make
    code, out, err = run(capsys, "portfolio", "--json")
    warning = json.loads(out)["warning"]
    assert code == 0 and "ETH 2 -> 3" in warning and "no fill recorded" in warning, err
    code, out, _ = run(capsys, "portfolio", "--json")
    assert json.loads(out)["warning"] == ""  # said once: the new figure is now the last good one
