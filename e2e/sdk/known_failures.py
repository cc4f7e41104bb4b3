#!/usr/bin/env python3
"""Reads the results of openstacksdk's functional tests (subunit v2 streams, as `stestr run --subunit` writes
them) and e2e/sdk/KNOWN_FAILURES.md. Prints the counts per area; exits 1 when a test failed that the list does not
name (a listed test that passes is reported, so its line can go; with UNLISTED_OUT set, their names are written
there). Test names drop the common prefix `openstack.tests.functional.`; a listed name ending in `.*` covers every
test under it."""
import os
import re
import sys
from collections import Counter

import subunit
import testtools

PREFIX = "openstack.tests.functional."


def short(test: str) -> str:
    test = re.sub(r"\[.*\]$", "", test)
    return test[len(PREFIX):] if test.startswith(PREFIX) else test


def read(path: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(test, status) pairs and each failure's traceback from one subunit stream."""
    rows, tracebacks = [], {}

    def on_test(test):
        if test["status"] == "exists":
            return
        name = short(test["id"])
        rows.append((name, test["status"]))
        if test["status"] not in ("success", "skip", "xfail"):
            detail = test["details"].get("traceback")
            tracebacks[name] = detail.as_text() if detail else ""

    with open(path, "rb") as f:
        stream = subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")
        result = testtools.StreamToDict(on_test)
        result.startTestRun()
        stream.run(result)
        result.stopTestRun()
    return rows, tracebacks


def main() -> int:
    if len(sys.argv) < 3:
        print("usage: known_failures.py KNOWN_FAILURES.md RESULTS.subunit...", file=sys.stderr)
        return 2
    rows, tracebacks = [], {}
    for path in sys.argv[2:]:
        r, t = read(path)
        rows += r
        tracebacks.update(t)
    with open(sys.argv[1]) as f:
        known = re.findall(r"^\| `([A-Za-z0-9_.*]+)` \|", f.read(), re.M)

    def listed(name: str) -> bool:
        return any(name == k or (k.endswith(".*") and name.startswith(k[:-1])) for k in known)

    # setUpClass errors show as a pseudo-test named after the class; count them as failures of it.
    counts: dict[str, Counter] = {}
    for name, status in rows:
        area = ".".join(name.split(".")[:2])
        kind = {"success": "passed", "skip": "skipped", "xfail": "passed"}.get(status, "failed")
        counts.setdefault(area, Counter())[kind] += 1
    total = Counter()
    for area in sorted(counts):
        c = counts[area]
        total.update(c)
        print(f"  {area:22} {c['passed']:3} passed {c['failed']:3} failed {c['skipped']:3} skipped")
    print(f"  {'total':22} {total['passed']:3} passed {total['failed']:3} failed {total['skipped']:3} skipped")
    if not rows:
        print("no test ran (see the stestr logs)")
        return 1
    failed = sorted({n for n, s in rows if s not in ("success", "skip", "xfail")})
    passed = {n for n, s in rows if s == "success"}
    for name in sorted(k for k in known if k in passed):
        print(f"known failure now passes, remove it from the list: {name}")
    unlisted = [n for n in failed if not listed(n)]
    for name in failed:
        if listed(name):
            print(f"known failure (listed): {name}")
    if os.environ.get("UNLISTED_OUT"):
        with open(os.environ["UNLISTED_OUT"], "w") as f:
            f.write("".join(f"{name}\n" for name in unlisted))
    if unlisted:
        print("failed and not listed as known:")
        for name in unlisted:
            lines = [l for l in tracebacks.get(name, "").strip().splitlines() if l.strip()]
            print(f"  {name}\n      " + "\n      ".join(lines[-3:]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
