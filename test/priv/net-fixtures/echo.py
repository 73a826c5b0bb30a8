# A bounded TCP+UDP echo listener for the netzone matrix: answers "<tag>:<data>" on PORT, exits after SECS.
# UDP binds ADDR when given, so replies leave from the address the probe sent to (conntrack matches them).
import socket, sys, threading, time
port, tag, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
udp_addr = sys.argv[4] if len(sys.argv) > 4 else "0.0.0.0"
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.settimeout(2)
        try: c.sendall(f"{tag}:".encode() + c.recv(64))
        except Exception: pass
        c.close()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((udp_addr, port))
    while True:
        d, a = s.recvfrom(64); s.sendto(f"{tag}:".encode() + d, a)
threading.Thread(target=tcp, daemon=True).start()
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
time.sleep(secs)
