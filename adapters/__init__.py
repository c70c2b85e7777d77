"""The ways in and out: the shop panel (HTTP), Slack and Matrix."""
