"""Background work: an outbox in the database, relayed to rq (or run in-process).

Work is recorded as an :class:`models.OutboxMessage` in the same transaction as the
state that needs it (:func:`ivr.jobs.outbox.schedule`), handed to a dispatcher after
the commit, and swept periodically, so a Redis outage, a crash between commit and
enqueue, or a killed worker delays work and loses none. Jobs take ids only.
"""
