"""Arrow schemas of the rows that cross between Spark and the module, and
their Spark DDL. Every string is Arrow `string` (32-bit offsets): Spark
declares that type for Arrow columns and rejects large_string and string_view.
"""

import pyarrow as pa

# Outcome codes of the JUDGED schema (crates/residence-py; see module-api.md).
EVIDENCE, PLEDGE, HUKOU, FILTERED, REJECTED, AWAITING = range(6)
ACCEPTED = (EVIDENCE, PLEDGE, HUKOU)

STR = pa.string()
DATE = pa.date32()

# One row per input record, as night.judge_file returns it.
JUDGED = pa.schema(
    [
        ("file_no", pa.int32()),
        ("line", pa.int32()),
        ("key_hi", pa.int64()),
        ("key_lo", pa.int64()),
        ("outcome", pa.int8()),
        ("reason", STR),
        ("person", STR),
        ("city", STR),
        ("division", STR),
        ("record_id", STR),
        ("start", DATE),
        ("end", DATE),
        ("detail", STR),
        ("raw", STR),
        ("phone", STR),
        ("owner_start", DATE),
        ("owner_end", DATE),
    ]
)

# What the decider returns: `table` 0 is an eligibility.parquet row, 1 a
# spells.parquet row, each using its own columns; for eligibility `start`,
# `end` and `months` are spell_start, spell_end and months_of_evidence.
PERSON = pa.schema(
    [
        ("table", pa.int8()),
        ("person_id", STR),
        ("city", STR),
        ("county", STR),
        ("status", STR),
        ("basis", STR),
        ("spell_no", pa.int32()),
        ("start", DATE),
        ("end", DATE),
        ("months", pa.int32()),
        ("covered_days", pa.int32()),
        ("strong_days", pa.int32()),
        ("evidence_count", pa.int32()),
        ("sources", pa.list_(STR)),
        ("eligible_since", DATE),
        ("eligible_on", DATE),
        ("pledge_since", DATE),
        ("source", STR),
        ("counts", pa.bool_()),
        ("file_no", pa.int32()),
        ("line", pa.int32()),
    ]
)


def with_stats(schema):
    """JUDGED plus `stats`: the judge stage emits one extra row per file
    (outcome -1, stats as JSON) so a single pass over the files yields both
    the rows and the per-file figures."""
    return schema.append(pa.field("stats", STR))


def spark_type(t):
    if t == pa.int8():
        return "tinyint"
    if t == pa.int16():
        return "smallint"
    if t == pa.int32():
        return "int"
    if t == pa.int64():
        return "bigint"
    if t == pa.date32():
        return "date"
    if t == pa.string():
        return "string"
    if t == pa.bool_():
        return "boolean"
    if t == pa.float64():
        return "double"
    if pa.types.is_list(t):
        return f"array<{spark_type(t.value_type)}>"
    raise TypeError(f"no Spark type for Arrow {t}")


def ddl(schema):
    return ", ".join(f"`{f.name}` {spark_type(f.type)}" for f in schema)


def conform(batch, schema):
    """`batch` with exactly `schema`'s columns, in order and of its types:
    columns it lacks become nulls, columns of another type are cast
    (large_string or string_view from the module become string)."""
    n = batch.num_rows
    cols = []
    names = batch.schema.names
    for f in schema:
        if f.name in names:
            c = batch.column(names.index(f.name))
            if c.type != f.type:
                c = c.cast(f.type)
        else:
            c = pa.nulls(n, f.type)
        cols.append(c)
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def sub(schema, names):
    return pa.schema([schema.field(n) for n in names])
