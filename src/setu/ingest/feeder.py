"""A small NMEA feeder: serves AIS sentences over TCP or sends them over UDP at a set rate.

Used by the end-to-end tests and the live-feed benchmark, and handy for trying ``setu ingest
--tcp`` by hand::

    python -m setu.ingest.feeder tcp --port 0 --rate 50000 --count 200000
    python -m setu.ingest.feeder udp --port 10110 --rate 5000 --count 20000

In TCP mode it listens on 127.0.0.1 (``--port 0`` picks a free port), prints ``READY <port>``
on stdout once listening, and serves one client at a time. Faults to test a client against:

- ``--drop-after N``: close the connection and the listening socket after N sentences, stay
  down ``--down-s`` seconds, listen again on the same port and send the rest;
- ``--stall-after N``: after N sentences go silent with the connection open for ``--stall-s``
  seconds (or until SIGUSR1); a client that hangs up meanwhile gets the rest on its next
  connection, so nothing sent is lost and a client's idle timeout can be tested exactly;
- ``--hold-s S``: after the last sentence keep the connection open (silent) up to S seconds,
  until the client hangs up, or until SIGUSR1.

Before a stall and before holding it prints ``DELIVERED <n>`` once the peer's kernel has
acknowledged every byte sent (Linux ``SIOCOUTQ``): the n sentences are then in the client's hands
or its socket buffer. At the end it prints one JSON line: ``{"sent": n, "elapsed_s": s, "lag_s":
s, "clients": k}`` where ``lag_s`` is how far the sending fell behind the schedule (a reader that
cannot keep up makes TCP sends block, so lag grows) and ``clients`` the connections served; UDP
mode adds ``datagrams``.

Sentences are AIS type 1 position reports (ITU-R M.1371-5, 168 bits) with distinct MMSIs and
positions, made from ``--source FILE`` lines instead when given.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import signal
import socket
import struct
import sys
import termios
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

__all__ = ["TcpFaults", "armour", "nmea_checksum", "position_sentence", "sentences", "serve_tcp"]

_BATCH_S = 0.005
_DISTINCT = 20_000
_DELIVERY_WAIT_S = 60.0
#: Set by SIGUSR1: ends a stall or a hold early.
_release = threading.Event()


def armour(bits: str) -> tuple[str, int]:
    """The 6-bit ASCII armour of a bit string and its fill bits."""
    fill = (-len(bits)) % 6
    bits += "0" * fill
    chars = []
    for i in range(0, len(bits), 6):
        v = int(bits[i : i + 6], 2)
        chars.append(chr(v + 48 if v < 40 else v + 56))
    return "".join(chars), fill


def nmea_checksum(body: str) -> str:
    """The two hex digits of the NMEA 0183 checksum (XOR of the body between ! and *)."""
    value = 0
    for ch in body:
        value ^= ord(ch)
    return f"{value:02X}"


def _u(value: int, width: int) -> str:
    return format(value & ((1 << width) - 1), f"0{width}b")


def position_sentence(i: int, *, channel: str = "A") -> str:
    """A valid ``!AIVDM`` type 1 sentence; ``i`` varies MMSI, position, speed and course."""
    mmsi = 200_000_000 + (i % 700_000_000)
    lon = int((-170 + (i * 0.0137) % 340) * 600_000)
    lat = int((-80 + (i * 0.0071) % 160) * 600_000)
    bits = (
        _u(1, 6)
        + _u(0, 2)
        + _u(mmsi, 30)
        + _u(i % 9, 4)
        + _u(0, 8)
        + _u(i % 1000, 10)
        + _u(1, 1)
        + _u(lon, 28)
        + _u(lat, 27)
        + _u((i * 7) % 3600, 12)
        + _u(i % 360, 9)
        + _u(i % 60, 6)
        + _u(0, 2)
        + _u(0, 3)
        + _u(0, 1)
        + _u(i % (1 << 19), 19)
    )
    payload, fill = armour(bits)
    body = f"AIVDM,1,1,,{channel},{payload},{fill}"
    return f"!{body}*{nmea_checksum(body)}"


def sentences(count: int, source: Path | None = None) -> list[bytes]:
    """``count`` lines (CRLF-terminated), cycling through generated type 1 reports (at most
    ``_DISTINCT`` different ones, to start fast) or through the lines of ``source``."""
    if source is None:
        lines = [position_sentence(i).encode() for i in range(min(count, _DISTINCT))]
    else:
        lines = [ln for ln in source.read_bytes().splitlines() if ln.strip()]
    if not lines:
        raise SystemExit(f"{source}: no lines to send")
    return [lines[i % len(lines)] + b"\r\n" for i in range(count)]


class _Pacer:
    """Hands out batches of lines on a schedule of ``rate`` lines per second."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.start = time.monotonic()
        self.sent = 0

    def due(self) -> int:
        """Lines that should have been sent by now and were not (sleeping until one is due)."""
        while True:
            target = int((time.monotonic() - self.start) * self.rate) + 1
            if target > self.sent:
                return target - self.sent
            time.sleep(min(_BATCH_S, (self.sent + 1 - target) / self.rate + 1e-4))

    def lag_s(self) -> float:
        return max(0.0, time.monotonic() - self.start - self.sent / self.rate)

    def resume(self) -> None:
        """Carry on the schedule from now (after a stall), without a burst to catch up."""
        self.start = time.monotonic() - self.sent / self.rate


