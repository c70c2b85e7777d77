"""The agents' command grammar, parsed once: a `!line`, a button or a slash command -> a command."""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.vocabulary import Priority, TicketId


@dataclass(frozen=True, slots=True)
class Claim:
    pass


@dataclass(frozen=True, slots=True)
class Resolve:
    pass


@dataclass(frozen=True, slots=True)
class Reopen:
    pass


@dataclass(frozen=True, slots=True)
class SetPriority:
    priority: Priority


@dataclass(frozen=True, slots=True)
class Assign:
    assignee: str


@dataclass(frozen=True, slots=True)
class SendArticle:
    article_id: str


@dataclass(frozen=True, slots=True)
class Move:
    """To another department, named as the config names it (matched ignoring case)."""

    department: str


@dataclass(frozen=True, slots=True)
class Stats:
    pass


@dataclass(frozen=True, slots=True)
class Help:
    """The command list; `asked` is false when it answers a command nobody knows."""

    asked: bool = True


@dataclass(frozen=True, slots=True)
class Malformed:
    """A known command with arguments it cannot take; the answer shows its usage."""

    name: str


Command = (
    Claim | Resolve | Reopen | SetPriority | Assign | SendArticle | Move | Stats | Help | Malformed
)
# Commands that act on one ticket (the others answer without one).
TicketCommand = Claim | Resolve | Reopen | SetPriority | Assign | SendArticle | Move

# Slack buttons on a ticket's root message, by action id; the ticket id is the button's value.
BUTTONS: dict[str, Command] = {
    "pomoc_claim": Claim(),
    "pomoc_resolve": Resolve(),
    "pomoc_critical": SetPriority(Priority.CRITICAL),
    "pomoc_reopen": Reopen(),  # offered instead of the others once the ticket is resolved
}


def parse(words: Sequence[str]) -> Command:
    """`["priority", "critical"]` -> SetPriority(CRITICAL); nothing -> Help."""
    if not words:
        return Help()
    name, args = words[0].lower(), list(words[1:])
    match name:
        case "claim":
            return Claim()
        case "resolve":
            return Resolve()
        case "reopen":
            return Reopen()
        case "stats":
            return Stats()
        case "help":
            return Help()
        case "priority":
            if args and args[0].lower() in tuple(Priority):
                return SetPriority(Priority(args[0].lower()))
            return Malformed(name)
        case "assign":
            return Assign(" ".join(args)) if args else Malformed(name)
        case "article":
            return SendArticle(args[0]) if args else Malformed(name)
        case "move":
            return Move(args[0]) if len(args) == 1 else Malformed(name)
    return Help(asked=False)


def is_command_line(text: str, prefix: str) -> bool:
    """`!claim`-like: the prefix, then a letter (so "!!!" or "! ok" stay plain text)."""
    stripped = text.strip()
    return stripped.startswith(prefix) and stripped[len(prefix) :][:1].isalpha()


def parse_line(text: str, prefix: str) -> Command | None:
    """A thread or room line; None when it is not a command."""
    if not is_command_line(text, prefix):
        return None
    return parse(text.strip()[len(prefix) :].split())


def parse_slash(text: str) -> tuple[Command, TicketId | None]:
    """`/pomoc claim 42`, `/pomoc move #42 payments`, `/pomoc stats`; the ticket number
    follows the command's name."""
    words = text.split()
    ticket_id = None
    if len(words) > 1 and words[1].lstrip("#").isdigit():
        ticket_id = TicketId(int(words[1].lstrip("#")))
        words = [words[0], *words[2:]]
    return parse(words), ticket_id
