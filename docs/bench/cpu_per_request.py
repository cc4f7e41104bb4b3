#!/usr/bin/env python3
"""Usage: docs/bench/cpu_per_request.py .build/release/tricircle-bench gateway --pod-counts "" [options]
Runs a tricircle-bench gateway command; for each wrk phase, the CPU seconds used by the bench process
(simulated region + gateway) and by nginx, so CPU per request can be compared whatever the machine's load."""
import subprocess, sys, time, os, re
tick = os.sysconf('SC_CLK_TCK')
def cpu(pid):
    try:
        f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    except Exception:
        return 0.0
def pids(name):
    out = subprocess.run(['pgrep', '-x', name], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
phases = []
seen = set()
while proc.poll() is None:
    w = [p for p in pids('wrk') if p not in seen]
    if w:
        seen.add(w[0])
        nginx = pids('nginx')
        start = (cpu(proc.pid), sum(cpu(p) for p in nginx), time.time())
        def alive(pid):
            try:
                return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z'
            except Exception:
                return False
        end = start
        while alive(w[0]):
            end = (cpu(proc.pid), sum(cpu(p) for p in nginx), time.time())
            time.sleep(0.05)
        phases.append((end[0]-start[0], end[1]-start[1], end[2]-start[2]))
    time.sleep(0.02)
out = proc.stdout.read()
print(out.strip())
rows = [l for l in out.split('\n') if re.match(r'^(region|nginx|tricircle)', l)]
for row, (bench, ngx, wall) in zip(rows, phases):
    rate = float(re.split(r"\s{2,}", row)[1])
    n = rate * wall
    print(f'{re.split(r"  +", row)[0]:34s} bench-process CPU {bench:6.2f}s  nginx CPU {ngx:6.2f}s  over {wall:5.1f}s -> {1e6*(bench+ngx)/n:7.1f} µs CPU per request (bench {1e6*bench/n:.1f}, nginx {1e6*ngx/n:.1f})')
