"""The catalogue of what agents and managers read: Polish by default, English selectable."""

# Each entry holds both languages, so neither catalogue can lack a text; values are filled with
# `str.format`. Add an entry as a constant here and read it with `text(ENTRY, language, ...)`;
# the entries of managers' reports live in `report_catalogue.py`, read the same way.

from dataclasses import dataclass
from enum import StrEnum

from bot.lifecycle import Status
from bot.vocabulary import Priority


class Language(StrEnum):
    PL = "pl"
    EN = "en"


@dataclass(frozen=True, slots=True)
class Entry:
    pl: str
    en: str


def text(entry: Entry, language: Language | str, **values: object) -> str:
    """`entry` in `language`, its `{placeholders}` filled from `values`."""
    template = entry.en if Language(language) == Language.EN else entry.pl
    return template.format(**values) if values else template


# -- answers to commands ---------------------------------------------------------------------

HELP = Entry(
    pl="Polecenia: claim · resolve · reopen · priority critical|normal · assign <osoba> · "
    "article <id> · move <dział> · stats; w /pomoc po nazwie numer zgłoszenia (/pomoc claim "
    "42). Notatki zaczynaj od {note}; w trybie explicit do sklepu trafia tylko to, co zaczyna "
    "się od {reply}.",
    en="Commands: claim · resolve · reopen · priority critical|normal · assign <user> · "
    "article <id> · move <department> · stats; in /pomoc the ticket number follows the name "
    "(/pomoc claim 42). Notes start with {note}; in explicit relay mode only messages starting "
    "with {reply} reach the shop.",
)
USAGE_PRIORITY = Entry(pl="Użycie: priority critical|normal", en="Usage: priority critical|normal")
USAGE_ASSIGN = Entry(pl="Użycie: assign <osoba>", en="Usage: assign <user>")
USAGE_ARTICLE = Entry(
    pl="Użycie: article <id> (identyfikator z Centrum Pomocy)",
    en="Usage: article <id> (an id from the help center)",
)
USAGE_MOVE = Entry(
    pl="Użycie: move <dział>. Działy: {departments}.",
    en="Usage: move <department>. Departments: {departments}.",
)
UNKNOWN_DEPARTMENT = Entry(
    pl="Nie ma działu „{name}”. Działy: {departments}.",
    en="There is no department “{name}”. Departments: {departments}.",
)
NO_DEPARTMENTS = Entry(pl="(brak skonfigurowanych)", en="(none configured)")
ALREADY_THERE = Entry(
    pl="Zgłoszenie #{id} już jest w dziale {department}: nic się nie zmienia.",
    en="Ticket #{id} is in the {department} department already: nothing changes.",
)
ALREADY_PRIORITY = Entry(
    pl="Zgłoszenie #{id} już ma priorytet {priority}: nic się nie zmienia.",
    en="Ticket #{id} is {priority} priority already: nothing changes.",
)
NO_TICKET = Entry(
    pl="Brak zgłoszenia: użyj polecenia w wątku zgłoszenia albo podaj numer (/pomoc claim 42).",
    en="No ticket here: use the command in a ticket's thread or give its number (/pomoc claim 42).",
)
CHOOSE_TICKET = Entry(
    pl="Które zgłoszenie przejąć? Otwarte na tym kanale:",
    en="Which ticket do you claim? Open in this channel:",
)
CHOICE = Entry(pl="#{id} {title}", en="#{id} {title}")
NO_OPEN_TICKETS = Entry(
    pl="Na tym kanale nie ma otwartych zgłoszeń.", en="No open tickets in this channel."
)
NOT_ALLOWED_NOW = Entry(pl="Zgłoszenie #{id}: {reason}.", en="Ticket #{id}: {reason}.")
CANNOT = Entry(
    pl="nie można wykonać „{action}”, gdy status to „{status}”",
    en="cannot {action} a ticket that is {status}",
)
RESOLVED_BY = Entry(
    pl="Zgłoszenie #{id} rozwiązane przez: {name}.", en="Ticket #{id} resolved by {name}."
)
REOPENED_BY = Entry(
    pl="Zgłoszenie #{id} ponownie otwarte przez: {name}.", en="Ticket #{id} reopened by {name}."
)
PRIORITY_SET = Entry(
    pl="Zgłoszenie #{id}: priorytet {priority}.", en="Ticket #{id} priority: {priority}."
)
ASSIGNED = Entry(
    pl="Zgłoszenie #{id} przypisane do: {name}.", en="Ticket #{id} assigned to {name}."
)
MOVED = Entry(
    pl="Zgłoszenie #{id} przeniesione do działu {department}.",
    en="Ticket #{id} moved to the {department} department.",
)
ARTICLE_SENT = Entry(
    pl="Artykuł {article} wysłany do sklepu.", en="Article {article} sent to the shop."
)

