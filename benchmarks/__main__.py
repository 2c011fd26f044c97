"""The benchmarks, each printing its figures as ratios against its reference, with the target beside them.

    .venv/bin/python -m benchmarks [reads|drain|points|all] [options of that benchmark]

- ``reads`` (reads.py): storefront reads cached and uncached and POSTs under wrk, against bare Flask and the
  minimal-work floor on the same server; RSS of the web workers.
- ``drain`` (drain.py): workers draining cancellations against ``restore_rate / points_per_cancellation`` at
  100 and 1,000 points/s, and three shops at once; RSS of the rq workers.
- ``points`` (points.py): Admin API points per order page, list and cancellation.
- ``all`` (the default): the three in turn, with their defaults.
"""

from __future__ import annotations

import logging
import sys

from benchmarks import drain, points, reads

BENCHMARKS = {"reads": reads.main, "drain": drain.main, "points": points.main}


def main(argv: list[str]) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    name, rest = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("all", argv)
    if name == "all":
        return max(BENCHMARKS[each]([]) for each in ("points", "reads", "drain"))
    if name not in BENCHMARKS:
        print(__doc__, file=sys.stderr)
        return 2
    return BENCHMARKS[name](rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
