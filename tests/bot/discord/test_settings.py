"""Discord settings: ids, roles, channels and URLs read strictly, with one clear line naming the variable."""

from __future__ import annotations

import pytest

from bot.settings import load_settings
from trading.errors import ConfigError


def test_discord_settings_are_read() -> None:
    s = load_settings(discord_token="x" * 20, discord_guild_ids="2, 1", discord_owner_id="7",
                      discord_allowed_ids="8,9", discord_trader_roles="Traders, 123", discord_viewer_roles="",
                      discord_alert_channels="5", discord_report_channels="6", discord_chat_channels="4",
                      discord_disabled_commands="flatten, backtest")
    assert s.discord_guilds == (1, 2) and s.discord_owner_id == 7 and s.discord_allowed == {8, 9}
    assert s.roles_of(s.discord_trader_roles) == {"traders", "123"} and s.roles_of(s.discord_viewer_roles) == set()
    assert (s.discord_alert_channel_ids, s.discord_report_channel_ids, s.discord_chat_channel_ids) == ((5,), (6,), (4,))
    assert s.discord_disabled == {"flatten", "backtest"} and "x" * 20 in s.secret_values()


@pytest.mark.parametrize(("field", "value", "says"), [
    ("discord_guild_ids", "abc", "ZYN_DISCORD_GUILD_IDS: must be comma-separated numeric ids"),
    ("discord_alert_channels", "-5", "ZYN_DISCORD_ALERT_CHANNELS: must be comma-separated numeric ids"),
    ("discord_api_url", "ftp://x", "ZYN_DISCORD_API_URL: must be a URL like https://discord.com/api/v10"),
    ("discord_gateway_url", "http://x", "ZYN_DISCORD_GATEWAY_URL: must be a URL like wss://gateway.discord.gg"),
    ("discord_disabled_commands", "Buy!", "ZYN_DISCORD_DISABLED_COMMANDS: must be comma-separated command names"),
])
def test_bad_discord_settings_name_the_variable(field: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings(**{field: value})


def test_a_token_in_a_bad_setting_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(discord_token=123)
    assert "123" not in str(err.value)
