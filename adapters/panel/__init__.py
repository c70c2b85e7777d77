"""The shop panel: the JSON API the platform calls and the web inbox shop owners use."""
