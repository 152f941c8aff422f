"""Process, memory and file helpers every layer may use (no analysis here)."""
