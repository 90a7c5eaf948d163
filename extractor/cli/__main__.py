"""``python -m extractor.cli``."""

from . import main

main()
