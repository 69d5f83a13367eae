#!/usr/bin/env python3
"""bench/gentree.py V DIRS FILES — a NetServa vhost for the benchmark.

Creates V with the model's directories (.ssh, .rc/bin, web/{app/public,log,
run,tmp}, msg, ...) and DIRS directories under web/app/public, grouped 50 per
parent (a000/b00 .. a039/b49 for 2,000), each holding FILES empty files. The
benchmark measures metadata work, not data.
Prints the number of entries created (the base itself included).
"""
import os
import sys

v, ndirs, nfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
n = 0


def mkd(p):
    global n
    os.makedirs(p)
    n += 1


def mkf(p, data=b""):
    global n
    with open(p, "wb") as f:
        f.write(data)
    n += 1


os.makedirs(v)
n += 1
for d in (".ssh", ".rc", ".rc/bin", "msg", "web", "web/app", "web/app/public",
          "web/app/public/.well-known", "web/app/public/.well-known/acme-challenge",
          "web/log", "web/run", "web/tmp"):
    mkd(os.path.join(v, d))
mkf(os.path.join(v, ".ssh/authorized_keys"), b"ssh-ed25519 AAAA bench\n")
mkf(os.path.join(v, ".rc/bin/backup.sh"), b"#!/bin/sh\n")
mkf(os.path.join(v, "web/log/access.log"), b"")
mkf(os.path.join(v, "web/app/public/wp-config.php"))
pub = os.path.join(v, "web/app/public")
per = 50
for i in range((ndirs + per - 1) // per):
    a = os.path.join(pub, "a%03d" % i)
    mkd(a)
    for j in range(min(per, ndirs - i * per)):
        b = os.path.join(a, "b%02d" % j)
        mkd(b)
        for k in range(nfiles):
            mkf(os.path.join(b, "f%02d.php" % k))
print(n)
