"""``/api/docs/``: the API's operations as a plain HTML page.

Swagger UI and ReDoc load their JavaScript from a CDN unless it is vendored, and DESIGN §7
allows no CDN; ``drf-spectacular-sidecar`` is not installed. This page renders the same
OpenAPI schema server-side, with a link to the full schema at ``/api/schema/``. Its styles
are a static file: the Content-Security-Policy refuses inline ones.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

_PAGE = Template(
    """{% load static %}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ info.title }} {{ info.version }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{% static 'css/api-docs.css' %}"></head><body>
<h1>{{ info.title }} <small>v{{ info.version }}</small></h1>
<p>OpenAPI 3 schema: <a href="{{ schema_url }}">{{ schema_url }}</a>
(<a href="{{ schema_url }}?format=json">JSON</a>). Authenticate with
<code>POST /api/v1/auth/token/</code> (username, password), then send
<code>Authorization: Token &lt;token&gt;</code>.</p>
{% for op in operations %}<details><summary><span class="m">{{ op.method }}</span>
<code>{{ op.path }}</code> {{ op.summary }}</summary>
{% if op.description %}<pre>{{ op.description }}</pre>{% endif %}
{% if op.parameters %}<p>Parameters: {% for p in op.parameters %}<code>{{ p.name }}</code>
({{ p.in }}){% if not forloop.last %}, {% endif %}{% endfor %}</p>{% endif %}
{% if op.body %}<p>Body: {{ op.body|join:", " }}</p>{% endif %}
<p>Responses: {{ op.responses|join:", " }}</p></details>
{% endfor %}</body></html>"""
)


def _operations(schema: dict) -> list[dict]:
    schemas = schema.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body: list[str] = []
            for media in op.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                body = list(schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
                break
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "body": body,
                    "responses": list(op.get("responses", {})),
                }
            )
    return operations


def api_docs(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    context = {
        "info": schema.get("info", {}),
        "schema_url": reverse("api-schema"),
        "operations": _operations(schema),
    }
    return HttpResponse(_PAGE.render(Context(context)))
