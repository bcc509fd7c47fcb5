"""`make mutate`: mutmut over the pure rule modules and the lifecycle and claim services.

Each group runs in its own copy of the project under var/mutmut/<group>/ (mutmut mutates a
copy it keeps in mutants/ there, and its cache there makes a second run incremental: only
mutants of changed functions, or of functions whose tests changed, are run again). The copy is
refreshed from the work tree before each run; files whose content did not change keep their
time stamps, so the cache stays valid. Needs DATABASE_URL (run through
scripts/with-test-services.sh, as `make mutate` does): the complaint rules' and the services'
tests use PostgreSQL, one test database shared by mutmut's workers (--reuse-db).

    python -m tests.mutation [rules|services ...] [--max-children N] [--rerun-survivors]

mutmut keeps a mutant's result while its function is unchanged, even when tests are added; after
new tests, `--rerun-survivors` runs the survivors and the mutants without a test again (a killed
mutant stays killed: the tests that killed it are still there).

Prints the score of each module (killed / mutants) and writes the survivors of each group to
var/mutmut/<group>-survivors.txt. docs/mutation.md has the last scores and why each survivor
is left.
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "mutmut"
MUTMUT = str(Path(sys.executable).with_name("mutmut"))

# What is mutated, and by which tests: the rule tables for the pure modules, the database
# tests of the complaint and claim lifecycles for the services. Integration (Celery) and
# browser tests are left out: they are slow and add nothing the service tests do not.
GROUPS = {
    "rules": {
        "source_paths": [
            "compensation/amounts.py",
            "kernel/clock.py",
            "regulators/eligibility.py",
            "complaints/rules.py",
        ],
        # The rule tables, and the tables of issue 18 that test the same rules at their edges
        # (the art. 49 windows, the coming years' calendar, the 2014 channel rule, the evasive
        # replies and urgent words); the API rows among them are a few and quick.
        "tests": [
            "tests/compensation/test_rules.py",
            "tests/compensation/test_worksheets.py",
            "tests/compensation/test_rule_invariants.py",
            "tests/compensation/test_postal_law_limits.py",
            "tests/escalation/test_clock.py",
            "tests/escalation/test_calendar_rules.py",
            "tests/escalation/test_policies.py",
            "tests/regulators/test_eligibility.py",
            "tests/regulators/test_eligibility_channel.py",
            "tests/regulators/test_deadlines.py",
            "tests/complaints/test_reply_rules.py",
            "tests/complaints/test_repeat_and_urgent.py",
            "tests/complaints/test_evasive_replies.py",
            "tests/complaints/test_urgency_words.py",
        ],
    },
    "services": {
        "source_paths": ["complaints/services", "compensation/services.py"],
        # The access and action matrices are left out: each is one test of a minute, which
        # every surviving mutant would run again (the service tests cover the same checks).
        "tests": [
            "tests/complaints",
            "tests/compensation",
            "tests/api/test_staff.py",
            "tests/api/test_customer.py",
            "tests/api/test_customer_reopen.py",
        ],
        # It reads the services' source for their messages: the mutated copy is not that.
        "pytest_args": ["--ignore=tests/complaints/test_service_messages_i18n.py"],
        "unwrap_atomic": True,
        # One worker: mutmut's workers share the one test database and Redis, and two at once
        # disturb each other (a transactional test's flush, a cache.clear()) — on 3 December
        # that failed tests of mutants no test kills, counted as killed (docs/mutation.md).
        "max_children": 1,
    },
}
# Everything the project needs to import and run its tests, copied next to the mutants: every
# app of the project (a directory with an apps.py: a new app is never forgotten) and the rest.
PROJECT = [
    *sorted(path.name for path in ROOT.iterdir() if (path / "apps.py").is_file()),
    "config",
    "templates",
    "locale",
    "manage.py",
    ".importlinter",
]
PYTEST_ARGS = [
    "--reuse-db",  # one test database for the run, created by mutmut's first (stats) run
    "-p",
    "no:cacheprovider",
    "-m",
    "not integration and not browser",
    "-W",
    "ignore",
]
SKIP = {".venv", "node_modules", "var", "mutants", ".git", "staticfiles", "__pycache__", "media"}


def _sync(source: Path, target: Path, rewrite=None) -> None:
    """Copy the work tree into the group's copy; unchanged files keep their time stamps.

    `rewrite(path)` may give a file's text as the copy should have it (see _unwrap_atomic).
    """
    for path in source.iterdir():
        if path.name in SKIP or path.name.startswith(".pytest") or path.name.startswith(".ruff"):
            continue
        dest = target / path.name
        if path.is_dir():
            dest.mkdir(exist_ok=True)
            _sync(path, dest, rewrite)
            continue
        if not path.is_file():
            continue
        text = rewrite(path) if rewrite else None
        if text is not None:
            if not dest.exists() or dest.read_text() != text:
                dest.write_text(text)
        elif not (dest.exists() and filecmp.cmp(path, dest, shallow=False)):
            shutil.copy2(path, dest)


def _unwrap_atomic(text: str) -> str:
    """`@transaction.atomic` on a function → `with transaction.atomic():` around its body.

    mutmut leaves decorated functions alone (its trampolines copy the function), and every
    write service is decorated: without this their bodies — the permission check first —
    would not be mutated at all. The rewrite means the same: the body runs in one transaction.
    """
    lines = text.splitlines(keepends=True)
    edits = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef) or len(node.decorator_list) != 1:
            continue
        if ast.unparse(node.decorator_list[0]) != "transaction.atomic":
            continue
        body = node.body
        docstring = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
        first = body[1] if docstring and len(body) > 1 else body[0]
        edits.append((node.decorator_list[0].lineno, first.lineno, node.end_lineno, first))
    for decorator, start, end, first in sorted(edits, key=lambda e: e[0], reverse=True):
        for i in range(start - 1, end):
            if lines[i].strip():
                lines[i] = "    " + lines[i]
        lines.insert(start - 1, " " * first.col_offset + "with transaction.atomic():\n")
        del lines[decorator - 1]
    return "".join(lines)


def _config(group: dict) -> str:
    def listing(values):
        return "\n" + "\n".join(f"    {v}" for v in values)

    return (
        "[mutmut]\n"
        f"source_paths ={listing(group['source_paths'])}\n"
        f"also_copy ={listing(PROJECT)}\n"
        f"pytest_add_cli_args_test_selection ={listing(group['tests'])}\n"
        f"pytest_add_cli_args ={listing([*PYTEST_ARGS, *group.get('pytest_args', [])])}\n"
        "use_git_change_detection = false\n"
        # A changed test or helper reruns the mutants it may affect (rather than keeping results).
        "on_dependency_change = rerun\n"
        "use_setproctitle = false\n"
    )


_RESULT = re.compile(r"^\s+(?P<name>\S+__mutmut_\d+): (?P<status>.+)$")
KILLED = ("killed", "timeout", "caught by type check")


def _module_of(name: str) -> str:
    # mutmut names a mutant module.x_function__mutmut_N (or module.xǁClassǁmethod__mutmut_N).
    return name.rsplit(".", 1)[0]


def _results(work: Path, env: dict) -> list[tuple[str, str]]:
    listing = subprocess.run(
        [MUTMUT, "results", "--all", "true"], cwd=work, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    found = (_RESULT.match(line) for line in listing.splitlines())
    return [(m["name"].strip(), m["status"].strip()) for m in found if m]


def run_group(
    name: str, *, max_children: int | None, rerun_survivors: bool = False
) -> dict[str, Counter]:
    group = GROUPS[name]
    max_children = max_children or group.get("max_children", 2)
    work = WORK / name
    work.mkdir(parents=True, exist_ok=True)
    rewrite = None
    if group.get("unwrap_atomic"):
        sources = [ROOT / p for p in group["source_paths"]]

        def rewrite(path: Path):
            mutated = any(path == s or s in path.parents for s in sources)
            return _unwrap_atomic(path.read_text()) if mutated and path.suffix == ".py" else None

    _sync(ROOT, work, rewrite)
    (work / "setup.cfg").write_text(_config(group))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    run = [MUTMUT, "run", "--max-children", str(max_children)]
    if rerun_survivors and (work / "mutants").is_dir():
        # First what was not killed (mutmut runs the quickest first), then what is left undecided
        # (the mutants of functions changed since, and any not reached before).
        again = [n for n, status in _results(work, env) if status not in KILLED]
        if again:
            subprocess.run([*run, *again], cwd=work, env=env, check=True)
    subprocess.run(run, cwd=work, env=env, check=True)
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for mutant, status in _results(work, env):
        counts[_module_of(mutant)][status] += 1
        if status not in KILLED:
            survivors.append(f"{mutant}: {status}")
    (WORK / f"{name}-survivors.txt").write_text("\n".join(survivors) + "\n")
    return counts


def _score(counts: Counter) -> tuple[int, int]:
    killed = sum(counts[status] for status in KILLED)
    return killed, sum(counts.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"of {', '.join(GROUPS)} (default: all)")
    parser.add_argument(
        "--max-children", type=int, default=None,
        help="parallel workers (default: the group's, else 2)",
    )  # fmt: skip
    parser.add_argument(
        "--rerun-survivors", action="store_true",
        help="run the survivors and the mutants without a test again (after tests were added)",
    )  # fmt: skip
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("DATABASE_URL is not set: run through scripts/with-test-services.sh (make mutate)")
        return 2
    unknown = set(args.groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {sorted(unknown)}")
    lines = []
    for name in args.groups or list(GROUPS):
        counts = run_group(
            name, max_children=args.max_children, rerun_survivors=args.rerun_survivors
        )
        total = Counter()
        for module in sorted(counts):
            killed, mutants = _score(counts[module])
            total += counts[module]
            other = ", ".join(
                f"{n} {s}" for s, n in sorted(counts[module].items()) if s != "killed"
            )
            lines.append(
                f"{name:9} {module:40} {killed:5}/{mutants:<5} {100 * killed / mutants:5.1f} %"
                + (f"  ({other})" if other else "")
            )
        killed, mutants = _score(total)
        lines.append(f"{name:9} {'all':40} {killed:5}/{mutants:<5} {100 * killed / mutants:5.1f} %")
        lines.append(f"{'':9} survivors: var/mutmut/{name}-survivors.txt")
    print("\nmutation scores (killed / mutants):")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
