"""Runs the test functions of tests/<suite>/test_*.py against one Harness.

usage: runner.py SUITE_DIR [name-filter]
Prints one line per test and ends with "<suite>: N passed, M failed".
"""
import importlib.util
import os
import sys
import time
import traceback

LIB = os.path.dirname(os.path.abspath(__file__))
# tests/lib (the harness and shared helpers) and tests/integration (whose helpers the fault
# suite reuses) are importable from every suite.
sys.path[:0] = [LIB, os.path.join(os.path.dirname(LIB), "integration")]
import harness  # noqa: E402


def main():
    suite_dir = os.path.abspath(sys.argv[1])
    sys.path.insert(0, suite_dir)
    pattern = sys.argv[2] if len(sys.argv) > 2 else ""
    suite = os.path.basename(suite_dir)
    tests, broken = [], []
    for fn in sorted(os.listdir(suite_dir)):
        if fn.startswith("test_") and fn.endswith(".py"):
            spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(suite_dir, fn))
            mod = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(mod)
            except Exception:  # a module that does not import is a failure, not the end of the run
                if pattern in fn[:-3] or not pattern:
                    broken.append(fn)
                    traceback.print_exc()
                continue
            for name in sorted(dir(mod), key=lambda n: getattr(getattr(mod, n), "__code__", None)
                               and getattr(mod, n).__code__.co_firstlineno or 0):
                f = getattr(mod, name)
                if name.startswith("test_") and callable(f) and pattern in fn[:-3] + "." + name:
                    tests.append((fn[:-3] + "." + name, f))
    h = harness.Harness()
    passed, failed = 0, len(broken)
    for fn in broken:
        print("FAIL %s does not import" % fn, flush=True)
    try:
        h.start()
        for name, f in tests:
            t0 = time.time()
            try:
                h.ensure_up()
                h.violations = []
                f(h)
                if h.violations:
                    raise AssertionError("answers that do not match docs/openapi.yaml:\n  " +
                                         "\n  ".join(h.violations))
                passed += 1
                print("PASS %-70s %6.2fs" % (name, time.time() - t0), flush=True)
            except Exception:  # a failing test must not stop the others
                failed += 1
                print("FAIL %-70s %6.2fs" % (name, time.time() - t0), flush=True)
                traceback.print_exc()
                sys.stderr.flush()
    except Exception:
        failed += 1
        traceback.print_exc()
    finally:
        codes = h.stop()
        for svc, code in codes.items():
            if code not in (0, None):
                failed += 1
                print("FAIL %s exited with %s at the end (see %s)" % (svc, code, h.log_dir), flush=True)
    print("%s: %d passed, %d failed" % (suite, passed, failed), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