# -- what happened to a message ------------------------------------------------------------

FILES_NOT_SENT = Entry(pl="Nie wysłano do sklepu: {files}.", en="Not sent to the shop: {files}.")
FILE_TYPE = Entry(pl="{name} (niedozwolony typ)", en="{name} (type not allowed)")
FILE_SIZE = Entry(pl="{name} (za duży, limit {mb} MB)", en="{name} (too large, limit {mb} MB)")
FILE_COUNT = Entry(pl="{name} (za dużo plików)", en="{name} (too many files)")
FILE_UNREADABLE = Entry(pl="{name} (nie udało się pobrać)", en="{name} (could not be downloaded)")
WITHDRAWN = Entry(
    pl="Wycofano ze sklepu: wiadomość zniknęła z jego skrzynki i zostaje notatką wewnętrzną.",
    en="Withdrawn from the shop: the message left its inbox and stays an internal note.",
)
PUBLISHED = Entry(
    pl="Notatka wysłana do sklepu jako odpowiedź.",
    en="The note was sent to the shop as a reply.",
)
KEPT_INTERNAL = Entry(
    pl="Zostaje wewnętrzne (wiadomość do współpracownika), sklep jej nie zobaczy. Aby wysłać, "
    "zacznij od {reply}.",
    en="Kept internal (addressed to a colleague): the shop will not see it. To send it, start "
    "with {reply}.",
)

# -- the thread: what Pomoc told the shop ---------------------------------------------------

ACTIVITY = Entry(pl="🤖 Pomoc do sklepu", en="🤖 Pomoc to the shop")
ACTIVITIES: dict[str, Entry] = {
    "resolved": Entry(pl="rozwiązane", en="resolved"),
    "reopened": Entry(pl="ponownie otwarte", en="reopened"),
    "article": Entry(pl="artykuł z Centrum Pomocy", en="help-center article"),
    "auto_resolved": Entry(pl="zamknięte automatycznie po ciszy", en="closed after silence"),
    "queued": Entry(pl="poza godzinami wsparcia", en="outside support hours"),
    "suggestions": Entry(pl="zaproponowane artykuły", en="articles suggested"),
}
NOTE_LABEL = Entry(pl="📝 Notatka", en="📝 Note")
# Lines of the shop's own doing (not something Pomoc told it), shown under their own label.
SHOP_ACTIVITIES: dict[str, Entry] = {
    "rated": Entry(pl="⭐ Ocena sklepu", en="⭐ The shop's rating"),
    "rating_changed": Entry(pl="⭐ Sklep zmienił ocenę", en="⭐ The shop changed its rating"),
}
RATING_WAS = Entry(pl="(wcześniej {previous}/{max})", en="(was {previous}/{max})")
RATING_COMMENT = Entry(pl="Komentarz: {comment}", en="Comment: {comment}")

# -- a ticket moved to another department ---------------------------------------------------

