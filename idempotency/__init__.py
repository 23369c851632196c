"""Requests a client may repeat (``Idempotency-Key``, DESIGN §8 "Field work"): the key's model
and ``run_once``. A ground-floor app like ``accounts``: it imports no domain app, so every app
(``cases`` for reports and verifications, visits over ``residents``) may use it."""
