"""`zyn doctor`: dependencies, configuration, database, Kraken reach and keys, clock skew; each ok or failed + fix."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DEPENDENCIES = ("ccxt", "sqlmodel", "sqlalchemy", "pandas", "numpy", "apscheduler", "telegram", "loguru",
                "pydantic_settings", "matplotlib", "httpx", "tenacity")
MAX_SKEW_SECONDS = 5.0  # Kraken refuses nonces far off; candles are judged by the clock


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the diagnosis."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _first_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message.splitlines()[0][:200]


def check_dependencies() -> Check:
    """Every library Zyn needs imports."""
    missing = []
    for name in DEPENDENCIES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - any failure to import is a missing dependency
            missing.append(name)
    if missing:
        return Check("dependencies", False, f"not importable: {', '.join(missing)}",
                     "reinstall: `make install` (or pip install -e .)")
    return Check("dependencies", True, f"{len(DEPENDENCIES)} libraries import")


async def diagnose(settings_loader: Any = None) -> list[Check]:
    """Run every check; never raises (a failure is a failed line with its fix)."""
    checks = [check_dependencies()]
    try:
        from bot.settings import load_settings
        from trading.config import load_trading_config

        settings = (settings_loader or load_settings)()
        cfg = load_trading_config(settings.config_file, settings.trading_env)
        pairs = (f"auto ({cfg.universe_size} most liquid)" if cfg.universe_size else ", ".join(cfg.universe))
        checks.append(Check("configuration", True, f"{settings.mode.value.upper()} · universe "
                                                   f"{pairs} · {settings.config_file}"))
    except Exception as exc:  # noqa: BLE001
        checks.append(Check("configuration", False, _first_line(exc), "fix the named setting (see .env.example), "
                                                                      "or run `zyn config-setup`"))
        return checks
    checks.append(_database(settings))
    checks.append(_warmup(settings, cfg))
    if settings.mode.value == "live":
        checks.append(_evidence(settings))
    checks.extend(await _kraken(settings))
    return checks


def _database(settings: Any) -> Check:
    from memory import open_database

    try:
        db = open_database(settings.mode, settings.data_dir, _url(settings))
    except Exception as exc:  # noqa: BLE001
        return Check("database", False, _first_line(exc), "check DATABASE_URL / ZYN_DATA_DIR and the mode (ZYN_MODE)")
    try:
        where = str(db.path) if db.path is not None else "DATABASE_URL"
        return Check("database", True, f"{where} opens, stamped {db.mode.value.upper()}")
    finally:
        db.close()


def _warmup(settings: Any, cfg: Any) -> Check:
    """Whether a tick can warm the stack up now: Kraken's 720-candle OHLC window plus what the candle store holds
    behind it (the autopilot keeps the candles it sees; `zyn data fetch` fills more)."""
    from datetime import timedelta

    from memory import open_database
    from trading.autopilot.history import FEED_WINDOW, coverage, needed

    need, what = needed(cfg)
    verb = "need" if what.endswith("s") else "needs"
    if _offline_paper(settings):
        return Check("warm-up", True, f"the {what} {verb} {need} five-minute candles ({need * 5 / 1440:.1f} days): "
                                      "offline (ZYN_OFFLINE=1), the replay serves its whole history")
    if need <= FEED_WINDOW - 1:
        return Check("warm-up", True, f"the {what} {verb} {need} five-minute candles ({need * 5 / 1440:.1f} days): "
                                      f"Kraken's OHLC window ({FEED_WINDOW - 1} closed) holds them")
    now = datetime.now(UTC)
    try:
        db = open_database(settings.mode, settings.data_dir, _url(settings))
    except Exception as exc:  # noqa: BLE001
        return Check("warm-up", False, f"the candle store cannot be read: {_first_line(exc)}", "fix the database first")
    try:
        start = now - timedelta(minutes=5 * (need + 24))
        gaps = [coverage(cfg, pair, db.load_candles(pair, "5m", start=start, end=now), now) for pair in cfg.universe]
    finally:
        db.close()
    short = [g for g in gaps if g.short]
    if not short:
        return Check("warm-up", True, f"the {what} needs {need * 5 / 1440:.1f} days of 5-minute candles: the candle "
                                      f"store and Kraken's window hold them for {', '.join(cfg.universe)}")
    return Check("warm-up", False, "on Kraken's feed (the offline replay serves its whole history): "
                 + "; ".join(f"{g.symbol}: {g.text()}" for g in short),
                 "; ".join(f"zyn data fetch {g.symbol} --since {g.fetch_since:%Y-%m-%d}" for g in short)
                 + " (or let the autopilot run: it keeps the candles it sees)")


def _evidence(settings: Any) -> Check:
    """LIVE: PAPER's database, which LIVE's learner reads (read only) as its only evidence."""
    from bot.app import paper_url
    from memory import open_existing
    from trading.domain import Mode

    where = "PAPER_DATABASE_URL" if settings.paper_database_url is not None else "PAPER's SQLite file"
    try:
        db = open_existing(Mode.PAPER, paper_url(settings))
    except Exception as exc:  # noqa: BLE001
        return Check("learner evidence", False, _first_line(exc), "check PAPER_DATABASE_URL: it must be PAPER's "
                                                                   "database, which LIVE's learner reads")
    if db is None:
        return Check("learner evidence", True, f"no PAPER database at {where} yet: LIVE's learner has no evidence, "
                                               "so every arm stays off and LIVE stands aside")
    try:
        n, seeded = len(db.outcome_returns()), sum(s.n for s in db.seed_sets())
        return Check("learner evidence", True, f"{where} opens, stamped PAPER: {n} outcomes ({seeded} seeded "
                                               "from walk-forward test windows), read only")
    finally:
        db.close()


def _offline_paper(settings: Any) -> bool:
    return bool(settings.offline) and settings.mode.value != "live"


def _url(settings: Any) -> str | None:
    return settings.database_url.get_secret_value() if settings.database_url is not None else None


async def _kraken(settings: Any) -> list[Check]:
    from trading.exchange.kraken.client import KrakenPublicFeed

    out: list[Check] = []
    feed = KrakenPublicFeed(api_url=settings.kraken_api_url, timeout_ms=5000, retries=0,
                            rate_tier=settings.kraken_tier)
    try:
        if _offline_paper(settings):  # offline by choice: nothing is sent, and nothing is failed for it
            out.append(Check("kraken reach", True, "not checked: offline by choice (ZYN_OFFLINE=1), PAPER runs on "
                                                   "the offline replay; unset ZYN_OFFLINE to check Kraken"))
            return await _kraken_keys(settings, feed, out)
        before = datetime.now(UTC)
        server = await feed.server_time()
        after = datetime.now(UTC)
        markets = await feed.load_markets()
        out.append(Check("kraken reach", True, f"public API answers ({len(markets)} pairs)"))
        skew = (server - (before + (after - before) / 2)).total_seconds()
        if abs(skew) > MAX_SKEW_SECONDS:
            out.append(Check("clock skew", False, f"{skew:+.1f} s against Kraken's server time",
                             "sync the system clock (timedatectl set-ntp true / chrony)"))
        else:
            out.append(Check("clock skew", True, f"{skew:+.1f} s against Kraken's server time"))
    except Exception as exc:  # noqa: BLE001
        out.append(Check("kraken reach", False, _first_line(exc),
                         "check the network or KRAKEN_API_URL; PAPER runs on the offline replay meanwhile"))
        out.append(Check("clock skew", False, "not measured: Kraken's server time was not reached",
                         "fix the Kraken reach first"))
    finally:
        await feed.close()
    return await _kraken_keys(settings, feed, out)


async def _kraken_keys(settings: Any, feed: Any, out: list[Check]) -> list[Check]:
    from trading.domain import Mode
    from trading.exchange.kraken.client import KrakenExchange

    if settings.mode is not Mode.LIVE:
        out.append(Check("kraken keys", True, "PAPER: no private Kraken call is made (not checked)"))
    elif not settings.has_kraken_keys:
        out.append(Check("kraken keys", False, "LIVE without KRAKEN_API_KEY / KRAKEN_API_SECRET",
                         "run `zyn config-setup` or set both in the environment"))
    else:
        account = KrakenExchange(settings.kraken_api_key.get_secret_value(),
                                 settings.kraken_api_secret.get_secret_value(), api_url=settings.kraken_api_url,
                                 timeout_ms=5000, retries=0, rate_tier=settings.kraken_tier)
        try:
            balances = await account.fetch_balances()
            out.append(Check("kraken keys", True, f"private call answered (query funds: {len(balances)} assets)"))
        except Exception as exc:  # noqa: BLE001
            out.append(Check("kraken keys", False, _first_line(exc),
                             "create a key with Query Funds, Query/Create/Cancel Orders permissions"))
        finally:
            await account.close()
    out.append(_rate_limit(settings, account if settings.mode is Mode.LIVE and settings.has_kraken_keys else feed))
    return out


def _rate_limit(settings: Any, client: Any) -> Check:
    """Kraken's counters as the running service counts them (its status file), else as this check's calls did."""
    from bot.ratestatus import describe, read_status

    service = read_status(settings.data_dir, settings.mode, datetime.now(UTC))
    fix = "fewer Kraken calls at once, or set ZYN_KRAKEN_TIER to the account's real tier"
    if service is not None:
        ok, line = describe(service)
        return Check("rate limit", ok, f"the running service (pid {service.get('pid')}) counts: {line}",
                     "" if ok else fix)
    if client.limiter is None:
        return Check("rate limit", True, "not counted: no Kraken tier applies to this address")
    ok, line = describe(client.limiter.snapshot())
    return Check("rate limit", ok, f"no running service; this check's own calls: {line}", "" if ok else fix)
