"""Everything a shop owner reads from Pomoc, in Polish, in one place."""

SUGGESTIONS_INTRO = (
    "Dziękujemy za zgłoszenie! Zanim przekażemy je konsultantowi: te artykuły z Centrum Pomocy "
    "mogą od razu rozwiązać problem."
)
SUGGESTIONS_QUESTION = "Czy któryś z nich pomógł?"
HELPED = "Pomogło — zamknij zgłoszenie"
NOT_HELPED = "Nie pomogło — przekaż do konsultanta"
DEFLECTED = "Cieszymy się, że artykuł pomógł. Zgłoszenie zostało zamknięte."
ESCALATED = "Przekazaliśmy zgłoszenie konsultantowi. Odpowiedź pojawi się tutaj."
QUEUED = (
    "Otrzymaliśmy zgłoszenie poza godzinami pracy działu wsparcia. "
    "Odpowiemy {when}. W weekendy i święta obsługujemy tylko zgłoszenia krytyczne."
)
CRITICAL_OFF_HOURS = (
    "Zgłoszenie oznaczyliśmy jako krytyczne i przekazaliśmy dyżurnemu konsultantowi."
)
RESOLVED = "Zgłoszenie zostało oznaczone jako rozwiązane. Jeśli problem wróci, odpisz tutaj."
REOPENED = "Zgłoszenie zostało ponownie otwarte."
ARTICLE = "Konsultant poleca artykuł z Centrum Pomocy: {title} — {url}"
# An agent's name when the chat platform cannot say it (never their chat id).
AGENT = "Konsultant"
TEAM = "zespół"  # a group of agents mentioned in a reply
CHANNEL = "kanał"  # a chat channel mentioned in a reply, when its name is unknown
AUTO_RESOLVED = (
    "Zamykamy zgłoszenie, bo od {days} dni nie otrzymaliśmy odpowiedzi. "
    "Jeśli problem nadal występuje, odpisz tutaj."
)

