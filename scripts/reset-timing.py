#!/usr/bin/env python3
"""Password-reset requests for a known and an unknown address, in random order against a running server
(`tessera serve --rate-limit off`): their median answer times should not tell them apart.
Usage: scripts/reset-timing.py PORT"""
import http.client, json, time, statistics, sys, random
port=int(sys.argv[1])
def post(path, body):
    c=http.client.HTTPConnection("127.0.0.1",port); c.connect(); t=time.perf_counter()
    c.request("POST",path,json.dumps(body),{"Content-Type":"application/json"}); r=c.getresponse(); r.read(); d=time.perf_counter()-t; c.close(); return r.status,d
post("/api/v1/auth/register",{"email":"known@example.com","password":"Correct-Horse-42","first_name":"K"})
k=[];u=[]
for i in range(600):
    known = random.random() < 0.5
    d=post("/api/v1/auth/password-reset/request",{"email":"known@example.com" if known else "nobod@example.com"})[1]
    (k if known else u).append(d)
    time.sleep(0.005)
print("known median %.3f ms (n=%d), unknown median %.3f ms, diff %.3f ms" % (statistics.median(k)*1e3, len(k), statistics.median(u)*1e3, (statistics.median(k)-statistics.median(u))*1e3))
