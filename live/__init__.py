"""Live half: read frames, find and read every handwritten digit, annotate, show and record."""
