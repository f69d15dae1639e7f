#!/usr/bin/env python3
"""TCP forwarder from the root network namespace into the cluster's netns.

usage: apiforward.py LISTEN_HOST LISTEN_PORT NETNS_PATH TARGET_HOST TARGET_PORT

The listening socket is created in the namespace the process starts in (the root netns);
then the process joins NETNS_PATH with setns(2), so every outgoing connection is made
inside the cluster's namespace. TLS passes through untouched (the apiserver certificate
carries IP:127.0.0.1). Standard library only.
"""
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
host, port, netns, thost, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])

lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((host, port))
lsock.listen(128)

libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(netns, os.O_RDONLY)
if libc.setns(fd, CLONE_NEWNET) != 0:
    sys.exit("setns(%s) failed: %s" % (netns, os.strerror(ctypes.get_errno())))
os.close(fd)


def pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def handle(client: socket.socket) -> None:
    try:
        upstream = socket.create_connection((thost, tport), timeout=10)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    t.start()
    pipe(client, upstream)
    t.join()
    client.close()
    upstream.close()


print("forwarding %s:%d -> %s %s:%d" % (host, port, netns, thost, tport), flush=True)
while True:
    c, _ = lsock.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
