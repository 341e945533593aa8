"""Synthetic demonstration data: ``flask --app wsgi seed-demo --calls N``.

Calls, their IVR paths, recordings, reports and the analysts' reviews, drawn from the
proportions of a national tip line (:mod:`ivr.demo.profile`), deterministic for a seed,
bulk-loaded (PostgreSQL ``COPY``; executemany elsewhere). Every demo row is told apart
by its CallSid prefix (:data:`ivr.demo.profile.DEMO_CALL_SID_PREFIX`); no real phone
number is ever made up (fictional 555-01XX lines only).
"""
