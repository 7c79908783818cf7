#!/usr/bin/env python3
"""Check that every Parquet output of a residence run opens the same way in
pyarrow, pandas, Polars and DuckDB (docs/OUTPUTS.md, SPEC.md §7).

    interop.py RUN_DIR [--changes-dir RUN_DIR2]

RUN_DIR is a run folder (OUT/latest or OUT/runs/<run_id>). --changes-dir names
a second run (made on top of the first) whose changes.parquet must hold rows;
it gets every check too, plus changes.parquet against the eligibility diff of
the two runs. For each file: rows = manifest outputs[name] in all four tools;
the expected columns and types (plain `string`, `list<string>`: no view or
large types); key-value metadata residence.run_id (= manifest = folder name),
residence.as_of, residence.version; sorting_columns in every row group as
documented, and rows really in that order; pandas reads the list columns; one
query per tool (group-by count, a filter on a text column, DuckDB SQL with a
quoted "end") agreeing across tools. Then filtered/rejects rows per (source,
input_file, reason) = the manifest's files[].filtered / .rejected.
Prints one line per file x tool; exits 1 listing every failure.
"""
import argparse
import datetime
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SAMPLE = "430102198504120116"  # the sample person of docs/OUTPUTS.md

# Per output: documented sort order, columns (name:type), and the query each
# tool runs: a count grouped by `group`, and rows where `where` holds.
FILES = {
    "eligibility.parquet": dict(
        sort="city person_id",
        cols="person_id:str city:str county:str status:str basis:str spell_start:date "
        "spell_end:date months_of_evidence:i32 covered_days:i32 strong_days:i32 "
        "evidence_count:i32 sources:list eligible_since:date eligible_on:date "
        "pledge_since:date as_of:date",
        group="status", where=("status", "eligible")),
    "spells.parquet": dict(
        sort="city person_id spell_no",
        cols="person_id:str city:str spell_no:i32 start:date end:date months:i32 "
        "covered_days:i32 evidence_count:i32 sources:list",
        group="city", where=("person_id", SAMPLE)),
    "evidence.parquet": dict(
        sort="city person_id start end source record_id",
        cols="person_id:str city:str division:str source:str record_id:str start:date "
        "end:date input_file:str line:i64",
        group="source", where=("person_id", SAMPLE)),
    "rejects.parquet": dict(
        sort="source input_file line",
        cols="source:str input_file:str line:i64 reason:str detail:str raw:str person_id:str",
        group="reason", where=("reason", "invalid_id_number")),
    "filtered.parquet": dict(
        sort="source input_file line",
        cols="source:str input_file:str line:i64 reason:str person_id:str city:str "
        "record_id:str start:date end:date",
        group="reason", where=("person_id", SAMPLE)),
    "changes.parquet": dict(
        sort="city person_id",
        cols="person_id:str city:str previous_as_of:date previous_status:str "
        "previous_basis:str status:str basis:str as_of:date",
        group="status", where=("status", "eligible")),
    "declarations.parquet": dict(
        sort="city person_id source input_file line",
        cols="source:str person_id:str city:str declared_since:date signed_date:date "
        "counts:bool input_file:str line:i64",
        group="source", where=("source", "pledge")),
}
ARROW = {"str": pa.string(), "date": pa.date32(), "i32": pa.int32(), "i64": pa.int64(),
         "list": pa.list_(pa.string()), "bool": pa.bool_()}
POLARS = {"str": pl.String, "date": pl.Date, "i32": pl.Int32, "i64": pl.Int64,
          "list": pl.List(pl.String), "bool": pl.Boolean}
DUCKDB = {"str": "VARCHAR", "date": "DATE", "i32": "INTEGER", "i64": "BIGINT", "list": "VARCHAR[]",
          "bool": "BOOLEAN"}
META_KEYS = ("residence.run_id", "residence.as_of", "residence.version")

failures = []


def check(ok, message):
    if not ok:
        failures.append(message)
    return ok


