#!/usr/bin/env python3
"""Are two runs' outputs the same? Every Parquet file equal row for row
(values, types, order) and footer key-value metadata but the run id, and the
manifests equal leaving out run ids, timings, paths of the run and of the
binary. Used for before/after checks of changes that must not change output:

    same_outputs.py RUN_A RUN_B       (exit 0 when the same, 1 listing differences)
"""
import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

IGNORED = {"run_id", "timings", "timings_ms", "started", "finished", "duration_ms",
           "run_dir", "out", "published_run", "previous_run_id", "version"}


def scrub(v):
    if isinstance(v, dict):
        return {k: scrub(x) for k, x in v.items() if k not in IGNORED}
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v


def main(a, b):
    a, b = Path(a).resolve(), Path(b).resolve()
    diffs = []
    names = sorted({p.name for p in a.glob("*.parquet")} | {p.name for p in b.glob("*.parquet")})
    for name in names:
        if not (a / name).exists() or not (b / name).exists():
            diffs.append(f"{name}: only in one run")
            continue
        ta, tb = pq.read_table(a / name), pq.read_table(b / name)
        if not ta.equals(tb):
            diffs.append(f"{name}: rows differ ({ta.num_rows} vs {tb.num_rows})")
        ma = {k: v for k, v in (ta.schema.metadata or {}).items() if b"run_id" not in k}
        mb = {k: v for k, v in (tb.schema.metadata or {}).items() if b"run_id" not in k}
        if ma != mb:
            diffs.append(f"{name}: footer metadata differs")
        print(f"{name}: {ta.num_rows} rows {'same' if ta.equals(tb) else 'DIFFERENT'}")
    ja = scrub(json.loads((a / "manifest.json").read_text()))
    jb = scrub(json.loads((b / "manifest.json").read_text()))
    if ja != jb:
        for k in sorted(set(ja) | set(jb)):
            if ja.get(k) != jb.get(k):
                diffs.append(f"manifest.json: {k} differs")
    print("manifest.json:", "same" if ja == jb else "DIFFERENT")
    for d in diffs:
        print("DIFF", d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
