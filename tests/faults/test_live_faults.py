"""Faults of live feeds, with real processes: a real ``setu ingest`` against the real feeder
(``python -m setu.ingest.feeder``) on 127.0.0.1, checked by exact counts in the store.

- SIGTERM, SIGHUP and SIGINT of a live ingest store everything received, exit 128 + signal and
  say the run is incomplete (the flush interval is set to an hour, so only the stop can flush);
- SIGKILL loses nothing received more than ``flush_interval_s`` + the 1 s heartbeat before it;
- SIGINT of a file ingest stores what was read, says so, and a rerun completes it;
- a feed that cannot be reached is reported with its reason and exits 3;
- a stalled feed is closed after the idle timeout and reconnected, losing nothing;
- a UDP flood: datagrams received + dropped by the kernel = datagrams sent.

The feeder prints ``DELIVERED n`` once the kernel on setu's side has acknowledged n sentences:
from then on they are setu's to keep, whatever happens to the process.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from setu.ingest.feeder import nmea_checksum, position_sentence
from setu.store import MaritimeStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

_WAIT_S = 180.0
#: The store's flush interval when a test wants only the stop to flush.
_NEVER_S = "3600"


class Feeder:
    """The feeder process, with its stdout lines read in the background."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "setu.ingest.feeder", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        self.port = int(self.expect("READY").split()[1]) if args[0] == "tcp" else 0

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def expect(self, prefix: str, timeout_s: float = _WAIT_S) -> str:
        """The next stdout line starting with ``prefix`` (earlier lines are skipped)."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line.startswith(prefix):
                return line
        raise AssertionError(f"feeder never printed {prefix!r}")

    def report(self) -> dict[str, Any]:
        import json

        return json.loads(self.expect("{"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self._pump_thread.join(30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def feeder() -> Iterator[Callable[..., Feeder]]:
    started: list[Feeder] = []

    def start(*args: str) -> Feeder:
        started.append(Feeder(*args))
        return started[-1]

    yield start
    for f in started:
        f.stop()


def _positions(data_dir: Path) -> int:
    return MaritimeStore(data_dir / "ais").counts()["positions"]


def _finish(proc: subprocess.Popen[bytes]) -> tuple[int, dict[str, Any], str]:
    import json

    out, err = proc.communicate(timeout=_WAIT_S)
    text = out.decode().strip()
    summary = json.loads(text.splitlines()[-1]) if text else {}
    return proc.returncode, summary, err.decode()


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)],
    ids=["SIGTERM", "SIGHUP", "SIGINT"],
)
def test_a_signal_stops_a_live_ingest_and_stores_everything_received(
    signum: signal.Signals, code: int, feeder, start_setu, data_dir: Path
) -> None:
    """Regression: SIGTERM or SIGHUP of ``setu ingest --tcp`` stored 0 of 3,000 messages."""
    feed = feeder("tcp", "--count", "3000", "--rate", "20000", "--hold-s", "600")
    env = {"SETU_FLUSH_INTERVAL_S": _NEVER_S}
    proc = start_setu(
        "ingest", "--tcp", f"127.0.0.1:{feed.port}", "--json", data_dir=data_dir, env=env
    )
    feed.expect("DELIVERED 3000")
    proc.send_signal(signum)
    rc, summary, err = _finish(proc)
    assert rc == code, err
    assert summary["messages"] == 3000 and summary["rejected"] == {}
    assert summary["complete"] is False and summary["stopped_by"] == signum.name
    assert summary["stored"] == {"positions": 3000}
    assert _positions(data_dir) == 3000
    assert f"stopped by {signum.name}" in err


def test_sigkill_loses_nothing_older_than_the_flush_interval(
    feeder, start_setu, data_dir: Path
) -> None:
    """What a crash can lose is bounded by SETU_FLUSH_INTERVAL_S plus the 1 s heartbeat."""
    flush_interval_s = 1.0
    feed = feeder(
        "tcp", "--count", "3100", "--rate", "5000",
        "--stall-after", "100", "--stall-s", "600", "--hold-s", "600",
    )  # fmt: skip
    env = {"SETU_FLUSH_INTERVAL_S": str(flush_interval_s)}
    proc = start_setu("ingest", "--tcp", f"127.0.0.1:{feed.port}", data_dir=data_dir, env=env)
    feed.expect("DELIVERED 100")
    deadline = time.monotonic() + _WAIT_S  # setu is warm once the first rows are stored
    while time.monotonic() < deadline and _positions(data_dir) < 100:
        time.sleep(0.1)
    assert _positions(data_dir) == 100
    feed.proc.send_signal(signal.SIGUSR1)  # end the stall: the other 3,000 go now
    feed.expect("DELIVERED 3100")
    time.sleep(flush_interval_s + 1.0 + 2.0)  # the bound, plus scheduling slack
    proc.kill()
    proc.communicate(timeout=_WAIT_S)
    assert _positions(data_dir) == 3100


def _nmea_file(path: Path, lines: int) -> None:
    """``lines`` distinct type 1 reports, each with its own tag-block time."""
    base = [position_sentence(i) for i in range(2000)]
    with path.open("w", encoding="ascii", newline="\n") as out:
        for i in range(lines):
            tag = f"c:{1_735_689_600 + i},s:fault"
            out.write(f"\\{tag}*{nmea_checksum(tag)}\\{base[i % len(base)]}\n")


def _file_offset(pid: int, path: Path) -> int:
    """How far process ``pid`` has read the open file ``path`` (0 while it is not open)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        for fd in fds.iterdir():
            if os.readlink(fd) == str(path):
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                return int(info.split("pos:")[1].split()[0])
    except OSError:
        return 0
    return 0


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
def test_sigint_of_a_file_ingest_says_incomplete_and_a_rerun_completes_it(
    tmp_path: Path, start_setu, run_setu, data_dir: Path
) -> None:
    """Regression: an interrupted file ingest exited 0 and its JSON did not say so."""
    total = 800_000
    nmea = tmp_path / "big.nmea"
    _nmea_file(nmea, total)
    proc = start_setu("ingest", nmea, "--json", data_dir=data_dir)
    deadline = time.monotonic() + _WAIT_S
    while time.monotonic() < deadline and _file_offset(proc.pid, nmea) < 4 * 1024 * 1024:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    rc, summary, err = _finish(proc)
    assert rc == 130, err
    assert summary["complete"] is False and summary["stopped_by"] == "SIGINT"
    read = summary["accepted"]["positions"]
    assert 0 < read < total
    assert summary["rejected"] == {}  # the line cut by the stop is left for the rerun
    assert summary["stored"]["positions"] == read == _positions(data_dir)
    rerun = run_setu("ingest", nmea, "--json", data_dir=data_dir)
    assert rerun.rc == 0, rerun
    assert rerun.json()["complete"] is True and rerun.json()["stopped_by"] is None
    assert _positions(data_dir) == total


