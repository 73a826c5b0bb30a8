# The server inside the sandbox for the --publish tests, on 127.0.0.1:PORT (or [::1]:PORT with "6").
# "GET ..." gets a small HTTP answer naming the sandbox. Anything else is "SIZE\n" then a body: the
# server reads to end of file (so it answers only after the client's half-close), then sends the
# sha256 of the body, a newline and SIZE bytes of a pattern, and closes.
import hashlib, socket, sys, threading
port = int(sys.argv[1])
family = socket.AF_INET6 if len(sys.argv) > 2 and sys.argv[2] == "6" else socket.AF_INET
PATTERN = bytes(range(256)) * 4096  # 1 MiB

def serve(c):
    with c:
        data = b""
        while b"\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return
            data += chunk
        head, body = data.split(b"\n", 1)
        if head.startswith(b"GET "):
            text = b"hello from the sandbox\n"
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(text), text))
            return
        size = int(head)
        h = hashlib.sha256(body)
        while True:
            chunk = c.recv(1 << 20)
            if not chunk:
                break
            h.update(chunk)
        c.sendall(h.hexdigest().encode() + b"\n")
        while size > 0:
            n = min(size, len(PATTERN))
            c.sendall(PATTERN[:n])
            size -= n

s = socket.socket(family)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", port))
s.listen(128)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
