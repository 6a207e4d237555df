"""Python side of `npm run bench:peers` (bench/peers.ts runs it; not meant alone).

    python bench/peers.py DIR

DIR holds what bench/peers.ts generated: meta.json (feature names, categories, window size,
runs) and per feature the training values (ref_NAME) and every window's values back to back
(cur_NAME), as raw little-endian float64 (.f64, numeric) or int32 category codes (.i32).

Times Evidently, NannyML and alibi-detect on the same windows, each the way its documentation
uses it, with what driftwatch's defaults compute as far as the peer has it:
  - Evidently: one Report per window of ValueDrift(ks) + ValueDrift(psi) per numeric column,
    ValueDrift(chisquare) + ValueDrift(psi) per categorical one (the reference Dataset is
    built once, the window's per window);
  - NannyML: UnivariateDriftCalculator(kolmogorov_smirnov, chi2) with chunk_size = the window
    size; fit on the training rows and calculate over all windows, timed apart;
  - alibi-detect: KSDrift on the numeric columns and ChiSquareDrift on the category codes,
    built once (its fit), predict per window.
Every time is the best of N runs after one warm-up (time.perf_counter). scipy's ks_2samp and
chi2_contingency against the whole training column are computed too, untimed, for the
agreement check. A peer that does not import is reported as missing; the others still run.

Prints one JSON object to stdout.
"""

import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

# Before the peers are imported: NannyML and Evidently send usage telemetry unless told not to
# (a bench must not call out, and a retrying upload would land inside the timed calls).
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import pandas as pd
import scipy
from scipy.stats import chi2_contingency, ks_2samp


