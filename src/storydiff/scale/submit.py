"""Entry script for spark-submit:  spark-submit [options] .../storydiff/scale/submit.py INPUT... OUTPUT [flags].

Takes the arguments of `storydiff spark run`; the session is the one spark-submit configured.
"""

from __future__ import annotations

import sys

from storydiff.cli import main

if __name__ == "__main__":
    sys.exit(main(["spark", "run", *sys.argv[1:]]))
