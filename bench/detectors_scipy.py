"""scipy/numpy side of `npm run bench:detectors` (bench/detectors.ts runs it; not meant alone).

    python bench/detectors_scipy.py DIR

DIR holds the inputs bench/detectors.ts generated, as raw little-endian float64 files
(NAME.f64). Each measurement is timed with time.perf_counter: one warm-up, then the best of
N repeats; calls of a few microseconds are timed in loops of `number` calls and divided.
Prints one JSON object to stdout: versions, and per measurement the best seconds per call
and the computed value (so the TypeScript side can check both sides agree).
"""

import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, chisquare, ks_2samp, wasserstein_distance

PSI_EPSILON = 1e-4


def best_seconds(fn, repeats, number=1, warmup=1):
    """Best seconds per call over `repeats` runs of `number` calls, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def psi(ref, cur):
    r = ref / ref.sum()
    c = cur / cur.sum()
    r = np.where(r == 0, PSI_EPSILON, r)
    c = np.where(c == 0, PSI_EPSILON, c)
    return float(np.sum((c - r) * np.log(c / r)))


def hellinger(p, q):
    d = np.sqrt(p / p.sum()) - np.sqrt(q / q.sum())
    return float(np.sqrt(np.sum(d * d)) / np.sqrt(2))


def main(directory):
    def load(name):
        return np.fromfile(directory / f"{name}.f64", dtype="<f8")

    cuts = load("cuts")
    values = load("values")
    ks_baseline = load("ks_baseline")
    ks_window = load("ks_window")
    exact_a = load("exact_a")
    exact_b = load("exact_b")
    ref = load("ref_counts")
    cur = load("cur_counts")
    expected = load("expected")
    table = np.vstack([ref, cur])

    def bins():
        return np.bincount(np.searchsorted(cuts, values, "right"), minlength=len(cuts) + 1)

    def ks_exact():
        with warnings.catch_warnings():
            # scipy warns when it falls back from exact to asymp; the value says which it used.
            warnings.simplefilter("ignore", RuntimeWarning)
            return ks_2samp(exact_a, exact_b, method="exact")

    micro = {"repeats": 25, "number": 200, "warmup": 200}
    measurements = {
        "bins": (bins, {"repeats": 9}, lambda r: [float(x) for x in r]),
        "ks_100k": (
            lambda: ks_2samp(ks_baseline, ks_window),
            {"repeats": 25},
            lambda r: [float(r.statistic), float(r.pvalue)],
        ),
        "chi2_contingency": (
            lambda: chi2_contingency(table),
            micro,
            lambda r: [float(r.statistic), float(r.pvalue)],
        ),
        "chisquare": (
            lambda: chisquare(cur, expected),
            micro,
            lambda r: [float(r.statistic), float(r.pvalue)],
        ),
        "psi": (lambda: psi(ref, cur), micro, float),
        "jensenshannon": (lambda: jensenshannon(ref, cur, base=2), micro, float),
        "hellinger": (lambda: hellinger(ref, cur), micro, float),
        "ks_exact": (ks_exact, {"repeats": 5}, lambda r: [float(r.statistic), float(r.pvalue)]),
        "wasserstein": (
            lambda: wasserstein_distance(ks_baseline, ks_window),
            {"repeats": 25},
            float,
        ),
    }

    results = {}
    for name, (fn, timing, value) in measurements.items():
        print(f"  {name}", file=sys.stderr, flush=True)
        results[name] = {"seconds": best_seconds(fn, **timing), "value": value(fn())}

    json.dump(
        {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: detectors_scipy.py DIR  (run by bench/detectors.ts)")
    main(Path(sys.argv[1]))
