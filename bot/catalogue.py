"""The one catalogue of what agents and managers read: Polish by default, English selectable."""

# Each entry holds both languages, so neither catalogue can lack a text; values are filled with
# `str.format`. Add an entry as a constant here and read it with `text(ENTRY, language, ...)`.

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

# -- the managers' read-only page and its CSV (adapters/panel/web/managers_page.py) -------------
# Section headings shared with the weekly report: REPORT_DEPARTMENTS, REPORT_FIRST_RESPONSE, ...

MANAGERS_TITLE = Entry(pl="Pomoc: raport dla kierowników", en="Pomoc: managers' report")
MANAGERS_PERIOD = Entry(
    pl="Ostatnie {days} dni: {start} – {end}", en="Last {days} days: {start} – {end}"
)
MANAGERS_DAYS = Entry(pl="{days} dni", en="{days} days")
MANAGERS_CSV = Entry(pl="Pobierz CSV", en="Download CSV")
MANAGERS_LINK_INVALID = Entry(
    pl="Ten link wygasł albo jest nieprawidłowy. Nowy jest w raporcie tygodniowym "
    "(albo: pomoc managers link).",
    en="This link has expired or is not valid. The weekly report brings a new one "
    "(or: pomoc managers link).",
)
MANAGERS_SUMMARY = Entry(pl="Podsumowanie", en="Summary")
MANAGERS_QUEUED = Entry(pl="w kolejce poza godzinami", en="queued off hours")
MANAGERS_BREACHES = Entry(pl="przekroczenia SLA", en="SLA breaches")
MANAGERS_OFF_HOURS = Entry(
    pl="obsłużone w weekendy i święta", en="handled on weekends and holidays"
)
MANAGERS_SLA_CLOCK = Entry(
    pl="Czasy w godzinach wsparcia (zgłoszenia krytyczne: zegarowo).",
    en="Times in support hours (critical tickets: wall clock).",
)
MANAGERS_DAY = Entry(pl="dzień", en="day")
MANAGERS_TICKETS = Entry(pl="zgłoszenia", en="tickets")
MANAGERS_WITHIN = Entry(pl="w celu", en="within target")
MANAGERS_SATISFACTION = Entry(pl="Zadowolenie sklepów (CSAT)", en="Shops' satisfaction (CSAT)")
MANAGERS_AVERAGE = Entry(pl="średnia ocena", en="average score")
MANAGERS_SCORE = Entry(pl="ocena {score}", en="score {score}")
MANAGERS_COMMENT = Entry(pl="komentarz", en="comment")
MANAGERS_TRIAGE = Entry(pl="Korekty triażu", en="Triage corrections")
MANAGERS_ESCALATED = Entry(pl="przekazane zespołowi", en="escalated")
MANAGERS_REPRIORITISED = Entry(pl="zmieniony priorytet", en="re-prioritised")
MANAGERS_MOVED = Entry(pl="przeniesione do innego działu", en="moved to another department")
MANAGERS_AGENT = Entry(pl="agent", en="agent")
MANAGERS_REPLIES = Entry(pl="odpowiedzi", en="replies")
MANAGERS_RESOLVED = Entry(pl="rozwiązane", en="resolved")
MANAGERS_FIRST = Entry(pl="mediana pierwszej odpowiedzi", en="median first response")
MANAGERS_WORDS = Entry(pl="słowa", en="words")
MANAGERS_EXAMPLES = Entry(pl="przykłady", en="examples")
MANAGERS_NOTHING = Entry(pl="brak w tym okresie", en="none in this period")
# The CSV's header row: one row per figure, so any spreadsheet filters and pivots it.
MANAGERS_CSV_COLUMNS = (
    Entry(pl="sekcja", en="section"),
    Entry(pl="pozycja", en="item"),
    Entry(pl="miara", en="measure"),
    Entry(pl="wartość", en="value"),
)

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

# -- the weekly report's chart (bot/charts.py) ---------------------------------------------------

