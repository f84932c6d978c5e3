"""`python -m benchmarks`: see benchmarks/README.md."""
import sys

from .cli import main

sys.exit(main())
