"""The Parquet outputs of SPEC §7 as a table: each output is its file name,
its columns (Arrow type, REQUIRED or not), its sort order, and which rows of
the night it holds. To add an output (declarations.parquet, eligibility's
county and as_of), add a column or an Output here and its rows in job.py's
`frames`; the writer needs nothing else.

Every file is written the way `residence run` writes it: no ARROW:schema in
the footer (readers map Parquet's UTF-8 to plain `string`), columns that are
never null REQUIRED, `sorting_columns` declared, key-value metadata
residence.run_id / residence.as_of / residence.version, snappy pages, row
groups of 512 × 512 rows.
"""

import os
from dataclasses import dataclass

import pyarrow as pa

STR = pa.string()
DATE = pa.date32()
I32 = pa.int32()
I64 = pa.int64()
SOURCES = pa.list_(pa.field("element", STR))

ROW_GROUP = 512 * 512


@dataclass(frozen=True)
class Output:
    file: str
    # (name, Arrow type, required)
    columns: tuple
    sorted_by: tuple

    @property
    def names(self):
        return [c[0] for c in self.columns]


def _cols(spec, required):
    return tuple((n, t, n in required) for n, t in spec)


ELIGIBILITY = Output(
    "eligibility.parquet",
    _cols(
        [
            ("person_id", STR),
            ("city", STR),
            ("county", STR),
            ("status", STR),
            ("basis", STR),
            ("spell_start", DATE),
            ("spell_end", DATE),
            ("months_of_evidence", I32),
            ("covered_days", I32),
            ("strong_days", I32),
            ("evidence_count", I32),
            ("sources", SOURCES),
            ("eligible_since", DATE),
            ("eligible_on", DATE),
            ("pledge_since", DATE),
            ("as_of", DATE),
        ],
        {
            "person_id", "city", "status", "basis", "months_of_evidence",
            "covered_days", "strong_days", "evidence_count", "sources", "as_of",
        },
    ),
    ("city", "person_id"),
)

SPELLS = Output(
    "spells.parquet",
    _cols(
        [
            ("person_id", STR),
            ("city", STR),
            ("spell_no", I32),
            ("start", DATE),
            ("end", DATE),
            ("months", I32),
            ("covered_days", I32),
            ("evidence_count", I32),
            ("sources", SOURCES),
        ],
        {
            "person_id", "city", "spell_no", "start", "end", "months",
            "covered_days", "evidence_count", "sources",
        },
    ),
    ("city", "person_id", "spell_no"),
)

EVIDENCE = Output(
    "evidence.parquet",
    _cols(
        [
            ("person_id", STR),
            ("city", STR),
            ("division", STR),
            ("source", STR),
            ("record_id", STR),
            ("start", DATE),
            ("end", DATE),
            ("input_file", STR),
            ("line", I64),
        ],
        {
            "person_id", "city", "division", "source", "record_id", "start",
            "end", "input_file", "line",
        },
    ),
    ("city", "person_id", "start", "end", "source", "record_id"),
)

REJECTS = Output(
    "rejects.parquet",
    _cols(
        [
            ("source", STR),
            ("input_file", STR),
            ("line", I64),
            ("reason", STR),
            ("detail", STR),
            ("raw", STR),
            ("person_id", STR),
        ],
        {"source", "input_file", "line", "reason", "detail", "raw"},
    ),
    ("source", "input_file", "line"),
)

FILTERED = Output(
    "filtered.parquet",
    _cols(
        [
            ("source", STR),
            ("input_file", STR),
            ("line", I64),
            ("reason", STR),
            ("person_id", STR),
            ("city", STR),
            ("record_id", STR),
            ("start", DATE),
            ("end", DATE),
        ],
        {"source", "input_file", "line", "reason"},
    ),
    ("source", "input_file", "line"),
)

CHANGES = Output(
    "changes.parquet",
    _cols(
        [
            ("person_id", STR),
            ("city", STR),
            ("previous_as_of", DATE),
            ("previous_status", STR),
            ("previous_basis", STR),
            ("status", STR),
            ("basis", STR),
            ("as_of", DATE),
        ],
        {"person_id", "city", "as_of"},
    ),
    ("city", "person_id"),
)