# An open ticket whose thread has not reached the agents' chat yet (e.g. a channel is blocked).
WAITING_FOR_SUPPORT = "Czeka na konsultanta"
STATUS_LABELS = {
    "new": "Nowe",
    "suggested": "Czeka na Twoją ocenę artykułów",
    "queued": "W kolejce",
    "open": "U konsultanta",
    "waiting": "Czeka na Twoją odpowiedź",
    "resolved": "Rozwiązane",
}
DEPARTMENT_LABELS = {
    "payments": "Płatności",
    "shipping": "Wysyłka",
    "integrations": "Integracje",
    "technical": "Techniczne",
    "billing": "Abonament i faktury",
    "design": "Wygląd sklepu",
    "catalog": "Produkty",
    "marketing": "Marketing",
    "other": "Inne",
}
FIELD_REQUIRED = "Pole „{field}” jest wymagane."
FIELD_INVALID = "Pole „{field}” ma nieprawidłową wartość."
FIELD_NAMES = {
    "title": "Tytuł",
    "body": "Opis",
    "order_url": "Link do zamówienia",
    "files": "Załączniki",
    "helped": "Ocena",
    "uploads": "Załączniki",
    "name": "Nazwa",
    "plan": "Plan",
    "cursor": "Kursor",
    "status": "Status",
    "updated_since": "Zmienione od",
    "limit": "Limit",
    "link": "Link logowania",
    "score": "Ocena",
    "comment": "Komentarz",
}
NOT_FOUND = "Nie znaleziono zgłoszenia."
UNAUTHORIZED = "Brak dostępu: zaloguj się ponownie."
TOO_LARGE = "Przesłane dane są za duże (limit {mb} MB)."
TOO_LARGE_KB = "Przesłane dane są za duże (limit {kb} KB)."
TOO_SLOW = "Przesyłanie danych trwało zbyt długo. Spróbuj ponownie."
BAD_HOST = "Nieznany adres serwera: sprawdź, czy link jest poprawny."
AUTH_FLOOD = "Zbyt wiele nieudanych prób dostępu z tego adresu. Spróbuj ponownie za chwilę."
TOO_MANY_STREAMS = "Zbyt wiele otwartych kart z podglądem na żywo. Zamknij nieużywane karty."
RATE_LIMITED = "Zbyt wiele nowych zgłoszeń w krótkim czasie. Spróbuj ponownie za chwilę."
WRONG_STATE = "Tej operacji nie można teraz wykonać dla tego zgłoszenia."
# Satisfaction: the shop rates a resolved ticket (bot/ratings.py, the conversation page).
RATING_NOT_RESOLVED = "Ocenić można tylko rozwiązane zgłoszenie."
RATING_QUESTION = "Jak oceniasz pomoc w tym zgłoszeniu?"
RATING_YOURS = "Twoja ocena"
RATING_SAVED = "Dziękujemy! Zapisaliśmy Twoją ocenę: {score}."  # the web inbox fills it in
RATING_REOPENED = "Zgłoszenie wznowione — możesz ocenić je ponownie po rozwiązaniu."
RATING_SCALE = {
    1: "bardzo źle",
    2: "źle",
    3: "średnio",
    4: "dobrze",
    5: "bardzo dobrze",
}
# Refusals by the HTTP framework itself (unparsable body, no such route, wrong method), which
# would otherwise reach the panel in English.
HTTP_ERRORS = {
    400: "Nie udało się odczytać przesłanych danych.",
    404: "Nie ma takiego adresu.",
    405: "Ta operacja nie jest dostępna pod tym adresem.",
    415: "Nieobsługiwany format danych: wyślij JSON, multipart/form-data lub formularz (UTF-8).",
}
# The web inbox (adapters/panel/web).
WEB_LOGIN_FAILED = (
    "Link logowania jest nieprawidłowy lub wygasł. Otwórz POMOC ponownie z panelu sklepu."
)
WEB_CSRF_FAILED = "Sesja wygasła lub formularz jest nieaktualny. Odśwież stronę i spróbuj ponownie."
# The platform integration: idempotent retries, rate limits, uploads, login links (issue 17).
IDEMPOTENCY_KEY_INVALID = "Nagłówek Idempotency-Key musi mieć od 1 do 255 znaków ASCII."
IDEMPOTENCY_KEY_REUSED = "Klucz Idempotency-Key został już użyty z inną treścią żądania."
IDEMPOTENCY_IN_PROGRESS = (
    "Żądanie z tym kluczem Idempotency-Key jest jeszcze przetwarzane. Spróbuj ponownie za chwilę."
)
IDEMPOTENCY_ANSWER_LOST = (
    "Żądanie z tym kluczem Idempotency-Key zostało już wykonane, ale jego odpowiedź nie została "
    "zapisana. Sprawdź listę zgłoszeń."
)
RATE_LIMITS = {
    "tickets": RATE_LIMITED,
    "messages": "Zbyt wiele wiadomości w krótkim czasie. Spróbuj ponownie za chwilę.",
    "reads": "Zbyt wiele zapytań w krótkim czasie. Spróbuj ponownie za chwilę.",
}
UPLOAD_UNKNOWN = "Załącznik wygasł lub nie istnieje: dodaj plik ponownie."
CURSOR_INVALID = "Pole „Kursor” ma nieprawidłową wartość: użyj linku `next` z poprzedniej strony."
SHOP_UNKNOWN = "Nie znaleziono sklepu."
SHOP_NAME_TAKEN = "Sklep o tej nazwie już istnieje."
SHOP_INACTIVE = "Sklep jest nieaktywny."
SHOP_HEADER_MISSING = "Z kluczem platformy podaj sklep w nagłówku Pomoc-Shop."
PLATFORM_ONLY = "Tę operację wykonuje tylko platforma, swoim kluczem."
WEB_LOGIN_CROSS_SITE = (
    "Logowanie z innej strony zostało zablokowane. Otwórz POMOC z górnej belki panelu sklepu."
)
WEB_LOGGING_IN = "Logowanie…"
WEB_SWITCH_SHOP = "Jesteś zalogowany jako „{current}”. Czy przełączyć na sklep „{new}”?"
WEB_SWITCH_BUTTON = "Przełącz na „{new}”"
WEB_STAY_BUTTON = "Zostań w „{current}”"
