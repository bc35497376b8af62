"""The running service (`zyn run`, `make run`): autopilot on the scheduler, a live console view, clean stop."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from datetime import datetime, timedelta

from loguru import logger
from rich.console import Console

from bot.app import Services, build_agent, build_gate, build_learning, build_services
from bot.frontend import FrontEnd, FrontEndContext
from bot.liveness import HEARTBEAT_EVERY, Heartbeat, ServiceLock, read_heartbeat
from bot.ratestatus import limiter_of, write_status
from bot.scheduler import (
    AUTOPILOT_JOB,
    FILL_WATCH_JOB,
    make_scheduler,
    schedule_autopilot,
    schedule_fill_watch,
)
from bot.settings import Settings
from bot.watchdog import WATCHDOG_JOB, Probes, Watchdog
from trading.autopilot.engine import Autopilot, TickReport, next_tick_after
from trading.clock import Clock, SystemClock
from trading.config import TradingConfig
from trading.decision.evaluation import Decision
from trading.domain import Mode
from trading.errors import ConfigError
from trading.events import Event, EventBus, EventKind, TickCompleted
from trading.exchange.base import MarketFeed
from trading.risk.limits import DailyLimits, KillSwitch

_log = logger.bind(component="service")
HEARTBEAT_JOB = "heartbeat"
WATCHDOG_EVERY = 60  # seconds: a late tick is found within a minute of being two candles late
CANDLE = timedelta(minutes=5)
PROTECTION_JOB = "protection-sweep"  # LIVE: every holding has its resting stop, or an alert names it
PROTECTION_EVERY = 60
UNRESOLVED_JOB = "unresolved-orders"  # LIVE: orders of unknown outcome, settled by client id every minute
RETRY_EVERY = 60  # seconds between two tries to start a front end whose platform was unreachable


def _parse(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def retry_job(name: str) -> str:
    """The scheduler job that retries starting a front end (deterministic id)."""
    return f"frontend-retry:{name}"


def configured_front_ends(settings: Settings) -> list[FrontEnd]:
    """The front ends these settings turn on: the web unless ZYN_WEB=0 (refused at once when bound beyond
    localhost without a login secret), Telegram and Discord each when its token is set."""
    fronts: list[FrontEnd] = []
    if settings.web:
        from bot.web.app import WebFrontEnd
        from bot.web.auth import check_bind

        check_bind(settings)
        fronts.append(WebFrontEnd())
    if settings.telegram_token is not None:
        from bot.telegram.app import TelegramFrontEnd

        fronts.append(TelegramFrontEnd())
    if settings.discord_token is not None:
        from bot.discord.client import DiscordFrontEnd

        fronts.append(DiscordFrontEnd())
    return fronts


@dataclass
class Runtime:
    """The service's parts, for the front ends that later join the same loop."""

    services: Services
    cfg: TradingConfig
    bus: EventBus
    autopilot: Autopilot


def build_runtime(settings: Settings, *, clock: Clock | None = None, feed: MarketFeed | None = None) -> Runtime:
    """Services plus the trading config, the event bus and the autopilot."""
    clock = clock or SystemClock()
    services = build_services(settings, clock=clock, feed=feed)
    cfg = services.tools.trading_config
    bus = EventBus()
    db = services.db
    autopilot = Autopilot(services.exchange, db, DailyLimits(db, cfg.risk, clock), KillSwitch(db, cfg.risk, clock),
                          clock, cfg, bus, quote=settings.quote_currency, learning=build_learning(services, cfg))
    return Runtime(services=services, cfg=cfg, bus=bus, autopilot=autopilot)


def _universe_words(cfg: TradingConfig) -> str:
    """The banner's universe: the configured pairs, or how many are chosen and how."""
    if cfg.universe_size is None:
        return ", ".join(cfg.universe)
    return f"the {cfg.universe_size} most liquid pairs by 24h volume, chosen each UTC day (zyn auto-status)"


