"""storydiff ingest stage."""
