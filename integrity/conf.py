"""The integrity rules' thresholds, each overridable by a setting of the same name.

Defaults are chosen so that a flag means "a person should look", not "this is fake":
see each rule's module for why a number is what it is.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

DEFAULTS = {
    # near-duplicate reports (rules/duplicates.py)
    "INTEGRITY_DUPLICATE_RADIUS_M": 30.0,
    "INTEGRITY_DUPLICATE_WINDOW_HOURS": 7 * 24,
    "INTEGRITY_DUPLICATE_SAME_EVENT_HOURS": 6,
    # cosine of rarity-weighted bigrams (rules/text.py); chosen on half of the bench's data
    "INTEGRITY_DUPLICATE_MIN_SIMILARITY": 0.1,
    # How often chance alone would put a report like it this close and this soon to the
    # earlier one, at the filer's own rate of reports within RATE_RADIUS_M over RATE_DAYS
    # (rules/duplicates.py): flagged at or below MAX_CHANCE, 10^-4.16 as chosen on half A
    # of bench/integrity.py's adversarial set.
    "INTEGRITY_DUPLICATE_MAX_CHANCE": 7e-5,
    "INTEGRITY_DUPLICATE_RATE_RADIUS_M": 50.0,
    "INTEGRITY_DUPLICATE_RATE_DAYS": 90,
    # the same photo on different cases (rules/photos.py)
    "INTEGRITY_PHOTO_LOOKBACK_DAYS": 365,
    # Seconds a scan spends fingerprinting photos (the rest waits for the next scan), well
    # inside the scan task's 600 s so the rules after this one still run.
    "INTEGRITY_PHOTO_HASH_SECONDS": 240,
    # Candidates for the geometric check (integrity/photo_matching.py).
    "INTEGRITY_PHOTO_CANDIDATE_DISTANCE": 20,  # pHash bits, any flip or quarter turn
    "INTEGRITY_PHOTO_NEARBY_M": 1000.0,
    "INTEGRITY_PHOTO_MAX_CANDIDATES": 120,
    # Reuse: bench/integrity_photos.py chooses MIN_INLIERS and MAX_CHANGED on its tuning
    # half and prints them beside these, and the other half's figures at both. MAX_CHANGED is
    # its choice (2026-12-01); MIN_INLIERS stays at 20 where it chose 12: its ~1,400 pairs say
    # nothing of how often two unrelated photos of a year's archive share 12 points by chance.
    "INTEGRITY_PHOTO_MIN_INLIERS": 20,
    "INTEGRITY_PHOTO_MAX_CHANGED": 0.008,  # share of the overlap whose contents differ
    # A copy shows nothing its original did not: at least this share of the later photo lies
    # inside the earlier one (another framing of the same spot shows more of it).
    "INTEGRITY_PHOTO_MIN_COVERAGE": 0.8,
    "INTEGRITY_PHOTO_MAX_DISTANCE": 8,  # pHash bits, for photos with too few keypoints
    # verifications (rules/verification.py)
    "INTEGRITY_MIN_VERIFY_MINUTES": 10,
    "INTEGRITY_MIN_VERIFY_NOTE_CHARS": 5,
    # bursts over any stretch of days (rules/bursts.py)
    "INTEGRITY_BURST_CLOSING_DAYS": 3,  # a period's last days, tested on their own
    "INTEGRITY_BURST_BASELINE_DAYS": 90,
    "INTEGRITY_BURST_MAX_DAYS": 21,
    "INTEGRITY_BURST_MIN_REPORTS": 6,
    "INTEGRITY_BURST_MIN_RATIO": 2.0,
    "INTEGRITY_BURST_MAX_P": 0.001,  # after Bonferroni over the stretches tested
    # self-resolved cases (rules/self_resolve.py)
    "INTEGRITY_SELF_RESOLVE_WAIT_HOURS": 72,
    # visits (rules/visits.py)
    "INTEGRITY_VISIT_MARGIN_M": 50.0,
    "INTEGRITY_VISIT_RUN_MIN": 4,
    "INTEGRITY_VISIT_RUN_GAP_MINUTES": 3,
    # the periodic scan (tasks.py)
    "INTEGRITY_SCAN_DAYS": 2,
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def hours(name: str) -> timedelta:
    return timedelta(hours=float(setting(name)))
