"""storydiff resolve stage."""
