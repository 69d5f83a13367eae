#!/usr/bin/env python3
"""bench/monitor_events.py DIR N GAP UID MODE [TIMEOUT] — single-file events.

Creates N files in DIR one at a time, as root (so each starts root:root 0644,
out of policy), and after each waits until a watcher has made it owned by UID
with mode MODE (octal), or TIMEOUT seconds (default 30) passed; then sleeps GAP
seconds. Prints one line:
  events=N repaired=R median_ms=M p99_ms=P max_ms=X
where the times are from the file's creation to the moment it was seen
repaired (polled every 0.5 ms: the figure is within 1 ms of the watcher's).
The files are named ev00000.php ...; the caller removes them.
"""
import os
import sys
import time

d, n, gap, uid, mode = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5], 8)
timeout = float(sys.argv[6]) if len(sys.argv) > 6 else 30.0
lat = []
for i in range(n):
    p = os.path.join(d, "ev%05d.php" % i)
    t0 = time.monotonic()
    os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))
    while True:
        st = os.lstat(p)
        if st.st_uid == uid and (st.st_mode & 0o7777) == mode:
            lat.append(time.monotonic() - t0)
            break
        if time.monotonic() - t0 > timeout:
            break
        time.sleep(0.0005)
    time.sleep(gap)
lat.sort()
k = len(lat)
if k == 0:
    print("events=%d repaired=0 median_ms=- p99_ms=- max_ms=-" % n)
else:
    pick = lambda q: lat[min(k - 1, int(q * k))] * 1000
    print("events=%d repaired=%d median_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (n, k, pick(0.5), pick(0.99), lat[-1] * 1000))
