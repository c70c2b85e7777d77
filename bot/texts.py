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
AUTO_RESOLVED = (
    "Zamykamy zgłoszenie, bo od {days} dni nie otrzymaliśmy odpowiedzi. "
    "Jeśli problem nadal występuje, odpisz tutaj."
)

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
}
NOT_FOUND = "Nie znaleziono zgłoszenia."
UNAUTHORIZED = "Brak dostępu: zaloguj się ponownie."
TOO_LARGE = "Przesłane dane są za duże (limit {mb} MB)."
RATE_LIMITED = "Zbyt wiele nowych zgłoszeń w krótkim czasie. Spróbuj ponownie za chwilę."
WRONG_STATE = "Tej operacji nie można teraz wykonać dla tego zgłoszenia."
# Refusals by the HTTP framework itself (unparsable body, no such route, wrong method), which
# would otherwise reach the panel in English.
HTTP_ERRORS = {
    400: "Nie udało się odczytać przesłanych danych.",
    404: "Nie ma takiego adresu.",
    405: "Ta operacja nie jest dostępna pod tym adresem.",
}
# The web inbox (adapters/panel/web).
WEB_LOGIN_FAILED = (
    "Link logowania jest nieprawidłowy lub wygasł. Otwórz POMOC ponownie z panelu sklepu."
)
WEB_CSRF_FAILED = "Sesja wygasła lub formularz jest nieaktualny. Odśwież stronę i spróbuj ponownie."
