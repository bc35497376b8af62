"""Logins and sessions over real HTTP: single-use links valid five minutes, HttpOnly SameSite=Strict cookies,
throttled failures, viewers read and only the owner acts, and no web beyond localhost without a login."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from click.testing import CliRunner
from rich.console import Console

from bot.settings import load_settings
from tests.bot.web.harness import SECRET, running
from tools.gate import Role
from trading.errors import ConfigError

LOGIN = {"web_login": True, "web_secret": SECRET}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_login_link_works_once_within_five_minutes_and_leaves_no_token_in_the_url() -> None:
    async with running(**LOGIN) as h:
        assert (await h.http.get("/")).status_code == 401
        r = await h.http.get("/api/dashboard")
        assert r.status_code == 401 and "zyn web-login" in r.json()["error"]
        link = h.link()
        token = link.rsplit("/", 1)[1]
        assert link.startswith("http://127.0.0.1:")
        c = h.client()
        for _ in range(2):  # opening the link (a chat app's preview too) does not spend it
            page = await c.get(f"/login/{token}")
            assert page.status_code == 200 and 'method="post"' in page.text
        r = await c.post("/login", content=f"token={token}", headers=FORM)
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and token.lower() not in cookie
        assert (await c.get("/api/me")).json() == {"role": "owner", "may_act": True, "mode": "paper"}
        stored = h.db.get_web_session("x" * 64, h.clock.now())
        assert stored is None  # only keyed hashes are kept
        again = h.client()
        r = await again.post("/login", content=f"token={token}", headers=FORM)
        assert r.status_code == 401 and "used or expired" in r.text
        late = h.link().rsplit("/", 1)[1]
        h.clock.advance(timedelta(minutes=5, seconds=1))
        r = await again.post("/login", content=f"token={late}", headers=FORM)
        assert r.status_code == 401
        c2, csrf = h.client(), ""
        fresh = h.link().rsplit("/", 1)[1]
        await c2.post("/login", content=f"token={fresh}", headers=FORM)
        page = await c2.get("/")
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        assert (await c2.post("/api/logout", headers={"X-CSRF-Token": csrf})).status_code == 200
        assert (await c2.get("/api/me")).status_code == 401
        for x in (c, again, c2):
            await x.aclose()


async def test_failed_logins_are_throttled_and_logged() -> None:
    async with running(**LOGIN) as h:
        c = h.client()
        for _ in range(5):
            assert (await c.post("/login", content="token=wrong", headers=FORM)).status_code == 401
        good = h.link().rsplit("/", 1)[1]
        r = await c.post("/login", content=f"token={good}", headers=FORM)
        assert r.status_code == 429 and "too many" in r.text
        await c.aclose()


async def test_a_viewer_session_reads_and_only_the_owner_acts() -> None:
    async with running(**LOGIN) as h:
        viewer, csrf = await h.login(Role.VIEWER)
        assert (await viewer.get("/api/me")).json()["may_act"] is False
        assert (await viewer.get("/api/dashboard")).status_code == 200
        page = (await viewer.get("/")).text
        assert '"may_act": false' in page
        for tool in ("autopilot_stop", "kill_switch_reset", "flatten_all", "set_risk"):
            r = await viewer.post(f"/api/actions/{tool}", json={}, headers={"X-CSRF-Token": csrf})
            assert r.status_code in (403, 400), (tool, r.text)
        assert h.db.get_autopilot_state().enabled is True
        owner, ocsrf = await h.login(Role.OWNER)
        r = await owner.post("/api/actions/autopilot_stop", json={}, headers={"X-CSRF-Token": ocsrf})
        assert r.status_code == 200 and h.db.get_autopilot_state().enabled is False
        await viewer.aclose()
        await owner.aclose()


def test_a_web_beyond_localhost_without_a_login_refuses_to_start() -> None:
    from bot.service import Service

    settings = load_settings(offline=True, web_host="0.0.0.0")
    with pytest.raises(ConfigError, match="ZYN_WEB_SECRET"):
        Service(settings, console=Console(file=io.StringIO()))
    with pytest.raises(ConfigError, match="ZYN_WEB_SECRET"):
        Service(load_settings(offline=True, web_login=True, web_secret="short"), console=Console(file=io.StringIO()))
    Service(load_settings(offline=True, web=False, web_host="0.0.0.0"), console=Console(file=io.StringIO()))


async def test_the_web_front_end_itself_refuses_a_public_bind_without_a_secret() -> None:
    from bot.frontend import FrontEndContext
    from bot.web.app import WebFrontEnd

    settings = load_settings(offline=True, web_host="0.0.0.0")
    front = WebFrontEnd()
    with pytest.raises(ConfigError):
        await front.start(FrontEndContext(gate=None, agent=None, clock=None, settings=settings))  # type: ignore[arg-type]
    assert front.retryable(ConfigError("x")) is False and front.server is None


def test_zyn_web_login_prints_a_single_use_link() -> None:
    from bot.cli.main import cli
    from bot.cli.runner import CliState

    out = CliRunner().invoke(cli, ["web-login", "--viewer"], obj=CliState())
    assert out.exit_code == 0, out.output
    assert "http://127.0.0.1:" in out.output and "/login/" in out.output and "viewer" in out.output


async def test_behind_a_proxy_links_name_the_public_address_and_the_cookie_is_secure() -> None:
    async with running(web_public_url="https://zyn.example.com/", **LOGIN) as h:
        link = h.link()
        assert link.startswith("https://zyn.example.com/login/")  # never the bind address nobody can reach
        c = h.client()
        r = await c.post("/login", content=f"token={link.rsplit('/', 1)[1]}", headers=FORM)
        assert r.status_code == 303 and "; secure" in r.headers["set-cookie"].lower()
        await c.aclose()
    async with running(**LOGIN) as h:  # plain http on localhost: a Secure cookie would never be sent back
        c = h.client()
        r = await c.post("/login", content=f"token={h.link().rsplit('/', 1)[1]}", headers=FORM)
        assert r.status_code == 303 and "secure" not in r.headers["set-cookie"].lower()
        await c.aclose()


def test_a_wildcard_bind_names_this_machine_and_a_bad_public_url_is_one_line() -> None:
    import socket

    from bot.web.auth import base_url
    from trading.errors import ConfigError as Bad

    assert base_url(load_settings(offline=True, web_host="0.0.0.0", web_port=5000)) == \
        f"http://{socket.gethostname()}:5000"
    for bad in ("zyn.example.com", "ftp://zyn.example.com", "https://user:pw@zyn.example.com", "https://x/?a=1"):
        with pytest.raises(Bad, match="ZYN_WEB_PUBLIC_URL") as err:
            load_settings(offline=True, web_public_url=bad)
        assert "\n" not in str(err.value) and "pw@" not in str(err.value)
