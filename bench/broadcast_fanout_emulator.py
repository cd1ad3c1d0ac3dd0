"""The LINE emulator as its own process for bench/broadcast_fanout.py, with its friends already added.

    python bench/broadcast_fanout_emulator.py --port 8123 --channel ID:SECRET:TOKEN:USERS [--channel …]

Each channel gets USERS simulated users who follow it, with the user ids ``U`` + the 32-digit hex of 1…USERS (the
benchmark seeds its friends with the same ids). The Messaging API is served under ``/emulator`` with no rate
limits; ``GET /bench/seq`` returns a marker and ``GET /bench/copies?channel=ID&after=MARK`` how many users got how
many messages since the marker (``{"0": users, "1": users, …}``), which is how a run is checked exactly-once;
``GET /bench/forget`` drops what was delivered (and the retry keys), so every run starts from the same state.
Prints ``serving`` once its users are added (the server answers a moment later).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from enishi_line_emulator import Emulator, create_emulator_app


def user_id(n: int) -> str:
    return f"U{n:032x}"


def build(channels: list[str]) -> tuple[Emulator, Any]:
    emulator = Emulator(seed=1)
    for spec in channels:
        channel_id, secret, token, users = spec.split(":")
        emulator.add_channel(channel_id, secret, token, None)
        with emulator.lock:
            channel = emulator.channel(channel_id)
            template = emulator.add_user(channel_id, "ユーザー", user_id=user_id(1), following=True)
            for n in range(2, int(users) + 1):
                # add_user does this one at a time, and a million of them would take a while
                user = type(template)(user_id(n), f"ユーザー{n}", state="following", followed_at=template.followed_at)
                channel.users[user.user_id] = user
    return emulator, create_emulator_app(emulator, path="/emulator")


def bench_routes(emulator: Emulator, app: Any) -> Any:
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/bench/"):
            await app(scope, receive, send)
            return
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        if scope["path"] == "/bench/seq":
            body: Any = {"seq": emulator.next_seq()}
        elif scope["path"] == "/bench/tokens":  # reply tokens the emulator will accept, as LINE issues them
            channel = emulator.channel(query["channel"])
            users = [channel.users[user_id(n)] for n in range(1, int(query["users"]) + 1)]
            body = {
                "tokens": [[emulator.issue_reply_token(channel, u) for u in users] for _ in range(int(query["each"]))]
            }
        elif scope["path"] == "/bench/forget":  # after a run was checked: the next one starts from the same state
            with emulator.lock:
                for channel in emulator.channels.values():
                    for user in channel.users.values():
                        user.log.clear()
                    channel.retry_keys.clear()
            gc.collect()
            body = {"forgotten": True}
        else:
            after = int(query.get("after", "0"))
            with emulator.lock:
                users = emulator.channel(query["channel"]).users.values()
                counts = Counter(sum(1 for e in u.log if e.direction == "bot" and e.seq > after) for u in users)
            body = {"copies": {str(k): v for k, v in sorted(counts.items())}}
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})

    return asgi


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--channel", action="append", required=True, help="ID:SECRET:TOKEN:USERS")
    args = parser.parse_args()
    started = time.perf_counter()
    emulator, app = build(args.channel)
    # A million users live as long as the process: the garbage collector need not walk them again and again.
    gc.collect()
    gc.freeze()
    print(f"emulator: users added in {time.perf_counter() - started:.1f}s", flush=True)
    config = uvicorn.Config(bench_routes(emulator, app), host="127.0.0.1", port=args.port, log_level="warning")
    print("serving", flush=True)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
