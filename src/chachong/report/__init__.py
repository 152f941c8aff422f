"""Report writers: JSON (the machine contract), CSV tables, and the human-facing formats."""
