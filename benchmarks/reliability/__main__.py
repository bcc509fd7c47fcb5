"""`make soak` and `make faults`: python -m benchmarks.reliability soak|faults.

Exit status 0 only when every check passed. Results are printed and written as JSON to
var/reliability/<kind>-<UTC time>.json. See docs/reliability.md.
"""

from __future__ import annotations

import json
import sys
import time

from benchmarks.reliability.stack import ROOT, install_signal_handlers


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("soak", "faults"):
        print("usage: python -m benchmarks.reliability soak|faults", file=sys.stderr)
        return 2
    install_signal_handlers()
    kind = sys.argv[1]
    started = time.time()
    if kind == "soak":
        from benchmarks.reliability.soak import run
    else:
        from benchmarks.reliability.faults import run
    result = run()
    result["wall_seconds"] = round(time.time() - started)
    out = ROOT / "var" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"\nresults: {path.relative_to(ROOT)}")
    print("PASS" if result["ok"] else "FAIL")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
