"""The pipeline's stages, each one implementation over a batch (a corpus or a partition's slice)."""
