"""Readers: one module per input format, each turning a file's text into records."""
