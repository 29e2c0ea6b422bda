#!/bin/sh
exec python3 "$(dirname "$0")/online_bench.py"
