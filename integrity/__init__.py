"""Integrity flags (诚信核查): a review queue of reports that may be fake (DESIGN §5).

A separate app on purpose: flags are for a person to review and never feed grades, scores
or any other automatic consequence.
"""
