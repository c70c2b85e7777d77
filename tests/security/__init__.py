"""Security tests: isolation, fuzzing, uploads, rate limits, secrets."""
