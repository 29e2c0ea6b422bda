#!/bin/sh
exec python3 "$(dirname "$0")/sync_bench.py"
