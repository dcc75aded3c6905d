"""`python -m kirim_simulator`: the simulator without importing the `kirim` package at all."""

import sys

from kirim_simulator import main

sys.exit(main())
