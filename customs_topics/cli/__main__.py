"""``python -m customs_topics.cli``: the same as the ``customs-topics`` command."""

import sys

from . import main

sys.exit(main())
