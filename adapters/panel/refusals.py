"""A refusal Pomoc words itself (in Polish): the error envelope carries its detail as given."""

from starlette.exceptions import HTTPException


class Refusal(HTTPException):
    """Unlike the framework's own HTTP errors, whose details the app replaces with Polish ones."""
