"""The LINE layer's own jobs, registered under the core's name."""

from __future__ import annotations

from datetime import timedelta

from enishi.line.media import fetch_content, sweep_wanted_content
from enishi.line.processing import process_events, sweep_events
from enishi.line.profiles import fetch_profile, fetch_profiles, sweep_profiles
from enishi.registry import Registered, Registry
from enishi.types import JobType, Schedule
from enishi.version import CORE_API_VERSION


def register_intake_jobs(registry: Registry) -> None:
    for kind, item in (
        ("jobs", JobType(name="process_line_events", fn=process_events)),
        ("jobs", Schedule(name="sweep_line_events", fn=sweep_events, every=timedelta(seconds=10))),
        ("jobs", JobType(name="fetch_profile", fn=fetch_profile)),
        ("jobs", JobType(name="fetch_profiles", fn=fetch_profiles)),
        ("jobs", JobType(name="fetch_message_content", fn=fetch_content)),
        ("jobs", Schedule(name="sweep_message_content", fn=sweep_wanted_content, every=timedelta(minutes=1))),
        ("jobs", Schedule(name="sweep_profiles", fn=sweep_profiles, every=timedelta(minutes=5))),
    ):
        registry.add(
            kind, Registered(key=f"core.{item.name}", plugin="core", plugin_version=CORE_API_VERSION, item=item)
        )
