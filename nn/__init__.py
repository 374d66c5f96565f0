"""nn: neural-network building blocks on tinygrad_dk."""
