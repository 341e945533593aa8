"""Twilio's side of the line: webhooks, signatures, the degraded path and its spool."""
