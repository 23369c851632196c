"""What the bad-input guards cost a good request, and how fast they refuse a bad one.

    python bench/bad_input.py [--samples 20000]

In one run, no database needed:
- parsing a case's JSON body with GridGov's parser (orjson and a depth check,
  ``gridgov.bad_input.JSONParser``) against DRF's stock ``JSONParser`` (the baseline);
- refusing a body nested 1,000 and 100,000 deep (the stock parser raises RecursionError);
- ``RefuseNulBytesMiddleware`` on a request with a list's query string, against the same
  request through no middleware.
Prints samples, p50/p95/p99 in microseconds, the machine's load and each ratio against its baseline.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable

from _setup import django_setup
from _stats import Load, line

django_setup()

from django.test import RequestFactory  # noqa: E402
from rest_framework import parsers  # noqa: E402
from rest_framework.exceptions import ParseError  # noqa: E402

from gridgov.bad_input import JSONParser, RefuseNulBytesMiddleware  # noqa: E402

CASE_BODY = json.dumps(
    {
        "title": "井盖丢失",
        "description": "人行道上水井盖丢失，夜间行人容易踩空，请尽快处理。" * 3,
        "category": "C0101",
        "lon": 116.4313,
        "lat": 39.8812,
        "address": "朝阳区光华路 9 号南侧人行道",
    },
    ensure_ascii=False,
).encode()


def timed(fn: Callable[[], object], samples: int) -> list[float]:
    out = []
    for _i in range(samples):
        started = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - started) / 1000)
    return out


def show(name: str, us: list[float], baseline: list[float] | None = None) -> None:
    ratio = ""
    if baseline:
        ratio = f"  ratio p50 {statistics.median(us) / statistics.median(baseline):.2f}×"
    print(line(name, [u / 1e6 for u in us], width=44, unit="µs") + ratio)


def parse_with(parser: parsers.JSONParser, body: bytes) -> Callable[[], object]:
    return lambda: parser.parse(io.BytesIO(body), "application/json", {})


def refuse(body: bytes) -> Callable[[], None]:
    def run() -> None:
        try:
            JSONParser().parse(io.BytesIO(body), "application/json", {})
        except ParseError:
            return
        raise AssertionError("a deep body was parsed")

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20_000)
    n = parser.parse_args().samples
    load = Load()

    stock = timed(parse_with(parsers.JSONParser(), CASE_BODY), n)
    show("case body, DRF JSONParser (baseline)", stock)
    show("case body, GridGov JSONParser", timed(parse_with(JSONParser(), CASE_BODY), n), stock)
    for depth in (1_000, 100_000):
        deep = ("[" * depth + "]" * depth).encode()
        show(f"refuse a body nested {depth:,} deep", timed(refuse(deep), max(n // 100, 50)))

    request = RequestFactory().get(
        "/api/v1/cases/", {"status": "handling", "street": "12", "page": "3", "overdue": "true"}
    )
    middleware = RefuseNulBytesMiddleware(lambda r: None)

    def bare() -> None:
        request.__dict__.pop("GET", None)  # parse the query string afresh each time
        return request.GET and None

    def guarded() -> None:
        request.__dict__.pop("GET", None)
        return middleware(request)

    baseline = timed(bare, n)
    show("query string parsed, no guard (baseline)", baseline)
    show("query string parsed, NUL guard", timed(guarded, n), baseline)
    print(load)


if __name__ == "__main__":
    main()
