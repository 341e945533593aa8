"""Tests of the report document, its schema and the exports."""
