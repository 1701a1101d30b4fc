"""Step 3 and what a plan means on GKE: resolve, the records, shape, engine, model source,
signals, memory fit."""
