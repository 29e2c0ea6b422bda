#!/bin/sh
# The app's configuration checked as AppInspect and ES ad hoc runs would.
exec python3 "$(dirname "$0")/check_app.py"
