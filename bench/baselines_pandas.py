"""pandas/numpy side of `npm run bench:baselines` (bench/baselines.ts runs it; not meant alone).

    python bench/baselines_pandas.py FILE.csv

Reads the CSV with pd.read_csv (defaults: C parser, one thread) and computes what a driftwatch
baseline keeps of each column: numeric columns (float or int dtype) get np.quantile (numpy's
default "linear" method) at the deciles and the summary quantiles, mean, population std
(ddof=0, as driftwatch), min and max of their non-missing values; the others get value_counts().
Reading and computing are timed separately with time.perf_counter, one run each.

Prints one JSON object to stdout: versions, seconds (import, read, compute), peak RSS
(ru_maxrss, KB on Linux) and the results, so the TypeScript side can check both sides agree.
"""

import time

T_START = time.perf_counter()

import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DECILES = [i / 10 for i in range(1, 10)]
SUMMARY_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


def category_key(value):
    """A category as driftwatch names it: booleans as true/false, the rest as text."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def stats(frame):
    results = {}
    for name in frame.columns:
        col = frame[name]
        missing = int(col.isna().sum())
        if col.dtype.kind in "fiu":
            values = col.dropna().to_numpy(dtype=np.float64)
            q = np.quantile(values, DECILES + SUMMARY_QUANTILES)
            results[name] = {
                "kind": "numeric",
                "count": int(values.size),
                "missing": missing,
                "deciles": [float(x) for x in q[: len(DECILES)]],
                "quantiles": [float(x) for x in q[len(DECILES) :]],
                "mean": float(values.mean()),
                "std": float(values.std()),
                "min": float(values.min()),
                "max": float(values.max()),
            }
        else:
            counts = col.value_counts()
            results[name] = {
                "kind": "categorical",
                "count": int(counts.sum()),
                "missing": missing,
                "counts": {category_key(k): int(n) for k, n in counts.items()},
            }
    return results


def main(path):
    imported = time.perf_counter()
    frame = pd.read_csv(path)
    read = time.perf_counter()
    results = stats(frame)
    computed = time.perf_counter()
    json.dump(
        {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "rows": len(frame),
            "dtypes": {name: str(dtype) for name, dtype in frame.dtypes.items()},
            "seconds": {
                "import": imported - T_START,
                "read": read - imported,
                "compute": computed - read,
            },
            "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: baselines_pandas.py FILE.csv  (run by bench/baselines.ts)")
    main(sys.argv[1])
