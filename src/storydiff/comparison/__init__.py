"""The comparison stage (named so the package does not shadow `storydiff.compare()`)."""
