"""Running replications and batches of them: seeds, checkpoints, journals, the Dask cluster."""