def key(v):
    """A group key as all tools should see it: nulls (None, NaN, NA) are None."""
    return None if pd.isna(v) else v


def short(counts):
    text = ", ".join(f"{k}={n}" for k, n in sorted(counts.items(), key=lambda kv: str(kv[0])))
    return "{" + (text if len(text) <= 56 else text[:53] + "...") + "}"


# One function per tool: (rows, {group key: count}, rows matching `where`, extra text).
def with_pyarrow(path, spec, cols):
    table = pq.read_table(path)
    for name, kind in cols:
        t = table.schema.field(name).type if name in table.schema.names else None
        check(t == ARROW[kind], f"{path.name}: pyarrow reads {name} as {t}, expected "
              f"{ARROW[kind]} (view and large types are not allowed)")
    check(table.schema.names == [n for n, _ in cols],
          f"{path.name}: columns {table.schema.names}, expected {[n for n, _ in cols]}")
    g = table.group_by(spec["group"]).aggregate([([], "count_all")])
    counts = {key(k): n for k, n in zip(g[spec["group"]].to_pylist(), g["count_all"].to_pylist())}
    col, value = spec["where"]
    hits = pq.read_table(path, filters=[(col, "=", value)]).num_rows  # row-group pruning
    return table.num_rows, counts, hits, "read_table(filters=), Table.group_by"


def with_pandas(path, spec, cols):
    df = pd.read_parquet(path)
    for name, kind in cols:
        values = df[name].dropna()
        if kind == "date" and len(values):
            check(type(values.iloc[0]) is datetime.date,
                  f"{path.name}: pandas reads {name} as {type(values.iloc[0]).__name__}, expected date")
        if kind in ("i32", "i64"):
            check(pd.api.types.is_integer_dtype(df[name]), f"{path.name}: pandas reads {name} as {df[name].dtype}")
        if kind == "list":
            expected = pq.read_table(path, columns=[name])[name].to_pylist()
            check([list(v) for v in df[name]] == expected,
                  f"{path.name}: pandas reads the list column {name} differently from pyarrow")
    counts = {key(k): int(n) for k, n in df.groupby(spec["group"], dropna=False).size().items()}
    col, value = spec["where"]
    return len(df), counts, int((df[col] == value).sum()), "read_parquet, mask, groupby"


def with_polars(path, spec, cols):
    df = pl.read_parquet(path)
    for name, kind in cols:
        check(df.schema.get(name) == POLARS[kind],
              f"{path.name}: polars reads {name} as {df.schema.get(name)}, expected {POLARS[kind]}")
    g = df.group_by(spec["group"]).len()
    counts = {key(k): n for k, n in zip(g[spec["group"]].to_list(), g["len"].to_list())}
    col, value = spec["where"]
    hits = pl.scan_parquet(path).filter(pl.col(col) == value).select(pl.len()).collect().item()
    return df.height, counts, hits, "scan_parquet().filter(), group_by"


def with_duckdb(path, spec, cols):
    con = duckdb.connect()
    src = "read_parquet('" + str(path).replace("'", "''") + "')"
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {src})").fetchall())
    for name, kind in cols:
        check(types.get(name) == DUCKDB[kind],
              f"{path.name}: duckdb reads {name} as {types.get(name)}, expected {DUCKDB[kind]}")
    rows = con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0]
    g = spec["group"]
    counts = {key(k): n for k, n in con.execute(f'SELECT "{g}", count(*) FROM {src} GROUP BY ALL').fetchall()}
    col, value = spec["where"]
    hits = con.execute(f'SELECT count(*) FROM {src} WHERE "{col}" = ?', [value]).fetchall()[0][0]
    extra = "SQL WHERE, GROUP BY"
    if "end" in types:  # a reserved word: must be quoted; compare with pyarrow
        (last,) = con.execute(f'SELECT max("end") FROM {src}').fetchall()[0]
        expected = pc.max(pq.read_table(path, columns=["end"])["end"]).as_py()
        check(last == expected, f'{path.name}: duckdb max("end") = {last}, pyarrow {expected}')
        extra += f', max("end") = {last}'
    return rows, counts, hits, extra