def _listen(port: int) -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    return server


def _send_run(conn: socket.socket, lines: Sequence[bytes], pacer: _Pacer, stop_at: int) -> None:
    while pacer.sent < stop_at:
        n = min(pacer.due(), stop_at - pacer.sent, 20_000)
        conn.sendall(b"".join(lines[pacer.sent : pacer.sent + n]))
        pacer.sent += n


@dataclass(frozen=True)
class TcpFaults:
    """Faults the TCP feeder plays (see the module docstring); None/0: not played."""

    drop_after: int | None = None
    down_s: float = 1.0
    stall_after: int | None = None
    stall_s: float = 0.0
    hold_s: float = 0.0


def _unacknowledged_bytes(conn: socket.socket) -> int:
    raw = fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    return int(struct.unpack("i", raw)[0])


def _announce_delivered(conn: socket.socket, sent: int) -> None:
    """Print ``DELIVERED <sent>`` once the peer acknowledged everything (or give up quietly)."""
    deadline = time.monotonic() + _DELIVERY_WAIT_S
    while time.monotonic() < deadline:
        try:
            if _unacknowledged_bytes(conn) == 0:
                print(f"DELIVERED {sent}", flush=True)
                return
        except OSError:
            return
        time.sleep(0.01)


def _wait_hangup(conn: socket.socket, timeout_s: float) -> bool:
    """Stay silent up to ``timeout_s`` (or until SIGUSR1); True when the client hung up."""
    conn.settimeout(0.05)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not _release.is_set():
        try:
            if conn.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def _close(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_WR)
    _drain(conn)
    conn.close()


def serve_tcp(
    lines: Sequence[bytes], *, port: int, rate: float, faults: TcpFaults = TcpFaults()
) -> dict[str, float]:
    """Serve ``lines`` to one TCP client at a time, playing ``faults``."""
    server = _listen(port)
    port = server.getsockname()[1]
    print(f"READY {port}", flush=True)
    steps = [(len(lines), "end")]
    if faults.drop_after is not None:
        steps.append((faults.drop_after, "drop"))
    if faults.stall_after is not None:
        steps.append((faults.stall_after, "stall"))
    conn, _ = server.accept()
    clients, pacer = 1, _Pacer(rate)
    for stop_at, step in sorted(steps):
        _send_run(conn, lines, pacer, stop_at)
        if step == "drop":
            _close(conn)
            server.close()
            time.sleep(faults.down_s)
            server = _listen(port)
        elif step == "stall":
            _announce_delivered(conn, pacer.sent)
            if not _wait_hangup(conn, faults.stall_s):
                _release.clear()
                pacer.resume()
                continue
            conn.close()
        else:
            _announce_delivered(conn, pacer.sent)
            _wait_hangup(conn, faults.hold_s)
            _close(conn)
            break
        conn, _ = server.accept()
        clients += 1
        pacer.resume()
    server.close()
    return {
        "sent": pacer.sent,
        "elapsed_s": time.monotonic() - pacer.start,
        "lag_s": pacer.lag_s(),
        "clients": clients,
    }


def _drain(conn: socket.socket) -> None:
    """Wait (briefly) for the client to see the end of the stream."""
    conn.settimeout(2.0)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        return


def send_udp(lines: Sequence[bytes], *, host: str, port: int, rate: float) -> dict[str, float]:
    """Send ``lines`` as datagrams of up to 8 lines each to ``host:port``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pacer = _Pacer(rate)
    datagrams = 0
    with sock:
        while pacer.sent < len(lines):
            n = min(pacer.due(), len(lines) - pacer.sent)
            end = pacer.sent + n
            for i in range(pacer.sent, end, 8):
                sock.sendto(b"".join(lines[i : min(i + 8, end)]), (host, port))
                datagrams += 1
            pacer.sent = end
    return {
        "sent": pacer.sent,
        "elapsed_s": time.monotonic() - pacer.start,
        "lag_s": pacer.lag_s(),
        "datagrams": datagrams,
    }


def _on_sigusr1(signum: int, frame: FrameType | None) -> None:
    _release.set()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m setu.ingest.feeder", description=__doc__)
    parser.add_argument("mode", choices=("tcp", "udp"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1", help="UDP destination host")
    parser.add_argument("--rate", type=float, default=50_000.0, help="sentences per second")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--source", type=Path, default=None, help="send this file's lines")
    parser.add_argument("--drop-after", type=int, default=None)
    parser.add_argument("--down-s", type=float, default=1.0)
    parser.add_argument("--stall-after", type=int, default=None)
    parser.add_argument("--stall-s", type=float, default=0.0)
    parser.add_argument("--hold-s", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.count < 1:
        parser.error("--rate and --count must be positive")
    lines = sentences(args.count, args.source)
    if args.mode == "tcp":
        signal.signal(signal.SIGUSR1, _on_sigusr1)
        faults = TcpFaults(
            args.drop_after, args.down_s, args.stall_after, args.stall_s, args.hold_s
        )
        report = serve_tcp(lines, port=args.port, rate=args.rate, faults=faults)
    else:
        if args.port == 0:
            parser.error("udp mode needs --port (the listener's port)")
        report = send_udp(lines, host=args.host, port=args.port, rate=args.rate)
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
