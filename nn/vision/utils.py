"""Looking at images: torchvision.utils' names (filled in by the datasets work)."""