TOOLS = {"pyarrow": with_pyarrow, "pandas": with_pandas, "polars": with_polars, "duckdb": with_duckdb}


def check_file(path, spec, manifest):
    name = path.name
    pf = pq.ParquetFile(path)
    cols = [tuple(c.split(":")) for c in spec["cols"].split()]
    expected_rows = manifest["outputs"].get(name)

    meta = {k.decode(): v.decode() for k, v in (pf.schema_arrow.metadata or {}).items()}
    for k in META_KEYS:
        check(k in meta, f"{name}: key-value metadata lacks {k}")
    check(meta.get("residence.run_id") == manifest["run_id"],
          f"{name}: residence.run_id {meta.get('residence.run_id')!r} != manifest run_id {manifest['run_id']!r}")
    check(meta.get("residence.as_of") == manifest["as_of"],
          f"{name}: residence.as_of {meta.get('residence.as_of')!r} != manifest as_of {manifest['as_of']!r}")
    check(meta.get("residence.version") == manifest["version"],
          f"{name}: residence.version {meta.get('residence.version')!r} != manifest version {manifest['version']!r}")

    sort = spec["sort"].split()
    for i in range(pf.metadata.num_row_groups):
        declared = pf.metadata.row_group(i).sorting_columns or ()
        names = [pf.schema.column(s.column_index).path for s in declared]
        check(names == sort and not any(s.descending for s in declared),
              f"{name}: row group {i} declares sorting_columns {names or 'none'}"
              f"{' (descending)' if any(s.descending for s in declared) else ''}, documented {sort}")
    table = pf.read(columns=sort)
    order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in sort]).to_pylist()
    check(order == list(range(table.num_rows)), f"{name}: rows are not sorted by {', '.join(sort)}")

    results = {}
    for tool, read in TOOLS.items():
        try:
            results[tool] = rows, counts, hits, how = read(path, spec, cols)
        except Exception as e:  # a tool that cannot read the file is a failure, not a crash
            check(False, f"{name}: {tool} failed: {type(e).__name__}: {e}")
            print(f"  {name:20} {tool:8} FAILED: {type(e).__name__}: {e}")
            continue
        col, value = spec["where"]
        shown = "SAMPLE" if value == SAMPLE else repr(value)
        print(f"  {name:20} {tool:8} {rows:5} rows  {col}={shown}: {hits:<3} "
              f"by {spec['group']} {short(counts)}  ({how})")
        check(rows == expected_rows, f"{name}: {tool} reads {rows} rows, manifest outputs says {expected_rows}")
        check(sum(counts.values()) == rows, f"{name}: {tool} group-by counts sum to {sum(counts.values())}, not {rows}")
    if results:
        first, (rows, counts, hits, _) = next(iter(results.items()))
        for tool, r in results.items():
            check(r[:3] == (rows, counts, hits),
                  f"{name}: {tool} and {first} disagree: {r[:3]} vs {(rows, counts, hits)}")


def reason_counts(path, field, manifest):
    """Rows per (source, input_file, reason) in a file vs the manifest's files[].<field>."""
    t = pq.read_table(path, columns=["source", "input_file", "reason"])
    g = t.group_by(["source", "input_file", "reason"]).aggregate([([], "count_all")])
    actual = {(r["source"], r["input_file"], r["reason"]): r["count_all"] for r in g.to_pylist()}
    expected = {(f["source"], f["path"], reason): n
                for f in manifest["files"] for reason, n in f[field].items() if n}
    check(actual == expected, f"{path.name}: rows per (source, input_file, reason) differ from manifest "
          f"files[].{field}: only in file {sorted(set(actual.items()) - set(expected.items()))}, "
          f"only in manifest {sorted(set(expected.items()) - set(actual.items()))}")
    print(f"  {path.name:20} rows per (source, input_file, reason) = manifest files[].{field}: "
          f"{len(expected)} keys, {sum(expected.values())} rows")


