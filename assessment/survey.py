"""居民满意率 from the grid-service survey (DESIGN §5, §8): per cell, community, street,
district and grid worker, and per month — counted live from ``GridSurveyAnswer`` (a few
thousand answers a quarter in a district, so no rollup is needed).

It is shown beside the case indicators and does not enter the score: it measures how a
grid worker serves residents, not how cases were handled.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from .models import GridSurveyAnswer, Satisfaction

# Fewer answers (or ratings) than this make no rate: "—", never 100 % from one answer.
MIN_ANSWERS = 5
_PATHS = {
    "district": "cell__community__street__district_id",
    "street": "cell__community__street_id",
    "community": "cell__community_id",
    "cell": "cell_id",
    "worker": "worker_id",
}


_SATISFIED = Count("id", filter=Q(score__gte=Satisfaction.SATISFIED_FROM))


def _answers(scope, filters):
    qs = GridSurveyAnswer.objects.filter(
        scope.q(district=_PATHS["district"], street=_PATHS["street"]),
        answered_at__date__range=(filters.start, filters.end),
    )
    for name, value in filters.parents().items():
        qs = qs.filter(**{_PATHS[name]: value})
    return qs.order_by()


def survey_rate(answers: int, satisfied: int) -> float | None:
    return round(satisfied / answers, 4) if answers >= MIN_ANSWERS else None


def survey_counts(level: str, scope, filters) -> dict[int, tuple[int, int]]:
    """``{unit id: (answers, satisfied)}`` for the level (workers by the worker who served the
    cell when the answer came); empty for departments, which no survey asks about. One query."""
    if level not in _PATHS:
        return {}
    rows = (
        _answers(scope, filters)
        .values(_PATHS[level])
        .annotate(
            n=Count("id"), satisfied=Count("id", filter=Q(score__gte=Satisfaction.SATISFIED_FROM))
        )
    )
    return {row[_PATHS[level]]: (row["n"], row["satisfied"]) for row in rows}


def survey_by_bucket(scope, filters, *, bucket_of) -> dict[date, tuple[int, int]]:
    """``{bucket start: (answers, satisfied)}`` over the period (``bucket_of`` maps a day to
    its bucket). One query."""
    rows = (
        _answers(scope, filters)
        .annotate(day=TruncDate("answered_at"))
        .values("day")
        .annotate(
            n=Count("id"), satisfied=Count("id", filter=Q(score__gte=Satisfaction.SATISFIED_FROM))
        )
    )
    out: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        bucket = out[bucket_of(row["day"])]
        bucket[0] += row["n"]
        bucket[1] += row["satisfied"]
    return {day: (n, s) for day, (n, s) in out.items()}
