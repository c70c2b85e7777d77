"""The core: tickets, triage, scheduling and relay. No chat-platform SDK is imported here."""
