"""``enishi emulator``: the LINE emulator on its own port (attach with ``main.add_command(emulator_command)``)."""

from __future__ import annotations

import click

from enishi_line_emulator.state import LINE_RATE_LIMITS, Emulator


def _channel(value: str) -> tuple[str, str, str]:
    parts = value.split(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise click.BadParameter(f"{value!r} is not ID:SECRET:TOKEN", param_hint="--channel")
    channel_id, secret, token = (p.strip() for p in parts)
    return channel_id, secret, token


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8100, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="ID:SECRET:TOKEN",
    help="a channel to register (channel id, channel secret, access token); repeat for more",
)
@click.option(
    "--login-channel",
    "login_channels",
    multiple=True,
    metavar="ID:SECRET[:CHANNEL_ID]",
    help="a LINE Login channel linked to a --channel (the first one unless CHANNEL_ID says); repeat for more",
)
@click.option("--webhook", metavar="URL", help="webhook URL of the channels given with --channel")
@click.option("--prefix", default="", show_default=True, help="path prefix, e.g. /emulator (default: the root)")
@click.option(
    "--users", default=0, show_default=True, type=click.IntRange(0, 1000), help="friends to create per channel"
)
@click.option("--quota", type=click.IntRange(0), help="monthly message limit of each channel (default: none)")
@click.option("--line-rate-limits", is_flag=True, help="enforce LINE's published rate limits (off by default)")
@click.option("--reply-token-ttl", default=60.0, show_default=True, type=click.FloatRange(min=0.1), help="seconds")
@click.option("--webhook-timeout", default=2.0, show_default=True, type=click.FloatRange(min=0.1), help="seconds")
@click.option("--seed", type=int, help="seed for fault injection, for repeatable runs")
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def emulator_command(
    host: str,
    port: int,
    channels: tuple[str, ...],
    login_channels: tuple[str, ...],
    webhook: str | None,
    prefix: str,
    users: int,
    quota: int | None,
    line_rate_limits: bool,
    reply_token_ttl: float,
    webhook_timeout: float,
    seed: int | None,
    log_level: str,
) -> None:
    """Run the LINE emulator: Messaging API, signed webhooks and the simulator page (never for production).

    Point the SDK (or ENISHI_LINE_API_URL) at http://HOST:PORT[PREFIX].
    """
    import uvicorn

    from enishi_line_emulator.app import create_emulator_app

    if webhook and not webhook.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http(s) URL", param_hint="--webhook")
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    emulator = Emulator(
        reply_token_ttl=reply_token_ttl,
        webhook_timeout=webhook_timeout,
        rate_limits=LINE_RATE_LIMITS if line_rate_limits else None,
        seed=seed,
    )
    if host not in ("127.0.0.1", "::1", "localhost"):
        # Its control API has no sign-in: whoever reaches the port can act as any user and read the webhook log.
        click.echo(
            f"警告: {host} で待ち受けます。操作用 API にログインはありません / warning: listening on {host}; "
            "the control API has no sign-in, keep the port away from the internet",
            err=True,
        )
    base = f"http://{host}:{port}{prefix}"
    click.echo(f"LINE emulator: {base}  (SDK host / ENISHI_LINE_API_URL)")
    click.echo(f"simulator:     {base}/simulator")
    for value in channels:
        channel_id, secret, token = _channel(value)
        channel = emulator.add_channel(channel_id, secret, token, webhook)
        if quota is not None:
            emulator.set_quota(channel_id, quota)
        for _ in range(users):
            emulator.add_user(channel_id, following=True)
        click.echo(f"channel {channel_id}: webhook {channel.webhook_url or '(none)'}, bot user {channel.bot_user_id}")
    for value in login_channels:
        parts = [p.strip() for p in value.split(":")]
        if len(parts) not in (2, 3) or not all(parts) or not (channels or len(parts) == 3):
            raise click.BadParameter(f"{value!r} is not ID:SECRET[:CHANNEL_ID]", param_hint="--login-channel")
        linked = parts[2] if len(parts) == 3 else _channel(channels[0])[0]
        if linked not in emulator.channels:
            raise click.BadParameter(f"no --channel {linked} to link to", param_hint="--login-channel")
        emulator.login.add_channel(parts[0], parts[1], linked)
        click.echo(f"LINE Login channel {parts[0]}: users of channel {linked}, {base}/oauth2/v2.1/authorize")
    app = create_emulator_app(emulator, path=prefix or "/")
    uvicorn.run(app, host=host, port=port, log_level=log_level)
