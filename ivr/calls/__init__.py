"""Calls: what happens to a Call row as Twilio's webhooks arrive."""
