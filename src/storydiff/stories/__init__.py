"""storydiff stories stage."""
