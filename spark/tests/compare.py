"""Compares a Spark run folder with a `residence run` folder of the same night:
every Parquet output row for row and in order, with the same Arrow schema
(types and nullability), sorting_columns and footer metadata; the manifests'
per-file counts, per-source counts, cities, gate and output row counts.

    python spark/tests/compare.py RUST_RUN SPARK_RUN LABEL

Prints one line per check ("ok" or "FAIL") and, last, "LABEL: N passed, M failed";
exits 1 when a check failed.
"""

import json
import os
import sys

import pyarrow.parquet as pq

passed = failed = 0


def check(label, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok    {label}")
    else:
        failed += 1
        print(f"  FAIL  {label}: {detail}")


def first_difference(a, b):
    if a.num_rows != b.num_rows:
        return f"{a.num_rows} rows against {b.num_rows}"
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        if not x.equals(y):
            xl, yl = x.to_pylist(), y.to_pylist()
            for i, (u, v) in enumerate(zip(xl, yl)):
                if u != v:
                    return f"column {name} row {i}: {u!r} against {v!r}"
    return "tables differ"


def sorting(path):
    md = pq.ParquetFile(path).metadata
    if md.num_row_groups == 0:
        return None
    sc = md.row_group(0).sorting_columns
    return [(c.column_index, c.descending, c.nulls_first) for c in sc] if sc else []


def compare_parquet(rust_dir, spark_dir, name, rust_manifest, spark_manifest):
    rp, sp = os.path.join(rust_dir, name), os.path.join(spark_dir, name)
    if not os.path.exists(sp):
        check(f"{name} exists", False, "missing in the Spark run")
        return
    a, b = pq.read_table(rp), pq.read_table(sp)
    check(
        f"{name} schema (types, nullability)",
        a.schema.remove_metadata() == b.schema.remove_metadata(),
        f"\n{a.schema.remove_metadata()}\n-- against --\n{b.schema.remove_metadata()}",
    )
    ma, mb = a.schema.metadata or {}, b.schema.metadata or {}
    check(
        f"{name} footer metadata",
        mb.get(b"residence.run_id", b"").decode() == spark_manifest["run_id"]
        and mb.get(b"residence.as_of") == ma.get(b"residence.as_of")
        and mb.get(b"residence.version") == ma.get(b"residence.version")
        and set(ma) == set(mb),
        f"{ma} against {mb}",
    )
    sa, sb = sorting(rp), sorting(sp)
    if sa is not None and sb is not None:
        check(f"{name} sorting_columns", sa == sb, f"{sa} against {sb}")
    if a.schema.remove_metadata() != b.schema.remove_metadata():
        try:
            b = b.cast(a.schema.remove_metadata())
        except Exception as e:  # noqa: BLE001
            check(f"{name} rows", False, f"cannot compare: {e}")
            return
    same = a.replace_schema_metadata(None).equals(b.replace_schema_metadata(None))
    check(f"{name} rows ({a.num_rows}) equal and in order", same, "" if same else first_difference(a, b))


def file_counts(m):
    keep = ("source", "path", "bytes", "sha256", "rows", "accepted", "filtered", "rejected", "warnings")
    return [{k: f.get(k) for k in keep} for f in m["files"]]


def main():
    rust_dir, spark_dir, label = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(os.path.join(rust_dir, "manifest.json")) as f:
        rm = json.load(f)
    with open(os.path.join(spark_dir, "manifest.json")) as f:
        sm = json.load(f)
    print(f"{label}: {rust_dir} against {spark_dir}")
    names = sorted(n for n in os.listdir(rust_dir) if n.endswith(".parquet"))
    for name in names:
        compare_parquet(rust_dir, spark_dir, name, rm, sm)
    ia, ib = os.path.join(rust_dir, "persons.idx"), os.path.join(spark_dir, "persons.idx")
    if os.path.exists(ia):
        # Byte for byte but the run id each index names (bytes 16..80).
        def body(p):
            b = open(p, "rb").read()
            return b[:16] + b[80:]
        same = os.path.exists(ib) and body(ia) == body(ib)
        check("persons.idx byte for byte (but its run id)", same, "differs or missing")
    fa, fb = file_counts(rm), file_counts(sm)
    diff = next((f"{x} against {y}" for x, y in zip(fa, fb) if x != y), f"{len(fa)} files against {len(fb)}")
    check(f"manifest per-file counts ({len(fa)} files)", fa == fb, diff)
    src = lambda m: {k: {x: v[x] for x in v if x not in ("previous_rows",)} for k, v in m["sources"].items()}  # noqa: E731
    check("manifest sources", src(rm) == src(sm), f"{src(rm)} against {src(sm)}")
    check("manifest cities", rm["cities"] == sm["cities"], f"{rm['cities']} against {sm['cities']}")
    gate = lambda m: (m["status"], m["published"], m["gate"])  # noqa: E731
    check("manifest gate and status", gate(rm) == gate(sm), f"{gate(rm)} against {gate(sm)}")
    check("manifest outputs", rm["outputs"] == sm["outputs"], f"{rm['outputs']} against {sm['outputs']}")
    check("manifest parameters", rm["parameters"] == sm["parameters"], f"{rm['parameters']} against {sm['parameters']}")
    print(f"{label}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
