"""Run the hostile corpus and print a table by class and surface (report mode).

    PYTHONPATH=src .venv/bin/python tests/hostile/report.py [--write-known] [-k TEXT] [-v]

Columns: cases, passed, failed (and of those, known), known failures that now pass.
``-v`` lists every failure with its problems; ``--write-known`` rewrites
``known_failures.txt`` from this run (each failing id with its first problem as the
reason; the entries of cases left out by ``-k`` are kept); ``-k TEXT`` runs only the
cases whose id contains TEXT.  Exit status 0 when nothing fails outside the known list.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hostile import cases as corpus
from hostile.harness import bound_of, run_cases
from hostile.judge import problems


def _reason(found: list[str]) -> str:
    return found[0].replace("\n", " ")[:150]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--write-known", action="store_true")
    p.add_argument("-k", default="")
    p.add_argument("-v", action="store_true")
    p.add_argument("--slowest", type=int, default=0, metavar="N",
                   help="also list the N slowest cases (CPU seconds in-process, else wall)")
    args = p.parse_args()
    cases = [c for c in corpus.load() if args.k in c["id"]]
    known = corpus.known_failures()
    t0 = time.monotonic()
    failures: dict[str, list[str]] = {}
    totals: Counter[tuple[str, str, str]] = Counter()
    times: dict[str, float] = {}
    for case, out in run_cases(cases):
        in_process = case["surface"] in ("cli", "api")  # judged by CPU time (harness)
        times[case["id"]] = float(out.get("cpu" if in_process else "elapsed",
                                          out.get("elapsed", 0.0)))
        found = problems(case, out, bound_of(case))
        key = (case["cls"], case["surface"])
        totals[(*key, "cases")] += 1
        if found:
            failures[case["id"]] = found
            totals[(*key, "failed")] += 1
            totals[(*key, "known")] += case["id"] in known
        else:
            totals[(*key, "passed")] += 1
            totals[(*key, "fixed")] += case["id"] in known
    elapsed = time.monotonic() - t0
    rows = sorted({(c, s) for c, s, _ in totals})
    head = f"{'class':22} {'surface':11} {'cases':>6} {'passed':>7} {'failed':>7} " \
           f"{'known':>6} {'fixed':>6}"
    print(head)
    print("-" * len(head))
    sums: Counter[str] = Counter()
    for c, s in rows:
        vals = [totals[(c, s, k)] for k in ("cases", "passed", "failed", "known", "fixed")]
        for k, v in zip(("cases", "passed", "failed", "known", "fixed"), vals, strict=True):
            sums[k] += v
        print(f"{c:22} {s:11} " + " ".join(f"{v:>{w}}" for v, w in
                                              zip(vals, (6, 7, 7, 6, 6), strict=True)))
    print("-" * len(head))
    print(f"{'total':22} {'':11} " + " ".join(
        f"{sums[k]:>{w}}" for k, w in zip(("cases", "passed", "failed", "known", "fixed"),
                                          (6, 7, 7, 6, 6), strict=True)))
    print(f"({elapsed:.0f} s)")
    for ident in sorted(times, key=times.__getitem__, reverse=True)[:args.slowest]:
        print(f"  {times[ident]:6.2f} s  {ident}")
    unexpected = sorted(i for i in failures if i not in known)
    fixed = sorted(i for i in known if i not in failures and not known[i].startswith("flaky")
                   and any(c["id"] == i for c in cases))
    if args.v:
        for ident in sorted(failures):
            mark = "known" if ident in known else "NEW"
            print(f"[{mark}] {ident}: {' | '.join(failures[ident])[:400]}")
    if fixed:
        print(f"\n{len(fixed)} known failures pass now (remove them from known_failures.txt):")
        for ident in fixed:
            print(f"  {ident}")
    if unexpected:
        print(f"\n{len(unexpected)} failures not in known_failures.txt:")
        for ident in unexpected:
            print(f"  {ident}: {_reason(failures[ident])}")
    if args.write_known:
        lines = ["# Hostile-corpus cases that fail on the current code (issue 15), one id per",
                 "# line with the first problem found. The runner xfails exactly these; a fix",
                 "# that makes one pass must delete its line (CI mode fails until it does).", ""]
        ran = {c["id"] for c in cases}
        # kept as they are: flaky entries, and the entries of cases this run left out (-k)
        kept = {i for i, r in known.items() if r.startswith("flaky") or i not in ran}
        lines += [f"{i}  # {known[i] if i in kept else _reason(failures[i])}"
                  for i in sorted({*failures, *kept})]
        (corpus.HERE / "known_failures.txt").write_text("\n".join(lines) + "\n",
                                                        encoding="utf-8")
        print(f"wrote {len(failures)} known failures")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