def check_changes(run, manifest, must_have_rows):
    """changes.parquet = the eligibility diff against the run latest pointed at before."""
    rows = manifest["outputs"].get("changes.parquet")
    previous = manifest.get("previous_run")
    if must_have_rows:
        check(previous is not None and rows, f"{run}: --changes-dir run has previous_run {previous} "
              f"and {rows} changes; it must be a second run that differs from the first")
    if previous is None:
        check(rows == 0, f"{run}: no previous run, yet changes.parquet has {rows} rows")
        return
    prev = run.parent / previous["run_id"]
    if not check((prev / "eligibility.parquet").is_file(),
                 f"{run}: previous run {prev} is not there to check changes.parquet against"):
        return
    q = f"""
        SELECT coalesce(n.person_id, p.person_id), coalesce(n.city, p.city),
               CASE WHEN p.person_id IS NOT NULL THEN DATE '{previous["as_of"]}' END,
               p.status, p.basis, n.status, n.basis, DATE '{manifest["as_of"]}'
        FROM read_parquet('{prev}/eligibility.parquet') p
        FULL JOIN read_parquet('{run}/eligibility.parquet') n USING (person_id, city)
        WHERE p.status IS DISTINCT FROM n.status OR p.basis IS DISTINCT FROM n.basis
        ORDER BY 2, 1"""
    expected = duckdb.sql(q).fetchall()
    actual = duckdb.sql(f"SELECT * FROM read_parquet('{run}/changes.parquet')").fetchall()
    check(actual == expected, f"{run.name}/changes.parquet differs from the eligibility diff against "
          f"{prev.name}: only in file {sorted(set(actual) - set(expected))}, "
          f"only in the diff {sorted(set(expected) - set(actual))}")
    print(f"  changes.parquet      = eligibility diff against {prev.name}: {len(expected)} rows")


def check_run(run, must_have_changes):
    run = run.resolve()  # OUT/latest -> OUT/runs/<run_id>
    manifest = json.loads((run / "manifest.json").read_text())
    print(f"{run}: run {manifest['run_id']}, as-of {manifest['as_of']}, status {manifest['status']}")
    check(run.name == manifest["run_id"], f"{run}: folder name is not the manifest run_id {manifest['run_id']}")
    files = sorted(p.name for p in run.glob("*.parquet"))
    # persons.idx (explain's person index) is an output too, not Parquet.
    listed = sorted(name for name in manifest["outputs"] if name.endswith(".parquet"))
    check(files == listed, f"{run}: Parquet files {files} != manifest outputs {listed}")
    for name in files:
        if check(name in FILES, f"{run}: {name} is not known to interop.py: document it and add it to FILES"):
            guarded(check_file, run / name, FILES[name], manifest)
    guarded(reason_counts, run / "filtered.parquet", "filtered", manifest)
    guarded(reason_counts, run / "rejects.parquet", "rejected", manifest)
    guarded(check_changes, run, manifest, must_have_changes)


def guarded(step, path, *args):
    """Run one step; an unreadable file or a bad manifest is a failure, and the other steps still run."""
    try:
        step(path, *args)
    except Exception as e:
        check(False, f"{path}: {type(e).__name__}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--changes-dir", type=Path, help="a second run whose changes.parquet must hold rows")
    args = ap.parse_args()
    print(f"pyarrow {pa.__version__}, pandas {pd.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__}")
    for run, second in [(args.run_dir, False)] + ([(args.changes_dir, True)] if args.changes_dir else []):
        guarded(check_run, run, second)
    if failures:
        print(f"\nFAILED: {len(failures)} check(s):", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print("OK: every output opens the same in pyarrow, pandas, polars and duckdb")


if __name__ == "__main__":
    main()
