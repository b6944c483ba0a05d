"""The frames between the mlws server and a scoring instance (src/serving/scoring_channel.cc).

Request:  u32 length (big-endian) | kind (1 byte: b"R" run, b"P" ping) | u16 id length | id | body
Response: u32 length (big-endian) | u16 HTTP status | body (JSON)
"""
import struct

MAX_FRAME = 64 * 1024 * 1024


def read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_request(sock):
    """(kind, request_id, body) or None when the server closed the connection."""
    head = read_exact(sock, 4)
    if head is None:
        return None
    (length,) = struct.unpack(">I", head)
    if length < 3 or length > MAX_FRAME:
        return None
    payload = read_exact(sock, length)
    if payload is None:
        return None
    kind = payload[0:1]
    (id_len,) = struct.unpack(">H", payload[1:3])
    rid = payload[3:3 + id_len].decode("utf-8", "replace")
    return kind, rid, payload[3 + id_len:]


def write_response(sock, status, body):
    sock.sendall(struct.pack(">IH", len(body) + 2, status) + body)