STILL_OPENING = Entry(
    pl="Wątek zgłoszenia #{id} jeszcze się otwiera: spróbuj je przenieść za chwilę.",
    en="The thread of ticket #{id} is still being opened: try moving it again in a moment.",
)
MOVED_AWAY = Entry(
    pl="Przeniesione do działu {department} przez: {name}; dalej {where}.",
    en="Moved to the {department} department by {name}; it continues {where}.",
)
MOVED_IN = Entry(
    pl="Przeniesione z działu {department} przez: {name}.",
    en="Moved here from the {department} department by {name}.",
)
WHERE_CHANNEL = Entry(
    pl="w nowym wątku na {channel} ({platform})", en="in a new thread in {channel} ({platform})"
)
WHERE_NO_CHAT = Entry(
    pl="poza czatem (dział nie ma kanału)", en="outside chat (the department has no channel)"
)
MOVED_ELSEWHERE = Entry(
    pl="Zgłoszenie #{id} przeniesiono do działu {department}; jest teraz {where}.",
    en="Ticket #{id} was moved to the {department} department; it is now {where}.",
)
KEPT_AS_NOTE = Entry(
    pl="Twoja wiadomość nie trafiła do sklepu: zapisano ją jako notatkę wewnętrzną zgłoszenia.",
    en="Your message did not reach the shop: it is kept as an internal note of the ticket.",
)

# -- the root of a ticket's thread ----------------------------------------------------------

TICKET = Entry(pl="Zgłoszenie #{id}", en="Ticket #{id}")
SHOP = Entry(pl="Sklep", en="Shop")
PRIORITY = Entry(pl="Priorytet", en="Priority")
DEPARTMENT = Entry(pl="Dział", en="Department")
STATUS = Entry(pl="Status", en="Status")
ASSIGNEE = Entry(pl="Przypisane", en="Assignee")
ORDER = Entry(pl="Zamówienie", en="Order")
ATTACHMENTS = Entry(pl="Załączniki", en="Attachments")
SUGGESTED = Entry(pl="Sugestie", en="Suggested")
SIGNALS = Entry(pl="Sygnały", en="Signals")
OPEN_PAGE = Entry(pl="Otwórz zgłoszenie", en="Open the ticket")
URGENT = Entry(pl="pilne zgłoszenie", en="urgent ticket")
FULL_TEXT = Entry(
    pl="Pełna treść w załączonym pliku {name}.", en="The full text is in the attached file {name}."
)
BUTTON_CLAIM = Entry(pl="Przejmij", en="Claim")
BUTTON_RESOLVE = Entry(pl="Rozwiąż", en="Resolve")
BUTTON_CRITICAL = Entry(pl="Oznacz jako krytyczne", en="Mark critical")
BUTTON_REOPEN = Entry(pl="Otwórz ponownie", en="Reopen")
MATRIX_COMMANDS = Entry(
    pl="Polecenia w wątku: !claim · !resolve · !priority critical · !assign @osoba · !move dział "
    "· !note …",
    en="Commands in the thread: !claim · !resolve · !priority critical · !assign @user · "
    "!move department · !note …",
)
MATRIX_REOPEN = Entry(
    pl="Rozwiązane: !reopen otwiera ponownie.", en="Resolved: !reopen reopens it."
)

STATUS_LABELS: dict[Status, Entry] = {
    Status.NEW: Entry(pl="nowe", en="new"),
    Status.SUGGESTED: Entry(pl="zaproponowano artykuły", en="articles suggested"),
    Status.QUEUED: Entry(pl="w kolejce", en="queued"),
    Status.OPEN: Entry(pl="otwarte", en="open"),
    Status.WAITING: Entry(pl="czeka na sklep", en="waiting for the shop"),
    Status.RESOLVED: Entry(pl="rozwiązane", en="resolved"),
    Status.PURGED: Entry(pl="usunięte", en="purged"),
}
PRIORITY_LABELS: dict[Priority, Entry] = {
    Priority.CRITICAL: Entry(pl="krytyczny", en="critical"),
    Priority.NORMAL: Entry(pl="normalny", en="normal"),
}

