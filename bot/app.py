"""Composition root: settings -> clock, database, feed, exchange -> the tools' context -> the gate, the agent."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.settings import Settings
from tools.context import ToolContext
from trading.clock import Clock, SystemClock
from trading.domain import Mode
from trading.errors import ConfigError
from trading.exchange.base import Exchange, MarketFeed

if TYPE_CHECKING:
    from agent.agent import Agent
    from tools.gate import Gate


@dataclass
class Services:
    """Everything one process runs on; close() releases it."""

    settings: Settings
    clock: Clock
    db: object
    feed: MarketFeed
    exchange: Exchange
    tools: ToolContext
    evidence_db: object | None = None  # LIVE: the PAPER database the learner reads (build_learning)

    async def close(self) -> None:
        """Close network sessions and the database."""
        try:
            await self.exchange.close()
            if self.feed is not self.exchange:
                await self.feed.close()
        finally:
            self.db.close()
            if self.evidence_db is not None:
                self.evidence_db.close()


def build_learning(services: Services, cfg):  # noqa: ANN001, ANN201 - TradingConfig -> AutopilotLearning | None
    """The autopilot's learner (cfg.learning.enabled), or None.

    PAPER learns from its own outcomes (seeded walk-forward test windows included). LIVE learns only from what
    PAPER (and the seeds stored there) showed: it reads the PAPER database read only, where the settings put it
    (PAPER_DATABASE_URL, else PAPER's SQLite file in ZYN_DATA_DIR), and with none there it has no evidence, so
    every arm stays off and LIVE stands aside. LIVE's own outcomes are recorded (for the owner), not learned from.
    """
    if not cfg.learning.enabled:
        return None
    from trading.autopilot.learning import AutopilotLearning
    from trading.learning.learner import Learner

    settings = services.settings
    evidence, name = None, ""
    if settings.mode is Mode.LIVE:
        name = "PAPER"
        evidence = paper_evidence(settings)
        if not isinstance(evidence, _NoEvidence):
            services.evidence_db = evidence
    learner = Learner(services.db, cfg.learning, evidence=evidence, evidence_name=name)  # type: ignore[arg-type]
    return AutopilotLearning(learner, services.exchange, services.clock, source=settings.mode.value,
                             slippage=float(settings.paper_slippage_bps) / 10_000)


def paper_url(settings: Settings) -> str:
    """Where PAPER's database is, for LIVE's learner: PAPER_DATABASE_URL, else PAPER's SQLite file."""
    if settings.paper_database_url is not None:
        return settings.paper_database_url.get_secret_value()
    from memory import default_path

    return f"sqlite:///{default_path(Mode.PAPER, settings.data_dir)}"


def paper_evidence(settings: Settings):  # noqa: ANN201 - a Database, or _NoEvidence
    """PAPER's database (opened, never created) as LIVE's evidence; _NoEvidence when there is none yet.

    A database of the other mode at PAPER_DATABASE_URL is refused (ModeMismatchError): LIVE never learns from
    LIVE. One that cannot be reached leaves LIVE without evidence (it stands aside), said in the log.
    """
    from loguru import logger

    from memory import open_existing
    from trading.errors import ModeMismatchError, ZynError

    log = logger.bind(component="learning")
    try:
        db = open_existing(Mode.PAPER, paper_url(settings))
    except ModeMismatchError:
        raise
    except ZynError as exc:
        log.warning("LIVE's learner has no evidence: PAPER's database cannot be opened ({}); every arm stays off",
                    exc.message)
        return _NoEvidence()
    if db is None:
        hint = " (set PAPER_DATABASE_URL)" if settings.database_url is not None and \
            settings.paper_database_url is None else ""
        log.info("LIVE's learner: no PAPER database yet{}, so no evidence and every arm stays off", hint)
        return _NoEvidence()
    return db


class _NoEvidence:
    """LIVE without a PAPER database: nothing learned, so nothing is switched on."""

    def list_outcomes(self, strategy: str | None = None, limit: int | None = None) -> list:
        return []

    def outcome_returns(self, strategy: str | None = None) -> list:
        return []


def make_feed(settings: Settings, clock: Clock, db: object = None) -> MarketFeed:
    """Kraken public data (falling back to the offline replay), or the replay alone when offline.

    The replay plays the candle store's real 5m candles of a replay market when db holds some (else the bundled
    rescaled ones), and says so in its source.
    """
    from trading.exchange.feeds.replay import ReplayFeed

    def replay() -> MarketFeed:
        return ReplayFeed(clock, stored=stored_replay(db))

    if settings.offline:
        return replay()
    from trading.exchange.feeds.fallback import FallbackFeed
    from trading.exchange.kraken.client import KrakenPublicFeed

    # One quick retry only: when Kraken is unreachable, the replay feed should take over in seconds.
    primary = KrakenPublicFeed(api_url=settings.kraken_api_url, clock=clock, retries=1, retry_wait=0.25,
                               timeout_ms=int(settings.request_timeout * 1000), rate_tier=settings.kraken_tier)
    return FallbackFeed(primary, replay)


def stored_replay(db: object) -> dict:
    """The candle store's series for each replay market it holds (5m), keyed by symbol."""
    from trading.exchange.feeds.replay import replay_symbols

    series = getattr(db, "replay_series", None)
    if series is None:
        return {}
    found = {symbol: series(symbol) for symbol in replay_symbols()}
    return {symbol: s for symbol, s in found.items() if s is not None}


def make_exchange(settings: Settings, clock: Clock, feed: MarketFeed, db: object) -> Exchange:
    """The paper simulator in PAPER; Kraken itself in LIVE (which then is also the feed)."""
    if settings.mode is Mode.PAPER:
        from trading.exchange.paper.exchange import PaperExchange

        return PaperExchange(feed, db, clock, quote_currency=settings.quote_currency,
                             starting_balance=settings.paper_starting_balance,
                             maker_fee=settings.paper_maker_fee, taker_fee=settings.paper_taker_fee,
                             slippage_bps=settings.paper_slippage_bps)
    if not settings.has_kraken_keys:
        raise ConfigError("LIVE mode needs KRAKEN_API_KEY and KRAKEN_API_SECRET (run `zyn config-setup`)")
    from trading.exchange.kraken.journal import JournaledKraken

    # Journaled: brackets and fills are kept in the LIVE database (the reports' source, the reconciler's state).
    return JournaledKraken(settings.kraken_api_key.get_secret_value(), settings.kraken_api_secret.get_secret_value(),
                           api_url=settings.kraken_api_url, clock=clock,
                           timeout_ms=int(settings.request_timeout * 1000), journal=db,
                           rate_tier=settings.kraken_tier)


def build_services(settings: Settings, *, clock: Clock | None = None, feed: MarketFeed | None = None,
                   lazy_db: bool = False) -> Services:
    """Wire one process's services; the database is opened (and its mode checked) first, or with lazy_db on
    first use (a CLI command that may never need it)."""
    from trading.config import load_trading_config

    trading_config = load_trading_config(settings.config_file, settings.trading_env)
    clock = clock or SystemClock()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    if lazy_db:
        from bot.lazy_db import LazyDatabase

        db: object = LazyDatabase(settings.mode, settings.data_dir, url)
    else:
        from memory import open_database

        db = open_database(settings.mode, settings.data_dir, url)
    try:
        if settings.mode is Mode.LIVE:
            exchange = make_exchange(settings, clock, None, db)  # type: ignore[arg-type]
            feed = exchange
        else:
            feed = feed or make_feed(settings, clock, db)
            exchange = make_exchange(settings, clock, feed, db)
    except BaseException:
        db.close()
        raise
    ctx = ToolContext(mode=settings.mode, exchange=exchange, journal=db, clock=clock,
                      quote_currency=settings.quote_currency, credentials_present=settings.has_kraken_keys,
                      log_level=settings.log_level, database=str(getattr(db, "url", "")),
                      log_file=settings.data_dir / "logs" / "zyn.log",
                      probe=lambda: probe(settings, feed, exchange), store=db, trading_config=trading_config,
                      paper_starting_balance=settings.paper_starting_balance, paper_maker_fee=settings.paper_maker_fee,
                      paper_taker_fee=settings.paper_taker_fee, paper_slippage_bps=settings.paper_slippage_bps,
                      alert_channels=_alert_channels(settings),
                      liveness=lambda: _liveness(settings, clock), timezone=settings.timezone)
    return Services(settings=settings, clock=clock, db=db, feed=feed, exchange=exchange, tools=ctx)


def _liveness(settings: Settings, clock: Clock):  # noqa: ANN202 - tools.context.Liveness
    from bot.liveness import liveness

    return liveness(settings.data_dir, settings.mode, clock.now())


def _alert_channels(settings: Settings) -> dict[str, bool]:
    from bot.notify.channels import configured_channels

    return configured_channels(settings)


async def probe(settings: Settings, feed: MarketFeed, exchange: Exchange) -> str:
    """A one-line connectivity verdict for `status`."""
    started = time.perf_counter()
    if settings.mode is Mode.LIVE:
        await exchange.fetch_balances()  # a private call proves the keys work
        return f"ok: Kraken private API answered in {1000 * (time.perf_counter() - started):.0f} ms"
    markets = await feed.load_markets()
    reason = getattr(feed, "fallback_reason", None)
    if settings.offline:
        return "offline by choice (ZYN_OFFLINE=1): using the offline replay feed (see the data source)"
    if reason:
        return f"Kraken unreachable ({reason}): using the offline replay feed"
    symbol = "BTC/USD" if "BTC/USD" in markets else next(iter(markets))
    await feed.fetch_ticker(symbol)
    return f"ok: Kraken public API answered in {1000 * (time.perf_counter() - started):.0f} ms"


def confirm_in_paper(settings: Settings) -> list[str]:
    """ZYN_CONFIRM_IN_PAPER as tool names (unknown ones are logged and ignored)."""
    names = [p.strip() for p in settings.confirm_in_paper.split(",") if p.strip()]
    if not names:
        return []  # the usual case: no need to load the catalogue (and every tool module) to check none
    from loguru import logger

    from tools.catalog import CATALOG

    unknown = [n for n in names if n not in CATALOG]
    if unknown:
        logger.bind(component="app").warning("ZYN_CONFIRM_IN_PAPER names unknown tools, ignored: {}",
                                             ", ".join(unknown))
    return [n for n in names if n in CATALOG]


def build_gate(services: Services) -> Gate:
    """The one gate of this process: every caller's tools run through it."""
    from tools.gate import Confirmations, Gate

    return Gate(services.tools, Confirmations(services.db, services.clock),
                confirm_in_paper=confirm_in_paper(services.settings))


def build_agent(services: Services, gate: Gate) -> Agent:
    """The agent the settings describe; a model that cannot be built leaves the offline engine, logged."""
    from loguru import logger

    from agent.agent import OFFLINE_LABEL, Agent
    from bot.logs import redactor

    settings = services.settings
    model, label = None, OFFLINE_LABEL
    if settings.llm:
        from agent.llm import make_chat_model

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        try:
            # Streamed: a front end that can show text as it is written (the web chat) passes a sink; for the
            # others the pieces are put together before the reply, as without streaming.
            model = make_chat_model(settings.llm, base_url=settings.llm_base_url, api_key=key,
                                    timeout=settings.request_timeout * 3, streaming=True)
            label = f"LLM {settings.llm}"
        except ConfigError as exc:
            label = f"{OFFLINE_LABEL} (ZYN_LLM unusable: {exc.message})"
            logger.bind(component="app").warning("language model not available, using the offline intent "
                                                 "engine: {}", exc.message)
    return Agent(services.tools, services.db, gate=gate, owner_name=settings.owner_name, model=model,
                 model_label=label, token_budget=settings.llm_token_budget, redact=redactor)
