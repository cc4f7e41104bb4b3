#!/usr/bin/env python3
"""Exit 0 when every failed journey in a suite result (--json output of e2e.py) is listed in
KNOWN_FAILURES.md, else 1 naming the unlisted ones. Listed journeys that passed are reported."""
import json
import re
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: known_failures.py RESULTS.json KNOWN_FAILURES.md", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        results = json.load(f)["results"]
    with open(sys.argv[2]) as f:
        known = set(re.findall(r"^\| `([a-z0-9-]+)` \|", f.read(), re.M))
    failed = {r["journey"] for r in results if r["status"] == "FAIL"}
    passed = {r["journey"] for r in results if r["status"] == "PASS"}
    for name in sorted(known & passed):
        print(f"known failure now passes, remove it from the list: {name}")
    unlisted = sorted(failed - known)
    for name in sorted(failed & known):
        print(f"known failure (listed): {name}")
    if unlisted:
        print("failed and not listed as known: " + ", ".join(unlisted))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
