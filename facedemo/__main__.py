"""``python -m facedemo``."""

import sys

from facedemo.cli import main

sys.exit(main())
