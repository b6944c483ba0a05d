"""A throwaway single-node Slurm cluster for tests and benchmarks.

``SlurmCluster(folder).start()`` writes a munge key, a slurm.conf and a cgroup.conf into
``folder``, starts munged, slurmctld and slurmd (Debian's slurm-wlm 22.05 and munge) on free
loopback ports below 32768, and returns once ``scontrol ping`` says the controller is UP and
``sinfo`` shows the node idle. ``env()`` gives the variables (``SLURM_CONF``) a client such as
``mlws server`` needs to reach it. ``stop()`` ends the three daemons (SIGTERM, then SIGKILL).

The node is this machine, with more CPUs than it has (``SlurmdParameters=config_overrides``) so
many small jobs run at once; process tracking is ``proctrack/linuxproc`` and there is no
accounting daemon (``sacct`` has nothing: clients fall back to ``scontrol show job``).

Run as a script, it brings a cluster up in a folder and keeps it until interrupted:
``python -m mlws_testkit.slurm /tmp/slurm`` (prints the ``export SLURM_CONF=…`` line).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlws_testkit.net import free_port

NODE = "mlwsnode"
PARTITION = "debug"
CPUS = 256
READY_TIMEOUT_S = 60.0

DAEMONS = ("munged", "slurmctld", "slurmd")


def available() -> str | None:
    """None when the Slurm and munge binaries are installed, else what is missing."""
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol",
                           "sinfo", "scancel")
               if shutil.which(b) is None and not os.path.exists(f"/usr/sbin/{b}")]
    if missing:
        return "not installed: " + ", ".join(missing) + " (apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "slurmd must run as root"
    return None


def _bin(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


class SlurmCluster:
    def __init__(self, folder: Path | str, partition: str = PARTITION, cpus: int = CPUS):
        self.dir = Path(folder)
        self.partition = partition
        self.cpus = cpus
        self.procs: dict[str, subprocess.Popen] = {}
        self.ctld_port = 0
        self.slurmd_port = 0
        self.started_after_s = None

    @property
    def conf(self) -> Path:
        return self.dir / "slurm.conf"

    def env(self) -> dict:
        return {"SLURM_CONF": str(self.conf)}

    def _write_config(self) -> None:
        d = self.dir
        for sub in ("state", "spool", "munge", "log"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(d / "munge", 0o711)  # the socket must be reachable
        key = d / "munge" / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
            os.chmod(key, 0o400)
        self.ctld_port = free_port()
        self.slurmd_port = free_port()
        while self.slurmd_port == self.ctld_port:
            self.slurmd_port = free_port()
        sock = d / "munge" / "munge.sock"
        self.conf.write_text(f"""\
ClusterName=mlwstest
SlurmctldHost={os.uname().nodename.split(".")[0]}(127.0.0.1)
MailProg=/bin/true
SlurmctldPort={self.ctld_port}
SlurmdPort={self.slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={d / 'state'}
SlurmdSpoolDir={d / 'spool'}
SlurmctldPidFile={d / 'slurmctld.pid'}
SlurmdPidFile={d / 'slurmd.pid'}
SlurmctldLogFile={d / 'log' / 'slurmctld.log'}
SlurmdLogFile={d / 'log' / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
MaxJobCount=100000
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
Waittime=0
PlugStackConfig={d / 'plugstack.conf'}
NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={os.uname().nodename} CPUs={self.cpus} \
RealMemory=1000 State=UNKNOWN
PartitionName={self.partition} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")
        (d / "plugstack.conf").write_text("")
        (d / "cgroup.conf").write_text("CgroupPlugin=autodetect\nIgnoreSystemd=yes\n")

    def _spawn(self, name: str, argv: list[str]) -> None:
        out = open(self.dir / "log" / f"{name}.out", "ab")  # noqa: SIM115 (kept by the child)
        self.procs[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            env={**os.environ, **self.env()})
        out.close()

    def _run(self, *argv: str, timeout: float = 10) -> subprocess.CompletedProcess:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env={**os.environ, **self.env()})

    def _check_alive(self) -> None:
        for name, p in list(self.procs.items()):
            if p.poll() is not None:
                logs = self.logs()
                self.stop()
                raise RuntimeError(f"{name} exited with code {p.returncode}:\n{logs}")

    def _wait(self, what: str, ready, deadline: float) -> None:
        while not ready():
            self._check_alive()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the test Slurm cluster: {what} not ready within "
                                   f"{READY_TIMEOUT_S:.0f} s:\n{self.logs()}")
            time.sleep(0.05)

    def start(self) -> "SlurmCluster":
        why = available()
        if why:
            raise RuntimeError("cannot start a test Slurm cluster: " + why)
        t0 = time.monotonic()
        deadline = t0 + READY_TIMEOUT_S
        self._write_config()
        m = self.dir / "munge"
        self._spawn("munged", [_bin("munged"), "--foreground", "--force",
                               f"--socket={m / 'munge.sock'}", f"--key-file={m / 'munge.key'}",
                               f"--pid-file={m / 'munged.pid'}", f"--log-file={m / 'munged.log'}",
                               f"--seed-file={m / 'munged.seed'}", "--num-threads=4"])
        self._wait("munged", lambda: (m / "munge.sock").exists(), deadline)
        self._spawn("slurmctld", [_bin("slurmctld"), "-D", "-i", "-f", str(self.conf)])

        def ctld_up() -> bool:
            try:
                r = self._run("scontrol", "ping", timeout=5)
            except subprocess.TimeoutExpired:
                return False
            return r.returncode == 0 and "is UP" in r.stdout

        self._wait("slurmctld (scontrol ping)", ctld_up, deadline)
        self._spawn("slurmd", [_bin("slurmd"), "-D", "-N", NODE, "-f", str(self.conf)])

        def node_idle() -> bool:
            # "idle" exactly ("idle*" = not responding), and slurmd has registered.
            try:
                r = self._run("sinfo", "-h", "-n", NODE, "-o", "%T", timeout=5)
                n = self._run("scontrol", "-o", "show", "node", NODE, timeout=5)
            except subprocess.TimeoutExpired:
                return False
            return (r.returncode == 0 and r.stdout.strip() == "idle" and n.returncode == 0
                    and "SlurmdStartTime=" in n.stdout
                    and "SlurmdStartTime=None" not in n.stdout)

        self._wait("slurmd (sinfo: node idle)", node_idle, deadline)
        self.started_after_s = time.monotonic() - t0
        return self

    def stop(self) -> None:
        for name in reversed(DAEMONS):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()

    def logs(self) -> str:
        out = []
        for f in sorted((self.dir / "log").glob("*")):
            try:
                out.append(f"--- {f.name}\n" + f.read_text(errors="replace")[-4000:])
            except OSError:
                pass
        return "\n".join(out)

    def __enter__(self) -> "SlurmCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/mlws-slurm")
    cluster = SlurmCluster(folder).start()
    print(f"Slurm is up in {cluster.started_after_s:.1f} s (controller port {cluster.ctld_port}).")
    print(f"export SLURM_CONF={cluster.conf}")
    sys.stdout.flush()
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
