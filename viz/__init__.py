"""viz: computation-graph drawing and training plots."""
