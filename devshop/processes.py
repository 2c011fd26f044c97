"""Linux process facts from /proc, for the tests and benchmarks that start and kill the app's processes."""

from __future__ import annotations

from pathlib import Path


def _stat_fields(pid: int) -> list[str]:
    # The command name may hold spaces; the fields after its closing parenthesis are space-separated.
    return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def process_group_of(pid: int) -> int:
    return int(_stat_fields(pid)[2])


def children_of(pid: int) -> list[int]:
    """Direct child processes of ``pid``."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return children


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (0 when it is gone)."""
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
