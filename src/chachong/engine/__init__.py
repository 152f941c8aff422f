"""Executors that compose the stages: local (threads, forks, stage cache) and Dask."""
