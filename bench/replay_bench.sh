#!/bin/sh
exec python3 "$(dirname "$0")/replay_bench.py"
