"""Image transforms with torchvision's names (filled in by the transforms work)."""
