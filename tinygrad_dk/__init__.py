"""tinygrad_dk: a readable autograd engine (placeholder, core being written)."""
