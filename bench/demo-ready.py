#!/usr/bin/env python3
"""Start-to-ready time of `fedgate demo` (BENCHMARKS.md): 5 x (fresh data dir, re-run).

Usage: python3 bench/demo-ready.py target/release/fedgate
"""
import subprocess, time, sys, shutil, signal, statistics, urllib.request
res={"fresh":[], "rerun":[]}
for i in range(5):
    shutil.rmtree("/tmp/fedgate-demo-ready", ignore_errors=True)
    for run in ("fresh","rerun"):
        t=time.monotonic()
        p=subprocess.Popen([sys.argv[1],"demo","--data-dir","/tmp/fedgate-demo-ready","--port","19080"],stdout=subprocess.PIPE,stderr=subprocess.DEVNULL,text=True)
        for line in p.stdout:
            if "demo ready" in line: break
        urllib.request.urlopen("http://127.0.0.1:19081/healthz").read()
        res[run].append(time.monotonic()-t)
        p.send_signal(signal.SIGINT); p.wait()
for k,v in res.items(): print(k, "median %.3f s" % statistics.median(v), ["%.3f"%x for x in v])
