"""Reading sources: formats, encodings, limits, folder walks; Documents come out of stages.segment."""