class ConsoleView:
    """Prints ticks, decisions, fills and alerts as they happen."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    def on_event(self, event: Event) -> None:
        """Print one event (ticks are printed by show_tick with their decisions)."""
        if isinstance(event, TickCompleted):
            return
        style = {EventKind.KILL_SWITCH_TRIPPED: "bold red", EventKind.AUTOPILOT_ERROR: "red",
                 EventKind.ORDER_FILLED: "green", EventKind.BRACKET_EXIT: "yellow"}.get(event.kind, "cyan")
        self.console.print(f"[dim]{event.at:%H:%M:%S}[/] [{style}]{event.text}[/]")

    def show_tick(self, report: TickReport) -> None:
        """One line per symbol evaluated."""
        when = f"{report.candle_time:%H:%M}" if report.candle_time else "-"
        self.console.print(f"[dim]{report.at:%H:%M:%S}[/] [bold]tick[/] candle {when} UTC: "
                           f"{len(report.evaluations)} evaluated, {report.count(Decision.ENTER)} entries, "
                           f"{report.count(Decision.EXIT)} exits")
        for ev in report.evaluations:
            why = ev.skip_reason.value if ev.skip_reason else ev.decision.value
            detail = ev.reasons[-1] if ev.reasons else ""
            self.console.print(f"    {ev.symbol:<9} {ev.decision.value:<5} {why:<20} "
                               f"[dim]{ev.regime or '-'} / {ev.strategy or '-'}: {detail}[/]")


class Service:
    """The service's lifecycle: start() wires, schedules and starts the front ends, stop() shuts down cleanly."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, feed: MarketFeed | None = None,
                 console: Console | None = None, front_ends: list[FrontEnd] | None = None) -> None:
        if settings.mode is Mode.LIVE and not settings.live_ack:
            raise ConfigError("LIVE mode trades real money: set ZYN_LIVE_ACK=1 to acknowledge, then start again")
        self.settings = settings
        # Checked before anything opens: a web bound beyond localhost without a login refuses to start.
        self.front_ends = configured_front_ends(settings) if front_ends is None else list(front_ends)
        self.rt = build_runtime(settings, clock=clock, feed=feed)
        self.view = ConsoleView(console)
        self.rt.bus.subscribe(self.view.on_event)
        self.scheduler = make_scheduler()
        services = self.rt.services
        try:
            from bot.notify.fanout import Notifier
            from bot.reports import DailyReporter

            # One gate and one agent for every chat front end; alerts fan out from the autopilot's events.
            self.gate = build_gate(services)
            self.agent = build_agent(services, self.gate)
            self.notifier = Notifier.from_settings(settings, store=services.db, clock=services.clock)
            self.notifier.attach(self.rt.bus)
            self.reporter = DailyReporter(services.tools, self.notifier, services.clock, settings)
        except BaseException:
            self.rt.services.db.close()
            raise
        self.running: dict[str, FrontEnd] = {}
        self.lock: ServiceLock | None = None
        self.unresolved = None  # LIVE: the reconciler of orders whose outcome is unknown
        self.replies = None  # LIVE: their resolutions told to the askers' chats (bot/replies.py)
        self.startup = None  # LIVE: the start-up check's report
        self.heartbeat = Heartbeat(settings.data_dir, settings.mode, services.clock)

    @property
    def telegram(self) -> FrontEnd | None:
        """The running Telegram front end, if any."""
        return self.running.get("telegram")

    @property
    def discord(self) -> FrontEnd | None:
        """The running Discord front end, if any."""
        return self.running.get("discord")

    def front_context(self) -> FrontEndContext:
        """What every front end is started with."""
        exchange = self.rt.services.exchange
        return FrontEndContext(gate=self.gate, agent=self.agent, clock=self.rt.services.clock,
                               settings=self.settings, owner_name=self.settings.owner_name, bus=self.rt.bus,
                               store=self.rt.services.db, data_source=lambda: str(exchange.source),
                               web_login=self._web_login if self.settings.web else None)

    def _web_login(self) -> str:
        """A single-use login link into this service's web dashboard (for /weblogin in a private chat)."""
        from bot.web.auth import login_message

        return login_message(self.settings, self.rt.services.db, self.rt.services.clock)

    async def tick(self) -> TickReport:
        """One autopilot tick, shown on the console (the scheduled job)."""
        report = await self.rt.autopilot.tick()
        self.view.show_tick(report)
        self.beat()
        return report

    def beat(self, *, stopped: bool = False) -> None:
        """Write the heartbeat every status reads (running, stale or stopped)."""
        try:
            now = self.rt.services.clock.now()
            state = self.rt.services.db.get_autopilot_state()
            self.heartbeat.beat(last_tick_at=state.last_tick_at, stopped=stopped,
                                next_tick_at=None if stopped else next_tick_after(now, self.rt.cfg.tick_delay_seconds))
            services = self.rt.services  # Kraken's counters as this service counts them, for `zyn doctor`
            write_status(self.settings.data_dir, self.settings.mode, limiter_of(services.exchange, services.feed), now)
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat shows as stale; it must not stop trading
            _log.warning("heartbeat not written: {}", exc)

    async def start(self) -> None:
        """Enable PAPER trading on first start, schedule the autopilot, start the front ends, print the banner."""
        # One service per data folder and mode, first: a second one would trade the same account twice.
        self.lock = ServiceLock.acquire(self.settings.data_dir, self.settings.mode)
        db = self.rt.services.db
        if self.settings.mode is Mode.PAPER and db.get_autopilot_state().updated_at is None:
            db.set_autopilot_enabled(True, by="first start (PAPER)")  # PAPER trades; LIVE needs auto-start
        await self._connect_feed()
        schedule_autopilot(self.scheduler, self.tick, self.rt.cfg.tick_delay_seconds)
        # The watcher's first look takes what is there as already announced: take it now, before any chat can
        # place an order, or a fill in the first ~20 s (before the first run) would never be announced.
        await self.rt.autopilot.recover()  # what a crash left mid-tick (entries, exits, decisions), before any tick
        await self.rt.autopilot.watch_fills()  # also works off the kill switch's pending steps
        schedule_fill_watch(self.scheduler, self.rt.autopilot.watch_fills)
        if self.settings.mode is Mode.LIVE:  # every holding Zyn opened has its stop, or an alert names it
            self.scheduler.add_job(self.rt.autopilot.protection_sweep, "interval", seconds=PROTECTION_EVERY,
                                   id=PROTECTION_JOB, replace_existing=True, max_instances=1, coalesce=True)
            from bot.reconciler import JournalReconcile

            # The journal made complete first (what Kraken booked while Zyn was down or the sync missed), then
            # the start-up report reads it: open orders, fills while down, holdings without a resting stop.
            self.reconciler = JournalReconcile(self.rt.services.tools, self.notifier, self.rt.services.clock)
            await self.reconciler.run()
            self.reconciler.attach(self.scheduler)
            await self._live_start()
        self.beat()
        self.scheduler.add_job(self.beat, "interval", seconds=HEARTBEAT_EVERY, id=HEARTBEAT_JOB,
                               replace_existing=True, max_instances=1, coalesce=True)
        self.watchdog = self._watchdog()
        self.scheduler.add_job(self.watchdog.check, "interval", seconds=WATCHDOG_EVERY, id=WATCHDOG_JOB,
                               replace_existing=True, max_instances=1, coalesce=True)
        for front in self.front_ends:
            await self._start_front(front)
        # A front end that carries alerts (Telegram) gets the daily report even while it is still connecting.
        if self.notifier.channels or any(getattr(f, "carries_alerts", True) for f in self.front_ends):
            self.reporter.attach(self.scheduler)  # the daily report (and a catch-up if today's was missed)
        else:
            _log.info("no alert channel configured: alerts and the daily report go nowhere (see .env.example)")
        self.scheduler.start()
        now = self.rt.services.clock.now()
        enabled = db.get_autopilot_state().enabled
        self.view.console.print(
            f"[bold]Zyn[/] running in [bold]{self.settings.mode.value.upper()}[/] · data: "
            f"{self.rt.services.exchange.source} · universe {_universe_words(self.rt.cfg)} · autopilot "
            f"{'ON' if enabled else 'OFF (zyn auto-start)'} · next tick "
            f"{next_tick_after(now, self.rt.cfg.tick_delay_seconds):%H:%M:%S} UTC · Ctrl-C stops")
        channels = ", ".join(c.name for c in self.notifier.channels) or "none"
        fronts = " · ".join(f"{f.name.title()} {self._front_state(f)}" for f in self.front_ends) or "no chat app (set ZYN_TELEGRAM_TOKEN or ZYN_DISCORD_TOKEN)"
        self.view.console.print(f"chat: {self.agent.label} · {fronts} · alerts: {channels} · "
                                f"daily report {self.settings.report_time} UTC")
        _log.info("service started in {} mode", self.settings.mode.value)

    async def _live_start(self) -> None:
        """LIVE: settle the orders of unknown outcome (now and every minute), then report what is on the account."""
        from bot.replies import ResolutionReplies
        from trading.autopilot.startup import startup_report
        from trading.exchange.kraken.unresolved import RECONCILE_EVERY, UnresolvedOrders

        services = self.rt.services
        # Each resolution goes to the owner's alerts (the notifier) and to the asker's chat: at once when its front
        # end runs, else once it has started (the front ends start after this) or at the next minute.
        self.replies = ResolutionReplies(services.db, lambda: self.running, services.clock)
        self.rt.bus.subscribe(self.replies.on_event)
        self.unresolved = UnresolvedOrders(services.exchange, services.db, services.clock, self.rt.bus.publish)
        await self.unresolved.reconcile()
        self.scheduler.add_job(self._settle_unresolved, "interval", seconds=RECONCILE_EVERY, id=UNRESOLVED_JOB,
                               replace_existing=True, max_instances=1, coalesce=True)
        await self.rt.autopilot.protection_sweep()  # now, not in a minute: a naked holding gets its stop or an alert
        last = read_heartbeat(self.heartbeat.path)  # the previous run's last beat: Zyn was down since then
        down_since = _parse(last.get("stopped_at") or last.get("beat_at"))
        try:
            pending = len(services.db.unresolved_orders())
            report = await startup_report(services.exchange, services.db, services.clock,
                                          quote=self.settings.quote_currency, down_since=down_since,
                                          unresolved=pending)
        except Exception as exc:  # noqa: BLE001 - the service starts anyway; the sweep keeps watching
            _log.warning("start-up check failed: {}", exc)
            return
        if report is not None:
            self.startup = report
            await self.rt.bus.publish(report)

    async def _settle_unresolved(self) -> None:
        """The minute job: settle the orders of unknown outcome, then tell the askers still waiting."""
        if self.unresolved is not None:
            await self.unresolved.reconcile()
        if self.replies is not None:
            await self.replies.deliver()

    def _front_state(self, front: FrontEnd) -> str:
        if front.name in self.running:
            url = getattr(front, "url", "")
            return f"ON {url}" if url else "ON"
        return "retrying" if self.scheduler.get_job(retry_job(front.name)) is not None else "off (see the log)"

    def _watchdog(self) -> Watchdog:
        """The watchdog on this service's clock, database, feed, scheduler and notifier."""
        services, cfg = self.rt.services, self.rt.cfg

        def autopilot() -> tuple[bool, datetime | None]:
            state = services.db.get_autopilot_state()
            return state.enabled, state.last_tick_at

        async def newest_candle() -> datetime | None:
            now = services.clock.now()
            candles = await services.feed.fetch_ohlcv(cfg.universe[0], "5m", limit=3)
            closed = [c.timestamp for c in candles if c.closed and c.timestamp + CANDLE <= now]
            return max(closed, default=None)

        def heartbeat_job() -> None:
            self.scheduler.add_job(self.beat, "interval", seconds=HEARTBEAT_EVERY, id=HEARTBEAT_JOB,
                                   replace_existing=True, max_instances=1, coalesce=True)

        return Watchdog(Probes(
            now=services.clock.now, autopilot=autopilot, newest_candle=newest_candle,
            jobs=lambda: {job.id for job in self.scheduler.get_jobs()},
            expected_jobs={
                AUTOPILOT_JOB: lambda: schedule_autopilot(self.scheduler, self.tick, cfg.tick_delay_seconds),
                FILL_WATCH_JOB: lambda: schedule_fill_watch(self.scheduler, self.rt.autopilot.watch_fills),
                HEARTBEAT_JOB: heartbeat_job},
            reconnect_feed=self._connect_feed, run_tick=self.tick, notify=self.notifier.submit,
            mode=self.settings.mode.value))

    async def _connect_feed(self) -> None:
        """Reach the market data once now, so the banner names the real source (Kraken, or the replay)."""
        try:
            await self.rt.services.feed.load_markets()
        except Exception as exc:  # noqa: BLE001 - the ticks retry; the banner says what happened
            _log.warning("market data not reachable at start: {}", exc)

    async def _start_front(self, front: FrontEnd, *, retrying: bool = False) -> None:
        """Start one front end; a failure is reported and trading goes on. A network failure (no internet at
        boot, the platform down) is retried every minute until it starts; refused credentials are not."""
        if front.name in self.running:
            return
        label = front.name.title()
        try:
            await front.start(self.front_context())
        except Exception as exc:  # noqa: BLE001 - the autopilot and the other chats keep running
            again = front.retryable(exc)
            why = str(getattr(exc, "message", None) or exc)  # PTB errors: .message (str() warns on RetryAfter)
            _log.error("{} did not start: {}: {}{}", label, type(exc).__name__, why[:200],
                       "; retrying every minute" if again else "")
            if not retrying:
                self.view.console.print(f"[red]{label} did not start ({type(exc).__name__})"
                                        f"{'; retrying every minute' if again else ''}; see the log[/]")
            job = retry_job(front.name)
            if again and self.scheduler.get_job(job) is None:
                self.scheduler.add_job(self._start_front, "interval", seconds=RETRY_EVERY, id=job, args=[front],
                                       kwargs={"retrying": True}, replace_existing=True, max_instances=1,
                                       coalesce=True)
            return
        self.running[front.name] = front
        channel = front.alert_channel()
        if channel is not None:
            try:
                self.notifier.add_channel(channel)
            except ValueError as exc:  # a channel of that name is there already
                _log.warning("{} alerts not added to the notifier: {}", label, exc)
        if self.scheduler.get_job(retry_job(front.name)) is not None:
            self.scheduler.remove_job(retry_job(front.name))
        if self.replies is not None:  # resolutions settled before this chat app was up (at start-up)
            await self.replies.deliver()
        if retrying:
            _log.info("{} started after a retry", label)
            self.view.console.print(f"{label} is connected now.")

    async def stop(self) -> None:
        """Stop the front ends and the scheduler (a running tick finishes its current await), close everything."""
        for name, front in list(self.running.items()):
            try:
                await front.stop()
            except Exception as exc:  # noqa: BLE001 - stopping must go on
                _log.warning("{} did not stop cleanly: {}", name.title(), exc)
        self.running.clear()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.notifier.close(timeout=10)
        await self.agent.close()
        if self.lock is not None:
            self.beat(stopped=True)
        await self.rt.services.close()
        if self.lock is not None:
            self.lock.release()
            self.lock = None
        self.view.console.print("Zyn stopped cleanly.")
        _log.info("service stopped")


async def run_service(settings: Settings, *, stop: asyncio.Event | None = None, clock: Clock | None = None,
                      feed: MarketFeed | None = None, console: Console | None = None) -> None:
    """Start everything on this loop and run until stop is set (Ctrl-C or SIGTERM sets it)."""
    service = Service(settings, clock=clock, feed=feed, console=console)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    try:
        await service.start()
        await stop.wait()
    finally:
        await service.stop()
