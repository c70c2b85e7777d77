"""What managers read: the weekly report, its chart, the daily digest, `stats` and the managers'
page — Polish by default, English selectable (entries read with `bot.catalogue.text`)."""

from bot.catalogue import Entry

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
