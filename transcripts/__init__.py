"""Transcription backends and entity extraction (the report pipeline fills this in)."""
