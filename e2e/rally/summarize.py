#!/usr/bin/env python3
"""Per-action p50/p95 and failure rates from Rally's JSON reports of two targets (the gateway's CentralRegion
and one region directly): writes summary.md, summary.csv and chart.svg into OUT and prints the table.

usage: summarize.py OUT GATEWAY_REGION DIRECT_REGION"""
import csv
import json
import os
import sys


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def actions(atomic, prefix=""):
    for a in atomic:
        if a.get("finished_at") is not None and a.get("started_at") is not None:
            yield prefix + a["name"], a["finished_at"] - a["started_at"], bool(a.get("failed"))
        yield from actions(a.get("children") or [], prefix)


def read(path):
    """{scenario: {"iterations": n, "failed": n, "actions": {name: [seconds]}, "errors": [text]}}"""
    out = {}
    with open(path) as f:
        report = json.load(f)
    for task in report.get("tasks", []):
        for sub in task.get("subtasks", []):
            for w in sub.get("workloads", []):
                name = w.get("name") or sub.get("title")
                entry = out.setdefault(name, {"iterations": 0, "failed": 0, "actions": {}, "errors": []})
                for it in w.get("data", []):
                    entry["iterations"] += 1
                    if it.get("error"):
                        entry["failed"] += 1
                        if len(entry["errors"]) < 3:
                            entry["errors"].append(" ".join(str(e) for e in it["error"][:2])[:300])
                    for action, seconds, failed in actions(it.get("atomic_actions") or []):
                        if not failed:
                            entry["actions"].setdefault(action, []).append(seconds)
    return out


def fmt(v):
    return "-" if v is None else f"{v * 1000:.0f}"


def chart(rows, gw, direct, path):
    """Horizontal bars: p50 per action, gateway and direct side by side (SVG, no plotting library)."""
    bar, gap, left, width = 12, 10, 480, 420
    top = 40
    peak = max([r[2] or 0 for r in rows] + [r[4] or 0 for r in rows] + [0.001])
    height = top + len(rows) * (2 * bar + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{height}" '
             'font-family="sans-serif" font-size="12">',
             f'<text x="10" y="18" font-size="14" font-weight="bold">Rally p50 per action (ms): '
             f'{gw} through the gateway vs {direct} directly</text>',
             f'<rect x="{left}" y="24" width="10" height="10" fill="#3066be"/><text x="{left + 14}" y="33">{gw} (gateway)</text>',
             f'<rect x="{left + 170}" y="24" width="10" height="10" fill="#9aa5b1"/><text x="{left + 184}" y="33">{direct} (direct)</text>']
    y = top
    for scenario, action, g50, _, d50, _ in rows:
        label = f"{scenario.split('.')[-1]}: {action}"
        parts.append(f'<text x="{left - 6}" y="{y + bar + 4}" text-anchor="end">{label}</text>')
        for i, (value, colour) in enumerate(((g50, "#3066be"), (d50, "#9aa5b1"))):
            w = 0 if value is None else max(1, value / peak * width)
            yy = y + i * bar
            parts.append(f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar - 1}" fill="{colour}"/>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{yy + bar - 2}">{fmt(value)}</text>')
        y += 2 * bar + gap
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    out, gw, direct = sys.argv[1], sys.argv[2], sys.argv[3]
    g = read(os.path.join(out, f"results-{gw}.json"))
    d = read(os.path.join(out, f"results-{direct}.json"))
    rows, failures = [], []
    for scenario in sorted(set(g) | set(d)):
        ga, da = g.get(scenario, {}).get("actions", {}), d.get(scenario, {}).get("actions", {})
        for action in sorted(set(ga) | set(da)):
            rows.append((scenario, action, pct(ga.get(action), 0.5), pct(ga.get(action), 0.95),
                         pct(da.get(action), 0.5), pct(da.get(action), 0.95)))
        for label, data in ((gw, g), (direct, d)):
            e = data.get(scenario)
            if e:
                failures.append((scenario, label, e["iterations"], e["failed"], e["errors"]))
    lines = [f"| scenario | action | {gw} p50 ms | {gw} p95 ms | {direct} p50 ms | {direct} p95 ms |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {sc} | {a} | {fmt(g50)} | {fmt(g95)} | {fmt(d50)} | {fmt(d95)} |" for sc, a, g50, g95, d50, d95 in rows]
    lines += ["", "| scenario | target | iterations | failed |", "|---|---|---|---|"]
    lines += [f"| {s} | {t} | {n} | {fl} |" for s, t, n, fl, _ in failures]
    errors = [f"- {s} ({t}): {err}" for s, t, _, _, errs in failures for err in errs]
    if errors:
        lines += ["", "First errors:"] + errors
    text = "\n".join(lines)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "action", f"{gw}_p50_s", f"{gw}_p95_s", f"{direct}_p50_s", f"{direct}_p95_s"])
        w.writerows(rows)
    chart(rows, gw, direct, os.path.join(out, "chart.svg"))
    print(text)
    return 1 if any(fl for _, _, _, fl, _ in failures) else 0


if __name__ == "__main__":
    sys.exit(main())
