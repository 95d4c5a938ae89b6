"""storydiff compare stage."""
