# cutproxy.py - a TCP proxy for the CLI tests (t1220, t1250) and the demo:
# forwards bytes between a client and 127.0.0.1:UPSTREAM until CAP bytes
# have gone either way on a connection, then shuts both sides, as a mobile
# link that drops does ("cut N" or "done N" in LOGFILE, one per connection).
# With CONNECTIONS, only the first that many are forwarded and each later one
# is closed as soon as it is made: a link gone for good in the middle of a
# run ("pass" or "refused" in LOGFILE as each comes).
#   python3 cutproxy.py PORT UPSTREAM CAP LOGFILE [CONNECTIONS]
import socket, sys, threading
port, upstream, cap, log = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
limit = int(sys.argv[5]) if len(sys.argv) > 5 else None
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
lock = threading.Lock()

def note(line):
    with open(log, "a") as f:
        f.write(line + "\n")

def serve(c):
    try:
        u = socket.create_connection(("127.0.0.1", upstream))
    except OSError:
        c.close()
        return
    st = {"n": 0, "cut": False}

    def pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                with lock:
                    d = d[:max(cap - st["n"], 0)]
                    st["n"] += len(d)
                    full = st["n"] >= cap
                if d:
                    b.sendall(d)
                if full:
                    st["cut"] = True
                    note("cut %d" % st["n"])
                    break
        except OSError:
            pass
        if st["cut"]:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        else:
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    t = threading.Thread(target=pump, args=(u, c))
    t.start()
    pump(c, u)
    t.join()
    if not st["cut"]:
        note("done %d" % st["n"])
    c.close()
    u.close()

seen = 0
while True:
    c, _ = srv.accept()
    seen += 1
    if limit is not None:
        if seen > limit:
            note("refused")
            c.close()
            continue
        note("pass")
    threading.Thread(target=serve, args=(c,), daemon=True).start()
