"""The small demo's 90 days of history (``seed_demo --scale small``), above every app.

Cases are walked through the real services at past moments (``timeline``: a simulated clock
with the SLA scanner running on it), by a cast of departments that behave differently
(``cast``), with generated phone-sized photos (``photos``); then the days are rolled up for
the assessment and the integrity rules are run (``history``), so a newcomer's dashboard shows
trends, grades A–E, an overdue board and flags to review.
"""
