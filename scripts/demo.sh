#!/bin/sh
# make demo: see scripts/demo.py.
exec python3 "$(dirname "$0")/demo.py"