def best_of(fn, runs):
    """(best seconds, median seconds, last result) over `runs` runs after one warm-up."""
    result = fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return samples[0], samples[len(samples) // 2], result


def load(directory):
    meta = json.loads((directory / "meta.json").read_text())
    numeric = {
        f: (
            np.fromfile(directory / f"ref_{f}.f64", dtype="<f8"),
            np.fromfile(directory / f"cur_{f}.f64", dtype="<f8"),
        )
        for f in meta["numeric"]
    }
    categorical = {
        f: (
            np.fromfile(directory / f"ref_{f}.i32", dtype="<i4"),
            np.fromfile(directory / f"cur_{f}.i32", dtype="<i4"),
        )
        for f in meta["categorical"]
    }
    return meta, numeric, categorical


def frames(meta, numeric, categorical):
    """Training DataFrame and one DataFrame per window, categories as their names."""

    def frame(side, rows):
        columns = {f: v[side][rows] for f, v in numeric.items()}
        for f, v in categorical.items():
            names = np.array(meta["categorical"][f], dtype=object)
            columns[f] = names[v[side][rows]]
        return pd.DataFrame(columns)

    size = meta["window_events"]
    reference = frame(0, slice(None))
    windows = [frame(1, slice(w * size, (w + 1) * size)) for w in range(meta["windows"])]
    return reference, windows


def run_evidently(meta, reference, windows):
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    numeric, categorical = meta["numeric"], list(meta["categorical"])
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    pairs = [(f, m) for f in numeric for m in ("ks", "psi")]
    pairs += [(f, m) for f in categorical for m in ("chisquare", "psi")]
    report = Report([ValueDrift(column=f, method=m) for f, m in pairs])
    ref = Dataset.from_pandas(reference, data_definition=definition)

    def run():
        return [
            report.run(
                current_data=Dataset.from_pandas(w, data_definition=definition),
                reference_data=ref,
            )
            for w in windows
        ]

    best, median, snapshots = best_of(run, meta["runs"]["evidently"])
    values = {}
    for snapshot in snapshots:
        for (f, m), metric in zip(pairs, snapshot.dict()["metrics"]):
            values.setdefault(f, {}).setdefault(m, []).append(float(metric["value"]))
    return {"seconds": best, "median": median, "values": values}


def run_nannyml(meta, reference, windows):
    import nannyml as nml

    columns = meta["numeric"] + list(meta["categorical"])
    analysis = pd.concat(windows, ignore_index=True)

    def calculator():
        return nml.UnivariateDriftCalculator(
            column_names=columns,
            continuous_methods=["kolmogorov_smirnov"],
            categorical_methods=["chi2"],
            chunk_size=meta["window_events"],
        )

    fit_best, _, fitted = best_of(lambda: calculator().fit(reference), meta["runs"]["nannyml"])
    best, median, result = best_of(
        lambda: fitted.calculate(analysis), meta["runs"]["nannyml"]
    )
    df = result.filter(period="analysis").to_df()
    values = {}
    for f in columns:
        method = "kolmogorov_smirnov" if f in meta["numeric"] else "chi2"
        values[f] = {method: [float(x) for x in df[(f, method, "value")]]}
    return {"fit_seconds": fit_best, "seconds": best, "median": median, "values": values}


def run_alibi(meta, numeric, categorical):
    from alibi_detect.cd import ChiSquareDrift, KSDrift

    size, count = meta["window_events"], meta["windows"]
    num_names, cat_names = meta["numeric"], list(meta["categorical"])
    x_num = np.column_stack([numeric[f][0] for f in num_names])
    x_cat = np.column_stack([categorical[f][0] for f in cat_names])
    cur_num = np.column_stack([numeric[f][1] for f in num_names])
    cur_cat = np.column_stack([categorical[f][1] for f in cat_names])
    win_num = [cur_num[w * size : (w + 1) * size] for w in range(count)]
    win_cat = [cur_cat[w * size : (w + 1) * size] for w in range(count)]

    def fit():
        return KSDrift(x_num, p_val=0.05), ChiSquareDrift(x_cat, p_val=0.05)

    fit_best, _, (ks, chi) = best_of(fit, meta["runs"]["alibi"])

    def run():
        return [(ks.predict(a), chi.predict(b)) for a, b in zip(win_num, win_cat)]

    best, median, predictions = best_of(run, meta["runs"]["alibi"])
    values = {}
    for ks_out, chi_out in predictions:
        for names, out in ((num_names, ks_out), (cat_names, chi_out)):
            for i, f in enumerate(names):
                v = values.setdefault(f, {"statistic": [], "p": []})
                v["statistic"].append(float(out["data"]["distance"][i]))
                v["p"].append(float(out["data"]["p_val"][i]))
    return {"fit_seconds": fit_best, "seconds": best, "median": median, "values": values}


def scipy_reference(meta, numeric, categorical):
    """KS against the whole training column and chi-square of the category counts, per window."""
    size, count = meta["window_events"], meta["windows"]
    out = {}
    for f, (ref, cur) in numeric.items():
        out[f] = []
        for w in range(count):
            r = ks_2samp(ref, cur[w * size : (w + 1) * size])
            out[f].append([float(r.statistic), float(r.pvalue)])
    for f, (ref, cur) in categorical.items():
        k = len(meta["categorical"][f])
        ref_counts = np.bincount(ref, minlength=k)
        out[f] = []
        for w in range(count):
            counts = np.bincount(cur[w * size : (w + 1) * size], minlength=k)
            keep = (ref_counts + counts) > 0
            r = chi2_contingency(np.vstack([ref_counts[keep], counts[keep]]))
            out[f].append([float(r.statistic), float(r.pvalue)])
    return out


def version(module):
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001 - a missing peer is reported, not fatal
        return None


def main(directory):
    warnings.filterwarnings("ignore")
    meta, numeric, categorical = load(directory)
    reference, windows = frames(meta, numeric, categorical)
    peers, missing = {}, {}
    runners = {
        "evidently": lambda: run_evidently(meta, reference, windows),
        "nannyml": lambda: run_nannyml(meta, reference, windows),
        "alibi": lambda: run_alibi(meta, numeric, categorical),
    }
    for name, runner in runners.items():
        print(f"  {name}", file=sys.stderr, flush=True)
        try:
            peers[name] = runner()
        except ImportError as err:
            missing[name] = str(err)
    json.dump(
        {
            "python": platform.python_version(),
            "versions": {
                "numpy": np.__version__,
                "scipy": scipy.__version__,
                "pandas": pd.__version__,
                "evidently": version("evidently"),
                "nannyml": version("nannyml"),
                "alibi-detect": version("alibi_detect"),
            },
            "peers": peers,
            "missing": missing,
            "scipy": scipy_reference(meta, numeric, categorical),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: peers.py DIR  (run by bench/peers.ts)")
    main(Path(sys.argv[1]))
