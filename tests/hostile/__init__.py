"""The hostile-input corpus (issue 15): cases, their execution and the verdict.

- ``corpus.toml``: hand-written cases, by class; ``cases.py`` loads them and expands the
  combinatorial families (each bad ``--at`` value x each subcommand, each awkward name x
  each surface, deep and long inputs);
- ``execute.py``: runs one case in the current process (CLI through ``matdiff.cli.main``,
  the Python API, the web API through FastAPI's TestClient, a real subprocess, raw HTTP
  against a real ``matdiff serve``) and records what happened;
- ``harness.py``: runs cases in worker processes with a per-case time bound (a hang
  kills the worker, fails the case and never hangs CI);
- ``judge.py``: the verdict — matdiff's own error with a located message, or a result
  that passes a numeric check; never a traceback, a foreign exception, a 5xx, a hang or
  an undefined value printed as an answer;
- ``known_failures.txt``: the cases that fail today, with a reason each.

Report mode: ``PYTHONPATH=src .venv/bin/python tests/hostile/report.py`` (a table by
class and surface); CI mode: ``pytest tests/test_hostile.py``.
"""
