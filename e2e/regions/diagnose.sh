#!/bin/bash
# After a failed real-region step: name every service that died (its PID file is there, its process is not)
# and print its log; print the last errors of services still running and the gateway's log tail.
# usage: diagnose.sh [lines]   (default 60)
. "$(dirname "$0")/common.sh"
N=${1:-60}
echo "=== diagnose: services under $BASE"
dead=0
for f in $RUN/*.pid; do
  [ -f "$f" ] || continue
  n=$(basename $f .pid)
  if ! kill -0 $(cat $f) 2>/dev/null; then
    dead=1; echo "--- DEAD: $n (last $N lines of $LOGS/$n.log)"; tail -n $N $LOGS/$n.log 2>/dev/null
  fi
done
[ $dead = 0 ] && echo "every service started here is still running"
for l in $LOGS/*.log; do
  e=$(grep -E " ERROR |Traceback|CRITICAL" "$l" 2>/dev/null | grep -v -E "memcache|No DB access allowed" | tail -n 8)
  [ -n "$e" ] && { echo "--- errors in $(basename $l):"; echo "$e"; }
done
echo "--- gateway log (last $N lines of $LOGS/tricircle.log)"; tail -n $N $LOGS/tricircle.log 2>/dev/null
exit 0
