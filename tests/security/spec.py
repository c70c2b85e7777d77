"""The published OpenAPI spec, walked: every operation with a minimal valid request for it."""

from dataclasses import dataclass

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    params: frozenset[str]
    media: str | None  # the request body's media type, if it has one
    body: object  # a minimal valid body for that media type

    def request(self) -> dict:
        """httpx keyword arguments carrying a body that passes validation."""
        if self.media is None:
            return {}
        if self.media == "application/json":
            return {"json": self.body}
        return {"data": {k: v for k, v in self.body.items() if not isinstance(v, list)}}


def _resolve(schema: dict, schemas: dict) -> dict:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict, schemas: dict) -> object:
    """A valid value for the schema: required fields only, plain Polish text for strings."""
    schema = _resolve(schema, schemas)
    if "anyOf" in schema:
        return example(schema["anyOf"][0], schemas)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example(props[name], schemas) for name in schema.get("required", [])}
    return {"boolean": False, "integer": 1, "number": 1.0, "array": []}.get(kind, "Zmiana logo")


def operations(spec: dict) -> list[Operation]:
    schemas = spec.get("components", {}).get("schemas", {})
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            content = op.get("requestBody", {}).get("content", {})
            media = next(iter(content), None)
            found.append(
                Operation(
                    method=method,
                    path=path,
                    params=frozenset(
                        p["name"] for p in op.get("parameters", []) if p["in"] == "path"
                    ),
                    media=media,
                    body=example(content[media]["schema"], schemas) if media else None,
                )
            )
    return found
