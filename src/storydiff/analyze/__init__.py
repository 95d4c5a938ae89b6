"""storydiff analyze stage."""
