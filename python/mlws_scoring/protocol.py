"""The frames between the mlws server and a scoring instance (src/serving/scoring_channel.cc).

Request:  u32 length (big-endian) | kind (1 byte: b"R" run, b"P" ping) | u16 id length | id | body
Response: u32 length (big-endian) | u16 HTTP status | body (JSON)
"""
import struct

MAX_FRAME = 64 * 1024 * 1024


class FrameReader:
    """Reads request frames from one connection: one recv usually brings a whole frame (the
    server sends the next request only after the answer to this one)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read_request(self):
        """(kind, request_id, body) or None when the server closed the connection."""
        if not self._fill(4):
            return None
        (length,) = struct.unpack_from(">I", self.buf)
        if length < 3 or length > MAX_FRAME:
            return None
        if not self._fill(4 + length):
            return None
        payload = bytes(self.buf[4:4 + length])
        del self.buf[:4 + length]
        kind = payload[0:1]
        (id_len,) = struct.unpack_from(">H", payload, 1)
        rid = payload[3:3 + id_len].decode("utf-8", "replace")
        return kind, rid, payload[3 + id_len:]


def write_response(sock, status, body):
    sock.sendall(struct.pack(">IH", len(body) + 2, status) + body)
