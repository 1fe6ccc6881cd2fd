#!/usr/bin/env python3
"""Hostile HTTPS clients for certfleetd's limits (test_http_limits.sh). Each mode prints one line
of key=value results.

hostile_client.py flood PORT DPID N PATH LENGTH
    N connections each send a POST of PATH declaring Content-Length LENGTH and then send every
    byte but the last, holding the connection open. Once all have sent (or been closed), prints
    the daemon's resident memory (rss_kib, from /proc/DPID/status), how many connections the
    daemon closed (closed), and whether a new client is answered meanwhile (probe: its status).
hostile_client.py trickle PORT DPID N SECONDS
    N connections each send a request line and then one header line every 0.5 s, reconnecting
    when the daemon closes them, for SECONDS. After 1 s a probe client asks GET /app.css. Prints
    the probe's status and time (probe, probe_s), how many trickling connections the daemon
    closed (closed) and the daemon's CPU seconds over the run (cpu_s).
hostile_client.py slowhead PORT | slowbody PORT
    One connection that sends its headers (slowhead) or a declared 100-byte body (slowbody) one
    line or byte every 0.5 s; prints after how many seconds the daemon closed it (closed_s, or
    "never" after 40 s)."""
import os
import socket
import ssl
import sys
import threading
import time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def connect(port, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return CTX.wrap_socket(s)


def probe(port, path="/app.css", timeout=20):
    """The status of GET path on a new connection, or 'none' when no answer came."""
    try:
        c = connect(port, timeout)
        c.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path).encode())
        data = b""
        while b"\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        c.close()
        return data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
    except (OSError, ssl.SSLError):
        return "none"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def unread(port):
    """Bytes the daemon has received on PORT but not read yet (the rx_queue of /proc/net/tcp)."""
    total = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port:
                total += int(fields[4].split(":")[1], 16)
    return total


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flood(port, pid, n, path, length):
    held, closed, lock = [], [0], threading.Lock()
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (path, length)).encode()
    chunk = b"x" * 65536

    def one():
        try:
            c = connect(port)
            c.sendall(head)
            left = length - 1
            while left > 0:
                m = min(left, len(chunk))
                c.sendall(chunk[:m])
                left -= m
            with lock:
                held.append(c)
        except (OSError, ssl.SSLError):
            with lock:
                closed[0] += 1

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the daemon has read what was sent (a sanitizer build takes its time)
    deadline = time.time() + 120
    while unread(port) > 0 and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    # a connection the daemon gave up reads as closed now
    for c in held:
        c.setblocking(False)
        try:
            if c.recv(1) == b"":
                closed[0] += 1
        except ssl.SSLWantReadError:
            pass
        except (OSError, ssl.SSLError):
            closed[0] += 1
    rss = rss_kib(pid)
    status = probe(port)
    print("rss_kib=%d closed=%d probe=%s" % (rss, closed[0], status), flush=True)
    for c in held:
        c.close()


def trickle(port, pid, n, seconds):
    stop = time.time() + seconds
    closed, lock = [0], threading.Lock()

    def one(i):
        while time.time() < stop:
            try:
                c = connect(port, timeout=seconds + 5)
                c.sendall(b"GET /app.css HTTP/1.1\r\n")
                while time.time() < stop:
                    time.sleep(0.5)
                    c.sendall(b"X-Slow-%d: one more line\r\n" % i)
                c.close()
            except (OSError, ssl.SSLError):
                with lock:
                    closed[0] += 1
                time.sleep(0.2)

    cpu0 = cpu_s(pid)
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(1)
    t0 = time.time()
    status = probe(port, timeout=seconds)
    took = time.time() - t0
    while time.time() < stop:
        time.sleep(0.2)
    for t in threads:
        t.join(timeout=seconds + 10)
    print("probe=%s probe_s=%.1f closed=%d cpu_s=%.1f" % (status, took, closed[0], cpu_s(pid) - cpu0), flush=True)


def slow(port, body):
    c = connect(port)
    if body:
        c.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n")
    else:
        c.sendall(b"GET /app.css HTTP/1.1\r\n")
    t0 = time.time()
    try:
        while time.time() - t0 < 40:
            time.sleep(0.5)
            c.sendall(b"x" if body else b"X-Slow: one more line\r\n")
        print("closed_s=never", flush=True)
    except (OSError, ssl.SSLError):
        print("closed_s=%.0f" % (time.time() - t0), flush=True)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "flood":
        flood(port, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
    elif mode == "trickle":
        trickle(port, int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif mode in ("slowhead", "slowbody"):
        slow(port, mode == "slowbody")
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
