#!/usr/bin/env python3
"""Tempest results per service.
  tempest run --subunit ... | summarize.py --trace > run.log            (a line per test as it ends; failures in full)
  summarize.py REGION FILE.subunit INCLUDE_LIST SECONDS [TIMED_OUT] > result.json   (reads the subunit stream)
  summarize.py --print result.json...                                    (per-service table)
  summarize.py --write RESULTS.md result.json...                         (replace the generated part of RESULTS.md)"""
import json, re, sys

SERVICES = ("compute", "network", "volume", "image")


def service(test_id):
    m = re.match(r"(?:\w+ \()?tempest\.api\.(\w+)\.", test_id)
    return m.group(1) if m else "other"


def reason(details):
    tb = details.get("traceback")
    text = b"".join(tb.iter_bytes()).decode(errors="replace") if tb is not None else ""
    lines = [l for l in text.strip().splitlines() if l.strip()]
    if not lines:
        return "(no traceback)"
    last = next((l.strip() for l in reversed(lines) if l.strip().startswith("Details:")), lines[-1])
    msg, typ = re.search(r"'message': '([^']*)'", last), re.search(r"'type': '(\w+)'", last)
    if msg:   # a JSON error answer: its type and message, whatever the key order
        last = (f"{typ.group(1)}: " if typ else "") + msg.group(1)
    last = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", last)
    inst = [l.strip() for l in lines if l.strip().startswith("On instance")]
    if inst:   # a schema failure: say which field
        last = last.rstrip(")") + " at " + inst[-1].rstrip(":")
    return last[:160]


def trace(stream_in, out):
    """Follow a live subunit stream: one line per finished test, a failure's traceback and log under it. Reading
    the stream (not `stestr last`) keeps every result of a run that the timeout stopped."""
    import subunit, testtools
    n = {"success": 0, "fail": 0, "skip": 0}

    def on_test(t):
        if t["status"] in ("exists", "inprogress"):   # stestr announces every test before running it
            return
        status = t["status"] if t["status"] in n else "fail"
        n[status] += 1
        stamps = [s for s in t["timestamps"] if s]
        took = f" [{(stamps[-1] - stamps[0]).total_seconds():.1f}s]" if len(stamps) == 2 else ""
        out.write(f"{ {'success': 'ok', 'fail': 'FAILED', 'skip': 'SKIPPED'}[status]:7} {t['id']}{took}\n")
        if status != "success":
            for name in ("traceback", "reason", "pythonlogging"):
                d = t["details"].get(name)
                if d is not None and (status == "fail" or name == "reason"):
                    out.write("    " + b"".join(d.iter_bytes()).decode(errors="replace").replace("\n", "\n    ").rstrip() + "\n")
        out.flush()

    stream = subunit.ByteStreamToStreamResult(stream_in, non_subunit_name="stdout")
    result = testtools.StreamToDict(on_test)
    result.startTestRun(); stream.run(result); result.stopTestRun()
    out.write(f"tempest: {n['success']} passed, {n['fail']} failed, {n['skip']} skipped\n")


def parse(region, path, listfile, seconds, timed_out=""):
    import subunit, testtools
    results = {}

    def on_test(t):
        if t["status"] in ("exists", "inprogress"):   # announced, not (yet) run: a run stopped by the timeout
            return
        tid = re.sub(r"\[.*\]$", "", t["id"])
        results[tid] = {"status": t["status"], "reason": reason(t["details"]) if t["status"] == "fail" else
                        (reason(t["details"]) if t["status"] == "skip" else "")}

    with open(path, "rb") as f:
        stream = subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")
        result = testtools.StreamToDict(on_test)
        result.startTestRun(); stream.run(result); result.stopTestRun()
    counts = {}
    for tid, r in results.items():
        c = counts.setdefault(service(tid), {"success": 0, "fail": 0, "skip": 0})
        c[{"success": "success", "fail": "fail", "skip": "skip"}.get(r["status"], "fail")] += 1
    listed = [l.strip() for l in open(listfile) if l.strip()]
    return {"region": region, "seconds": int(seconds), "listed_patterns": len(listed), "timed_out": bool(timed_out),
            "counts": counts,
            "failures": {t: r["reason"] for t, r in sorted(results.items()) if r["status"] == "fail"},
            "skips": {t: r["reason"] for t, r in sorted(results.items()) if r["status"] == "skip"}}


def table(res):
    out = [f"Tempest against {res['region']} ({res['seconds']} s" + (", STOPPED by TEMPEST_TIMEOUT: the tests after the last"
           " result did not run" if res.get("timed_out") else "") + "):"]
    tot = {"success": 0, "fail": 0, "skip": 0}
    for s in SERVICES + tuple(k for k in res["counts"] if k not in SERVICES):
        c = res["counts"].get(s)
        if not c:
            continue
        for k in tot:
            tot[k] += c[k]
        out.append(f"  {s:8} passed {c['success']:3}  failed {c['fail']:3}  skipped {c['skip']:3}")
    out.append(f"  {'total':8} passed {tot['success']:3}  failed {tot['fail']:3}  skipped {tot['skip']:3}")
    return "\n".join(out)


def markdown(results):
    lines = ["<!-- generated by e2e/tempest/summarize.py --write: do not edit below -->", "",
             "| region | service | passed | failed | skipped |", "|---|---|---|---|---|"]
    for res in results:
        for s, c in sorted(res["counts"].items(), key=lambda kv: (SERVICES + (kv[0],)).index(kv[0])):
            lines.append(f"| {res['region']} | {s} | {c['success']} | {c['fail']} | {c['skip']} |")
    for res in results:
        stopped = " (stopped by TEMPEST_TIMEOUT)" if res.get("timed_out") else ""
        lines += ["", f"### Failing against {res['region']} ({len(res['failures'])} tests, run took {res['seconds']} s{stopped})", ""]
        by_reason = {}
        for t, r in res["failures"].items():
            by_reason.setdefault(r, []).append(t)
        for r, tests in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(t.replace("tempest.api.", "") for t in tests[:6]) + (f" (+{len(tests) - 6} more)" if len(tests) > 6 else "")
            lines.append(f"- {len(tests)} x `{r.replace('`', '')}`: {shown}")
        if res["skips"]:
            lines += ["", f"Skipped by Tempest itself against {res['region']}: {len(res['skips'])} (feature flags or microversions)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "--print":
        for p in a[1:]:
            print(table(json.load(open(p))))
    elif a[0] == "--write":
        md, results = a[1], [json.load(open(p)) for p in a[2:]]
        head = open(md).read().split("<!-- generated by")[0]
        open(md, "w").write(head + markdown(results))
        for r in results:
            print(table(r))
    elif a[0] == "--trace":
        trace(sys.stdin.buffer, sys.stdout)
    else:
        json.dump(parse(*a[:5]), sys.stdout, indent=1)
