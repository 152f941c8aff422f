"""Text for matching: canonical form with a map back, shingles, word segmentation."""
