"""Image data sets with torchvision's names (filled in by the datasets work)."""