@pytest.mark.parametrize("target", ["closed-port", "nosuch.invalid:10110"])
def test_a_feed_that_never_connects_is_reported_and_exits_3(
    target: str, run_setu, data_dir: Path
) -> None:
    """Regression: ``--tcp 127.0.0.1:1`` printed an empty summary and exited 0."""
    address = f"127.0.0.1:{_free_port()}" if target == "closed-port" else target
    run = run_setu("ingest", "--tcp", address, "--duration", "2", "--json", data_dir=data_dir)
    assert run.rc == 3, run
    feed = run.json()["feeds"][0]
    assert feed["connections"] == 0 and feed["failed_attempts"] >= 1
    assert run.json()["complete"] is False
    host = address.rsplit(":", 1)[0]
    assert f"cannot connect to tcp://{address}: " in run.stderr
    assert f"never connected to tcp://{address}" in run.stderr
    if target == "closed-port":
        assert "connection refused" in run.stderr
    else:
        assert f"resolve {host}" in run.stderr or f"{host} does not resolve" in run.stderr


def test_a_stalled_feed_is_reconnected_after_the_idle_timeout(
    feeder, start_setu, data_dir: Path
) -> None:
    """Regression: a feed silent for 40 s was neither detected nor reconnected."""
    feed = feeder(
        "tcp", "--count", "2000", "--rate", "20000",
        "--stall-after", "1000", "--stall-s", "600", "--hold-s", "600",
    )  # fmt: skip
    env = {"SETU_FLUSH_INTERVAL_S": _NEVER_S, "SETU_FEED_IDLE_TIMEOUT_S": "1"}
    proc = start_setu(
        "ingest", "--tcp", f"127.0.0.1:{feed.port}", "--json", data_dir=data_dir, env=env
    )
    feed.expect("DELIVERED 1000")
    feed.expect("DELIVERED 2000")  # sent on the second connection, after setu gave up on the first
    proc.send_signal(signal.SIGINT)
    rc, summary, err = _finish(proc)
    assert rc == 130, err
    assert summary["messages"] == 2000 and summary["rejected"] == {}
    tcp = summary["feeds"][0]
    assert tcp["idle_timeouts"] >= 1 and tcp["reconnects"] >= 1
    assert _positions(data_dir) == 2000
    assert "no data for 1 s; reconnecting" in err
    assert feed.report()["clients"] == 2