# -- the agents' read-only ticket page ---------------------------------------------------------

PAGE_READ_ONLY = Entry(
    pl="Tylko do odczytu: zgłoszenie obsługujesz w czacie.",
    en="Read only: you act on the ticket in chat.",
)
PAGE_LINK_INVALID = Entry(
    pl="Ten link wygasł albo jest nieprawidłowy. Otwórz zgłoszenie ponownie z wątku w czacie.",
    en="This link has expired or is not valid. Open the ticket again from its chat thread.",
)
PAGE_DESCRIPTION = Entry(pl="Opis", en="Description")
PAGE_CONVERSATION = Entry(pl="Rozmowa", en="Conversation")
PAGE_AUDIT = Entry(pl="Historia zmian", en="Audit trail")
PAGE_TRIAGE = Entry(pl="Triaż", en="Triage")
PAGE_DELETED = Entry(pl="usunięta", en="deleted")
PAGE_EDITED = Entry(pl="edytowana", en="edited")
PAGE_CREATED = Entry(pl="Utworzone", en="Created")
AUTHOR_LABELS: dict[str, Entry] = {
    "shop": Entry(pl="sklep", en="shop"),
    "agent": Entry(pl="do sklepu", en="to the shop"),
    "bot": Entry(pl="Pomoc do sklepu", en="Pomoc to the shop"),
    "note": Entry(pl="notatka wewnętrzna", en="internal note"),
}

# -- Slack refusals ------------------------------------------------------------------------

NOT_YOUR_CHANNEL = Entry(
    pl="Zgłoszenie #{id} należy do kanału, którego nie jesteś członkiem: nie możesz go zmieniać.",
    en="Ticket #{id} belongs to a channel you are not a member of: you cannot change it.",
)
NOT_AN_AGENT = Entry(
    pl="Nie jesteś na liście agentów Pomocy.", en="You are not on Pomoc's list of agents."
)
REPLY_SENT = Entry(pl="Wysłano do sklepu.", en="Sent to the shop.")
REPLY_OWN_ONLY = Entry(
    pl="Do sklepu możesz wysłać tylko swoją wiadomość z wątku zgłoszenia.",
    en="You can send to the shop only your own message in a ticket's thread.",
)
REPLY_NOT_NEEDED = Entry(
    pl="Na tym kanale każda wiadomość agenta i tak trafia do sklepu.",
    en="In this channel every agent's message reaches the shop anyway.",
)

# -- managers ------------------------------------------------------------------------------

UNREADABLE = Entry(
    pl="⚠️ Pomoc nie może czytać pokoju {platform} {channel} ({reason}): to, co piszą tam "
    "{agent} i inni agenci, nigdy nie trafia do sklepów. Przenieś dział do pokoju bez "
    "szyfrowania.",
    en="⚠️ Pomoc cannot read {platform} room {channel} ({reason}): what {agent} and other agents "
    "write there never reaches the shops. Move the department to an unencrypted room.",
)


def status_label(status: Status, language: Language | str) -> str:
    return text(STATUS_LABELS[status], language)


def priority_label(priority: Priority, language: Language | str) -> str:
    return text(PRIORITY_LABELS[priority], language)


def activity(kind: str | None, by: str | None, language: Language | str) -> str:
    """The label of what Pomoc told the shop, in the thread: "🤖 Pomoc do sklepu (Anna:
    rozwiązane)"; or of what the shop did itself: "⭐ Ocena sklepu"."""
    if kind in SHOP_ACTIVITIES:
        return text(SHOP_ACTIVITIES[kind], language)
    label = text(ACTIVITY, language)
    action = text(ACTIVITIES[kind], language) if kind in ACTIVITIES else None
    detail = ": ".join(part for part in (by, action) if part)
    return f"{label} ({detail})" if detail else label
