"""The `residence_py` module against `residence run`, row for row, on the
sample night (issue 19): judge + supersede + identify + decide reproduce the
run's evidence, filtered rows, rejects, eligibility and spells, and every
file's counts.

Needs the module installed in the venv (.ci/run builds it with maturin) and
the release binary: RESIDENCE_BIN, else $CARGO_TARGET_DIR/release/residence.
"""
import json
import os
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import residence_py as rp
from module_night import night_through_module

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-27"
PIPELINES = {
    "sample": (ROOT / "pipelines/quanzhou-measure13.toml", ROOT / "sample-data"),
    "agency-exports": (ROOT / "pipelines/quanzhou-agency-exports.toml",
                       ROOT / "sample-data/agency-exports"),
}


def binary():
    if "RESIDENCE_BIN" in os.environ:
        return os.environ["RESIDENCE_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "release/residence")


@pytest.fixture(scope="module", params=sorted(PIPELINES))
def both(request, tmp_path_factory):
    pipeline, data = PIPELINES[request.param]
    out = tmp_path_factory.mktemp(request.param) / "out"
    subprocess.run(
        [binary(), "run", "--pipeline", str(pipeline), "--data", str(data),
         "--as-of", AS_OF, "--out", str(out), "--quiet"],
        check=True)
    run = (out / "latest").resolve()
    mod = night_through_module(pipeline, AS_OF, data, chunk=7)
    return run, mod


def rows_of(table, columns):
    return [tuple(r[c] for c in columns) for r in table.to_pylist()]


def file_maps(mod):
    files = mod["files"]
    return ({f["file_no"]: f["source"] for f in files},
            {f["file_no"]: f["input_file"] for f in files})


def test_evidence_equals_the_runs_row_for_row(both):
    run, mod = both
    source, input_file = file_maps(mod)
    j = mod["judged"]
    ev = j.filter(pc.equal(j["outcome"], rp.EVIDENCE)).to_pylist()
    got = sorted(
        (r["city"], r["person"], r["start"], r["end"], source[r["file_no"]],
         r["record_id"], r["division"], input_file[r["file_no"]], r["line"])
        for r in ev)
    want = rows_of(pq.read_table(run / "evidence.parquet"),
                   ["city", "person_id", "start", "end", "source", "record_id",
                    "division", "input_file", "line"])
    assert len(got) > 100
    assert got == want


def test_filtered_rows_equal_the_runs(both):
    run, mod = both
    source, input_file = file_maps(mod)
    j = mod["judged"]
    got = sorted(
        (source[r["file_no"]], input_file[r["file_no"]], r["line"], r["reason"], r["person"],
         r["city"], r["record_id"], r["start"], r["end"])
        for r in j.filter(pc.equal(j["outcome"], rp.FILTERED)).to_pylist())
    want = rows_of(pq.read_table(run / "filtered.parquet"),
                   ["source", "input_file", "line", "reason", "person_id", "city",
                    "record_id", "start", "end"])
    assert any(r[3] == "superseded" for r in want)
    assert got == want


def test_rejected_rows_equal_the_runs(both):
    run, mod = both
    source, input_file = file_maps(mod)
    j = mod["judged"]
    got = sorted(
        (source[r["file_no"]], input_file[r["file_no"]], r["line"], r["reason"], r["detail"],
         r["raw"], r["person"])
        for r in j.filter(pc.equal(j["outcome"], rp.REJECTED)).to_pylist())
    want = rows_of(pq.read_table(run / "rejects.parquet"),
                   ["source", "input_file", "line", "reason", "detail", "raw", "person_id"])
    assert {r[3] for r in want} >= {"malformed_row", "unresolved_identity"}
    assert got == want


def test_eligibility_and_spells_equal_the_runs(both):
    run, mod = both
    p = mod["person"].to_pylist()
    elig = sorted(
        (r["city"], r["person_id"], r["status"], r["basis"], r["start"], r["end"],
         r["months"], r["covered_days"], r["strong_days"], r["evidence_count"], r["sources"],
         r["eligible_since"], r["eligible_on"], r["pledge_since"])
        for r in p if r["table"] == 0)
    want = rows_of(pq.read_table(run / "eligibility.parquet"),
                   ["city", "person_id", "status", "basis", "spell_start", "spell_end",
                    "months_of_evidence", "covered_days", "strong_days", "evidence_count",
                    "sources", "eligible_since", "eligible_on", "pledge_since"])
    assert {r[2] for r in want} == {"eligible", "pending", "inactive", "not_applicable"}
    assert elig == want
    spells = sorted(
        (r["city"], r["person_id"], r["spell_no"], r["start"], r["end"], r["months"],
         r["covered_days"], r["evidence_count"], r["sources"])
        for r in p if r["table"] == 1)
    want = rows_of(pq.read_table(run / "spells.parquet"),
                   ["city", "person_id", "spell_no", "start", "end", "months",
                    "covered_days", "evidence_count", "sources"])
    assert spells == want


def test_every_files_counts_equal_the_manifests(both):
    run, mod = both
    manifest = json.loads((run / "manifest.json").read_text())
    entries = manifest.get("inputs") or manifest.get("files")
    _, input_file = file_maps(mod)
    j = mod["judged"].to_pylist()
    for no, path in input_file.items():
        mine = [r for r in j if r["file_no"] == no]
        entry = next(e for e in entries if e["path"] == path)
        assert mod["stats"][no]["rows"] == entry["rows"] == len(mine), path
        assert mod["stats"][no]["sha256"] == entry["sha256"], path
        accepted = sum(r["outcome"] in (rp.EVIDENCE, rp.PLEDGE, rp.HUKOU) for r in mine)
        assert accepted == entry["accepted"], path
        for outcome, key in ((rp.FILTERED, "filtered"), (rp.REJECTED, "rejected")):
            counts = {}
            for r in mine:
                if r["outcome"] == outcome:
                    counts[r["reason"]] = counts.get(r["reason"], 0) + 1
            assert counts == entry[key], (path, key)


def test_a_header_error_gives_the_runs_message(tmp_path):
    pipeline, data = PIPELINES["sample"]
    broken = tmp_path / "data"
    subprocess.run(["cp", "-r", str(data), str(broken)], check=True)
    lease = sorted((broken / "lease").glob("*.csv"))[0]
    text = lease.read_text(encoding="utf-8-sig").split("\n", 1)
    lease.write_text(text[0].replace("tenant_id_number", "tenant") + "\n" + text[1])
    night = rp.Night(str(pipeline), AS_OF, str(broken))
    no = next(f["file_no"] for f in night.files() if str(f["path"]) == str(lease))
    with pytest.raises(ValueError) as err:
        night.judge_file(no)
    run = subprocess.run(
        [binary(), "run", "--pipeline", str(pipeline), "--data", str(broken),
         "--as-of", AS_OF, "--out", str(tmp_path / "out")],
        capture_output=True, text=True)
    assert run.returncode == 2
    assert str(err.value) in run.stderr


def test_judge_of_read_file_equals_judge_file():
    pipeline, data = PIPELINES["sample"]
    night = rp.Night(str(pipeline), AS_OF, str(data))
    for f in night.files():
        raw = pa.record_batch(night.read_file(f["file_no"]))
        via_raw = pa.record_batch(night.judge(f["source"], f["file_no"], raw))
        whole, _ = night.judge_file(f["file_no"])
        assert via_raw.equals(pa.record_batch(whole)), f["input_file"]
