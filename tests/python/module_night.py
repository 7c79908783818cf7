"""A whole night through the `residence_py` module, in memory with pyarrow:
the steps the Spark job distributes (SPEC §10), done here on one machine so
the module can be checked against `residence run` row for row.

    rows = night_through_module(pipeline, as_of, data_dir, chunk=7)

`chunk` cuts every stage's input into small batches, so key runs cross
batch boundaries as they do in Spark. Returns pyarrow tables: `judged` (every
input row's final verdict), `person` (eligibility and spell rows) and the
per-file `stats`.
"""
import pyarrow as pa
import pyarrow.compute as pc

import residence_py as rp


def _feed(stage, table, chunk):
    """Feeds `table` to a stage object in batches of `chunk` rows."""
    out = [pa.record_batch(stage.push(b)) for b in table.to_batches(max_chunksize=chunk)]
    out.append(pa.record_batch(stage.finish()))
    return pa.Table.from_batches([b for b in out if b.num_rows], schema=out[-1].schema)


def night_through_module(pipeline, as_of, data_dir, chunk=4096):
    night = rp.Night(str(pipeline), as_of, str(data_dir))
    files = night.files()
    batches, stats = [], {}
    for f in files:
        batch, s = night.judge_file(f["file_no"])
        batches.append(pa.record_batch(batch))
        stats[f["file_no"]] = s
    judged = pa.Table.from_batches(batches)

    # Step 2: by record key, in file and line order.
    keyed = judged.filter(pc.is_valid(judged["key_hi"])).sort_by(
        [("key_hi", "ascending"), ("key_lo", "ascending"),
         ("file_no", "ascending"), ("line", "ascending")])
    current = pa.concat_tables([
        _feed(rp.Superseder(), keyed, chunk),
        judged.filter(pc.is_null(judged["key_hi"])),
    ])

    # Step 6: by phone, each phone's owners before its awaiting rows.
    outcome = current["outcome"]
    awaiting = pc.equal(outcome, rp.AWAITING)
    owners = current.filter(pc.and_(pc.is_valid(current["owner_start"]), pc.invert(awaiting)))
    by_phone = pa.concat_tables([owners, current.filter(awaiting)]).sort_by(
        [("phone", "ascending"), ("outcome", "ascending")])
    resolved = _feed(rp.Identifier(night), by_phone, chunk)
    final = pa.concat_tables([current.filter(pc.invert(awaiting)), resolved])

    # §6: by person.
    decided = final.filter(pc.is_in(final["outcome"], pa.array([rp.EVIDENCE, rp.PLEDGE, rp.HUKOU], pa.int8())))
    person = _feed(rp.Decider(night), decided.sort_by([("person", "ascending")]), chunk)
    return dict(night=night, files=files, judged=final, person=person, stats=stats)
