"""`python -m storydiff` runs the command line."""

import sys

from storydiff.cli import main

sys.exit(main())