CHART_TITLE = Entry(pl="Pomoc: tydzień {start} – {end}", en="Pomoc: week {start} – {end}")
CHART_DAYS = Entry(pl="Zgłoszenia dzień po dniu", en="Tickets day by day")
CHART_OPENED = Entry(pl="nowe", en="opened")
CHART_DEFLECTED = Entry(pl="rozwiązane artykułem", en="solved by an article")
CHART_RESOLVED = Entry(pl="rozwiązane przez zespół", en="resolved by support")
CHART_DAY_OFF = Entry(pl="dzień wolny", en="day off")
CHART_TIMES = Entry(pl="Czasy wobec celu SLA", en="Times against the SLA target")
CHART_FIRST_RESPONSE = Entry(pl="1. odpowiedź", en="first response")
CHART_RESOLUTION = Entry(pl="rozwiązanie", en="resolution")
CHART_TARGET = Entry(pl="cel {target}", en="target {target}")
CHART_TARGET_LINE = Entry(pl="cel SLA", en="SLA target")
CHART_OVER_TARGET = Entry(pl="ponad cel", en="over the target")
CHART_MEDIAN = Entry(pl="mediana", en="median")
CHART_P90 = Entry(pl="9 na 10 zgłoszeń (p90)", en="9 in 10 tickets (p90)")
CHART_NO_TIMES = Entry(
    pl="W tym tygodniu brak czasów do porównania z celem SLA.",
    en="No times to compare with an SLA target this week.",
)
CHART_ALT = Entry(
    pl="Wykres tygodnia {start} – {end}: {opened} nowych, {deflected} rozwiązanych artykułem, "
    "{resolved} rozwiązanych przez zespół.",
    en="Chart of the week {start} – {end}: {opened} opened, {deflected} solved by an article, "
    "{resolved} resolved by support.",
)
WEEKDAYS: tuple[Entry, ...] = (
    Entry(pl="pn", en="Mon"),
    Entry(pl="wt", en="Tue"),
    Entry(pl="śr", en="Wed"),
    Entry(pl="czw", en="Thu"),
    Entry(pl="pt", en="Fri"),
    Entry(pl="sob", en="Sat"),
    Entry(pl="nd", en="Sun"),
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


# -- managers' reports: the weekly report, the daily digest, `stats` (bot/report_text.py) -----

WEEKLY_TITLE = Entry(
    pl="📊 Pomoc: raport tygodniowy {period}", en="📊 Pomoc: weekly report {period}"
)
DIGEST_TITLE = Entry(pl="Pomoc: podsumowanie dnia ({period})", en="Pomoc daily digest ({period})")
STATS_TITLE = Entry(pl="Pomoc dziś ({period})", en="Pomoc today ({period})")
REPORT_TOTALS = Entry(
    pl="Nowe: {opened} · rozwiązane artykułem: {deflected} · rozwiązane przez zespół: "
    "{resolved} · w kolejce poza godzinami: {queued}",
    en="Opened: {opened} · solved by an article: {deflected} · resolved by support: "
    "{resolved} · queued off hours: {queued}",
)
REPORT_DEPARTMENTS = Entry(pl="Działy", en="Departments")
REPORT_DEPARTMENT = Entry(
    pl="{name} {opened} (artykułem {deflected}, zespół {resolved})",
    en="{name} {opened} (article {deflected}, support {resolved})",
)
REPORT_DAYS = Entry(pl="Dni (nowe/artykułem/zespół)", en="Days (opened/article/support)")
REPORT_DAY = Entry(
    pl="{day} {opened}/{deflected}/{resolved}", en="{day} {opened}/{deflected}/{resolved}"
)
REPORT_DAY_OFF = Entry(pl="(wolne)", en="(day off)")
REPORT_FIRST_RESPONSE = Entry(pl="Pierwsza odpowiedź (czas SLA)", en="First response (SLA clock)")
REPORT_RESOLUTION = Entry(pl="Rozwiązanie (czas SLA)", en="Resolution (SLA clock)")
REPORT_TIMING = Entry(
    pl="{priority} ({count}): mediana {median}, p90 {p90}",
    en="{priority} ({count}): median {median}, p90 {p90}",
)
REPORT_TARGET = Entry(
    pl="— cel {target}: w celu {within} z {count} ({share})",
    en="— target {target}: {within} of {count} met it ({share})",
)
REPORT_BREACHES = Entry(pl="przekroczenia SLA: {count}", en="SLA breaches: {count}")
REPORT_OFF_HOURS = Entry(
    pl="obsłużone w weekendy i święta: {count}", en="handled on weekends and holidays: {count}"
)
REPORT_TRIAGE = Entry(
    pl="Korekty triażu: z {escalated} przekazanych zespołowi zmieniono priorytet {reprioritised} "
    "({reprioritised_share}), przeniesiono do innego działu {moved} ({moved_share})",
    en="Triage corrections: of {escalated} escalated, re-prioritised {reprioritised} "
    "({reprioritised_share}), moved to another department {moved} ({moved_share})",
)
REPORT_RATINGS = Entry(
    pl="Zadowolenie sklepów: {average}/5 z {count} ocen ({scores})",
    en="Shops' satisfaction: {average}/5 from {count} ratings ({scores})",
)
REPORT_NO_RATINGS = Entry(pl="Zadowolenie sklepów: brak ocen", en="Shops' satisfaction: no ratings")
REPORT_AGENTS = Entry(pl="Agenci", en="Agents")
REPORT_AGENT = Entry(
    pl="{name}: odpowiedzi {replies}, rozwiązane {resolved}, mediana pierwszej odpowiedzi {first}",
    en="{name}: replies {replies}, resolved {resolved}, median first response {first}",
)
REPORT_GAPS = Entry(
    pl="Luki w bazie wiedzy (brakujące artykuły)", en="Knowledge gaps (missing articles)"
)
REPORT_GAP = Entry(
    pl="{words} ({department}): zgłoszenia {tickets}, np. {examples}",
    en="{words} ({department}): tickets {tickets}, e.g. {examples}",
)
REPORT_GAP_NO_WORDS = Entry(pl="(tytuły bez słów kluczowych)", en="(titles without keywords)")
REPORT_NO_GAPS = Entry(
    pl="Luki w bazie wiedzy: brak, na każde zgłoszenie był artykuł",
    en="Knowledge gaps: none, every ticket had an article",
)
REPORT_PAGE = Entry(pl="Szczegóły i CSV", en="Details and CSV")  # the managers' page link
REPORT_NOW = Entry(pl="Teraz: {statuses}", en="Now: {statuses}")
GAPS_HEADER = Entry(
    pl="słowa\tdział\tzgłoszenia\tprzykłady", en="words\tdepartment\ttickets\texamples"
)