DECLARATIONS = Output(
    "declarations.parquet",
    _cols(
        [
            ("source", STR),
            ("person_id", STR),
            ("city", STR),
            ("declared_since", DATE),
            ("signed_date", DATE),
            ("counts", pa.bool_()),
            ("input_file", STR),
            ("line", I64),
        ],
        {"source", "person_id", "city", "counts", "input_file", "line"},
    ),
    ("city", "person_id", "source", "input_file", "line"),
)

# In the order `residence run` lists them in the manifest's `outputs`.
ALL = (ELIGIBILITY, SPELLS, EVIDENCE, REJECTS, FILTERED, CHANGES, DECLARATIONS)


def arrow_schema(spec, meta=None):
    fields = [pa.field(n, t, nullable=not req) for n, t, req in spec.columns]
    return pa.schema(fields, metadata=meta)


def to_output(batch, spec):
    """A batch of Spark's rows (nullable, Spark's list field name) as the
    output's exact Arrow schema."""
    schema = arrow_schema(spec)
    cols = []
    for f in schema:
        c = batch.column(batch.schema.get_field_index(f.name))
        if c.type != f.type:
            c = c.cast(f.type)
        cols.append(c)
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def sorting_columns(spec):
    import pyarrow.parquet as pq

    names = spec.names
    return [pq.SortingColumn(names.index(c)) for c in spec.sorted_by]


def stitch(spec, parts, path, meta, index=None, index_file=0):
    """One writer per output file: the sorted parts, in partition order,
    appended to `path` a row group at a time. With `index` (a list), notes
    (person, index_file, row group) for persons.idx. Returns the rows written."""
    import pyarrow.parquet as pq

    schema = arrow_schema(spec)
    rows = 0
    groups = 0
    # Owner-only, as residence run creates its outputs.
    sink = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
    with sink, pq.ParquetWriter(
        sink,
        schema,
        compression="snappy",
        store_schema=False,
        sorting_columns=sorting_columns(spec),
        write_statistics=True,
    ) as w:

        def group(t):
            nonlocal groups
            w.write_table(t, row_group_size=ROW_GROUP)
            if index is not None:
                index.append((t.column("person_id"), groups))
            groups += 1

        pending = []
        pending_rows = 0
        for part in parts:
            for b in pq.ParquetFile(part).iter_batches(batch_size=ROW_GROUP):
                pending.append(pa.RecordBatch.from_arrays(b.columns, schema=schema))
                pending_rows += b.num_rows
                rows += b.num_rows
                while pending_rows >= ROW_GROUP:
                    t = pa.Table.from_batches(pending, schema=schema)
                    group(t.slice(0, ROW_GROUP))
                    rest = t.slice(ROW_GROUP)
                    pending, pending_rows = rest.to_batches(), rest.num_rows
        if pending_rows:
            group(pa.Table.from_batches(pending, schema=schema))
        # residence.run_id, residence.as_of, residence.version in the footer
        # (without ARROW:schema, as residence run writes them).
        w.add_key_value_metadata(meta)
    return rows


PERSON_INDEX = "persons.idx"


def write_person_index(path, noted, run_id):
    """persons.idx (src/output/person_index.rs): the 8-byte magic
    `RESIDX2\n`, the entry count (u64 LE), the run id (UTF-8, zero-padded
    to 64 bytes), then sorted distinct entries of 13 bytes: person (its
    first 17 digits, u64 LE), file (0 filtered.parquet, 1 rejects.parquet),
    row group (u32 LE). Returns the entries written."""
    import struct

    import pyarrow.compute as pc

    entries = set()
    for file_code, groups in noted:
        for persons, group in groups:
            p = pc.unique(persons.drop_null())
            if len(p) == 0:
                continue
            digits = pc.cast(pc.utf8_slice_codeunits(p, 0, 17), pa.uint64())
            for d in digits.to_pylist():
                entries.add((d, file_code, group))
    entries = sorted(entries)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(b"RESIDX2\n")
        f.write(struct.pack("<Q", len(entries)))
        f.write(run_id.encode()[:64].ljust(64, b"\0"))
        f.write(b"".join(struct.pack("<QBI", *e) for e in entries))
        f.flush()
        os.fsync(f.fileno())
    return len(entries)
