"""EmailChannel: each alert as a plain-text email over SMTP (smtplib in a worker thread), PNG attached."""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime

from bot.notify.base import Alert, AlertKind, NotifyError, RetryableNotifyError

SUBJECT_PREFIX = "[Zyn] "


def email_message(alert: Alert, sender: str, recipients: Sequence[str], *, silent: bool) -> EmailMessage:
    """The message: subject from the title, the text as a plain body, the photo as a PNG attachment."""
    msg = EmailMessage()
    title = " ".join(alert.title.split())[:200]  # one line: a newline in a header would be refused
    msg["Subject"] = SUBJECT_PREFIX + (title or alert.kind.value)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(alert.at)
    domain = sender.rpartition("@")[2] or "zyn.local"
    # The same alert gets the same Message-ID on every attempt: if a timed-out send did arrive, mail clients
    # and servers drop the retry's copy as a duplicate.
    digest = hashlib.sha256(f"{alert.kind}|{alert.key}|{alert.at.isoformat()}|{alert.title}|{alert.text}"
                            .encode()).hexdigest()[:24]
    msg["Message-ID"] = f"<zyn-{digest}@{domain}>"
    if silent:
        msg["X-Priority"], msg["Importance"] = "5", "low"
    elif alert.kind is AlertKind.KILL_SWITCH:
        msg["X-Priority"], msg["Importance"] = "1", "high"
    msg.set_content(f"{alert.title}\n\n{alert.text}\n")
    if alert.photo:
        msg.add_attachment(alert.photo, maintype="image", subtype="png", filename=alert.photo_name or "chart.png")
    return msg


class EmailChannel:
    """SMTP with STARTTLS when asked (port 465: TLS from the start), login when a user and password are set."""

    name = "email"

    def __init__(self, host: str, port: int, sender: str, recipients: Sequence[str], *, user: str | None = None,
                 password: str | None = None, starttls: bool = True, timeout: float = 20.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.recipients = tuple(dict.fromkeys(r.strip() for r in recipients if r.strip()))
        if not self.recipients:
            raise ValueError("an email channel needs at least one recipient")
        self.host, self.port, self.sender = host, port, sender
        self.user, self._password = user, password  # the password is a secret: never logged
        self.starttls, self.timeout = starttls, timeout
        self._ssl = ssl_context

    async def send(self, alert: Alert, *, silent: bool) -> None:
        """Deliver one alert (raise NotifyError or RetryableNotifyError on failure)."""
        msg = email_message(alert, self.sender, self.recipients, silent=silent)
        await asyncio.to_thread(self._deliver, msg)

    def _deliver(self, msg: EmailMessage) -> None:
        try:
            self._smtp_send(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise NotifyError(f"email: login refused ({exc.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{to} {code}" for to, (code, _) in exc.recipients.items())
            retry = all(400 <= code < 500 for code, _ in exc.recipients.values())
            raise (RetryableNotifyError if retry else NotifyError)(f"email: recipients refused ({codes})") from None
        except smtplib.SMTPNotSupportedError:
            raise NotifyError("email: the server does not offer STARTTLS or AUTH (check ZYN_SMTP_STARTTLS)") from None
        except smtplib.SMTPResponseException as exc:
            text = f"email: SMTP {exc.smtp_code} {_first_line(exc.smtp_error)}".rstrip()
            raise (RetryableNotifyError if 400 <= exc.smtp_code < 500 else NotifyError)(text) from None
        except smtplib.SMTPServerDisconnected:
            raise RetryableNotifyError("email: the server closed the connection") from None
        except smtplib.SMTPException as exc:
            raise NotifyError(f"email: {type(exc).__name__}") from None
        except ssl.SSLError as exc:
            raise NotifyError(f"email: TLS failed ({exc.reason or type(exc).__name__})") from None
        except (TimeoutError, OSError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise RetryableNotifyError(f"email: cannot reach the SMTP server ({reason})") from None

    def _smtp_send(self, msg: EmailMessage) -> None:
        context = self._ssl or ssl.create_default_context()
        if self.port == 465:  # implicit TLS ("SMTPS"): STARTTLS does not apply
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if self.starttls and self.port != 465:
                client.starttls(context=context)
                client.ehlo()
            if self.user and self._password:
                client.login(self.user, self._password)
            client.send_message(msg, from_addr=self.sender, to_addrs=list(self.recipients))

    async def close(self) -> None:
        """Nothing to release: every alert uses its own short SMTP connection."""

    def __repr__(self) -> str:
        return f"EmailChannel({self.host}:{self.port}, to={len(self.recipients)}, password=***)"


def _first_line(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text.splitlines()[0][:150] if text else ""
