"""The Dask executor: the stages as tasks over partitions and shuffles."""
