"""What `pomoc check` (and `pomoc run` at start) verifies, and the checks that need no network."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Config, DepartmentConfig, ManagersConfig
from bot.hours import SupportHours
from bot.outbox import route_target
from bot.triage.kb import DEPARTMENTS


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `pomoc check`: what was checked, whether it holds, and the fix in words."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"{mark} {self.name}"
        if self.detail:
            text += f": {self.detail}"
        if not self.ok and self.fix:
            text += f" -> {self.fix}"
        return text


def chat_targets(config: Config) -> dict[str, set[str]]:
    """Platform -> the channels Pomoc posts in: department channels and the managers'."""
    targets: dict[str, set[str]] = {}
    routes: list[DepartmentConfig | ManagersConfig] = [
        *config.departments.values(),
        config.managers,
    ]
    for route in routes:
        target = route_target(route)
        if target is not None:
            platform, channel = target
            targets.setdefault(platform, set()).add(channel)
    return targets


def routing_checks(config: Config) -> list[Check]:
    """Departments route to platforms that are enabled; the names are ones triage produces."""
    checks = []
    enabled = {"slack": config.slack.enabled, "matrix": config.matrix.enabled}
    for name, route in sorted(config.departments.items()):
        known = name in DEPARTMENTS
        checks.append(
            Check(
                f"department {name}",
                known and (route.platform == "none" or enabled[route.platform]),
                f"-> {route.platform} {route.channel or '(no channel)'}",
                f"use one of {', '.join(DEPARTMENTS)}"
                if not known
                else f"set [{route.platform}] enabled = true",
            )
        )
    if not config.departments:
        checks.append(
            Check(
                "departments",
                False,
                "none routes to a chat: no agent ever sees a ticket",
                "add [departments.other] with a Slack channel or Matrix room",
            )
        )
    elif "other" not in config.departments:
        checks.append(
            Check(
                "department other",
                False,
                "missing: tickets of unconfigured departments have nowhere to go",
                "add [departments.other] (the fallback for every department not listed)",
            )
        )
    fallback = config.chat.fallback_department
    if fallback:
        checks.append(
            Check(
                "chat.fallback_department",
                fallback in config.departments,
                fallback,
                "name a configured department, or leave it empty for the managers' channel",
            )
        )
    if config.managers.platform != "none":
        checks.append(
            Check(
                "managers channel",
                bool(config.managers.channel) and enabled[config.managers.platform],
                f"{config.managers.platform} {config.managers.channel or '(none)'}",
                "set [managers] channel and enable its platform",
            )
        )
    return checks


def hours_check(config: Config, *, now: datetime | None = None) -> Check:
    """Support opens at least once within the next two weeks (holidays and closed days counted)."""
    hours = SupportHours(config.support_hours)
    now = now or datetime.now(UTC)
    try:
        opening = hours.next_opening(now)
    except ValueError as error:
        return Check("support hours", False, str(error), "fix [support_hours]")
    soon = opening - now <= timedelta(days=14)
    when = f"next opening {opening.astimezone(hours.zone):%Y-%m-%d %H:%M}"
    return Check("support hours", soon, when, "check working_days and extra_closed_days")
