"""`python -m archsim` is the `archsim` command."""
import sys

from .cli import main

sys.exit(main())