def _udp_socket_state(port: int) -> tuple[int, int] | None:
    """(bytes queued, datagrams dropped) of the UDP socket bound to ``port``, from /proc."""
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            return int(fields[4].split(":")[1], 16), int(fields[-1])
    return None


def _wait_udp(port: int, done: Callable[[tuple[int, int] | None], bool]) -> tuple[int, int]:
    deadline = time.monotonic() + _WAIT_S
    while time.monotonic() < deadline:
        state = _udp_socket_state(port)
        if done(state):
            assert state is not None
            return state
        time.sleep(0.02)
    raise AssertionError(f"UDP socket on port {port}: {_udp_socket_state(port)}")


@pytest.mark.skipif(not Path("/proc/net/udp").is_file(), reason="needs Linux /proc/net/udp")
def test_udp_flood_received_plus_dropped_equals_sent(feeder, start_setu, data_dir: Path) -> None:
    """Regression: 122k of 200k datagrams arrived and nothing said 78k were dropped."""
    port = _free_port(socket.SOCK_DGRAM)
    env = {"SETU_UDP_RECEIVE_BUFFER_BYTES": "65536", "SETU_FLUSH_INTERVAL_S": _NEVER_S}
    proc = start_setu("ingest", "--udp", f"127.0.0.1:{port}", "--json", data_dir=data_dir, env=env)
    _wait_udp(port, lambda state: state is not None)  # setu is listening
    flood = feeder("udp", "--port", str(port), "--count", "200000", "--rate", "10000000")
    sent = flood.report()["datagrams"]
    _wait_udp(port, lambda state: state is not None and state[0] == 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:  # brings the drop count
        tx.sendto(position_sentence(999_999).encode() + b"\r\n", ("127.0.0.1", port))
    _, kernel_drops = _wait_udp(port, lambda state: state is not None and state[0] == 0)
    proc.send_signal(signal.SIGINT)
    rc, summary, err = _finish(proc)
    assert rc == 130, err
    udp = summary["feeds"][0]
    assert udp["datagrams"] + udp["datagrams_dropped"] == sent + 1
    assert udp["datagrams_dropped"] == kernel_drops
    stored, repeated = summary["stored"]["positions"], summary["duplicates"]["positions"]
    assert stored + repeated == summary["messages"]  # a sentence repeated within one chunk
    assert stored == _positions(data_dir)
