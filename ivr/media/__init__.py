"""Recordings: fetching them from the telephony provider and keeping them encrypted."""
