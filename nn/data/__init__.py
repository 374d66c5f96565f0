"""nn.data: splitting, batching, scaling, resampling and small real data sets (pure numpy)."""
