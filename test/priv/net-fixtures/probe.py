# Runs inside a zone member: for each target address, can it reach the echo listener over TCP and
# UDP on PORT, and answer ICMP echo? Prints one JSON object {addr: {tcp, udp, icmp}}; bounded (1 s each).
import json, socket, subprocess, sys
port = int(sys.argv[1]); out = {}
for addr in sys.argv[2:]:
    r = {}
    try:
        s = socket.create_connection((addr, port), timeout=1); s.sendall(b"t"); r["tcp"] = s.recv(64).decode(); s.close()
    except Exception as e: r["tcp"] = False
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); s.sendto(b"u", (addr, port)); r["udp"] = s.recvfrom(64)[0].decode()
    except Exception: r["udp"] = False
    r["icmp"] = subprocess.run(["ping", "-n", "-c1", "-W1", addr], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    out[addr] = r
print(json.dumps(out))
