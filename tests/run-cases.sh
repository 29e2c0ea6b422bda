#!/bin/sh
# Dry-run data-directory cases; see tests/run_cases.py.
exec python3 "$(dirname "$0")/run_cases.py"
