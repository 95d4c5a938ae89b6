"""storydiff report stage."""
