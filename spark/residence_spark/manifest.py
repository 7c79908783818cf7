"""manifest.json and the quality gate (SPEC §7, §8), the way `residence run`
writes them (src/output/manifest.rs, src/run.rs, residence-core's
rules/gate.rs). The figures come from Spark (per-file counts by reason,
decisions per city); this module only assembles them.

The gate itself is the core's (the module's `gate`).
"""

import hashlib
import json
import os
import tomllib

DEFAULTS = {
    "max_reject_rate": 0.05,
    "max_row_drop": 0.5,
    "max_eligible_drop": 0.2,
    "max_staleness_days": 45,
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Plan:
    """The pipeline's parameters and per-source gate limits, with
    --max-reject-rate applied to every source."""

    def __init__(self, night, pipeline_path, max_reject_rate):
        p = dict(night.params)
        with open(pipeline_path, "rb") as f:
            toml = tomllib.load(f)
        tparams = toml.get("parameters", {})
        for k, v in DEFAULTS.items():
            p.setdefault(k, tparams.get(k, v))
        self.name = p.get("name") or toml.get("name", "")
        # As residence run shows it: --data as given, else the pipeline's
        # data_dir joined to the pipeline file's folder.
        self.data_dir = os.path.join(os.path.dirname(pipeline_path), toml.get("data_dir", ""))
        self.path = pipeline_path
        self.sha256 = p.get("sha256") or sha256_file(pipeline_path)
        self.sources = []
        for s in night.sources():
            s = dict(s)
            own = toml.get("sources", {}).get(s["source"], {})
            s.setdefault("max_reject_rate", own.get("max_reject_rate", p["max_reject_rate"]))
            s.setdefault("max_row_drop", own.get("max_row_drop", p["max_row_drop"]))
            self.sources.append(s)
        if max_reject_rate is not None:
            p["max_reject_rate"] = max_reject_rate
            for s in self.sources:
                s["max_reject_rate"] = max_reject_rate
        self.params = p

    def params_entry(self):
        p = self.params
        return {
            "min_months": p["min_months"],
            "max_gap_days": p["max_gap_days"],
            "recency_days": p["recency_days"],
            "pledge_valid_days": p["pledge_valid_days"],
            "jurisdictions": [str(j) for j in p["jurisdictions"]],
            "max_reject_rate": float(p["max_reject_rate"]),
            "max_row_drop": float(p["max_row_drop"]),
            "max_eligible_drop": float(p["max_eligible_drop"]),
            "max_staleness_days": p["max_staleness_days"],
        }


def counts_entry(c):
    return {
        "rows": c["rows"],
        "accepted": c["accepted"],
        "filtered": dict(sorted(c["filtered"].items())),
        "rejected": dict(sorted(c["rejected"].items())),
    }


def empty_counts():
    return {"rows": 0, "accepted": 0, "filtered": {}, "rejected": {}}


def add_counts(into, c):
    into["rows"] += c["rows"]
    into["accepted"] += c["accepted"]
    for k in ("filtered", "rejected"):
        for r, n in c[k].items():
            into[k][r] = into[k].get(r, 0) + n


def reject_rate(c):
    return sum(c["rejected"].values()) / c["rows"] if c["rows"] else 0.0


def inputs(plan, files, per_file, latest_per_file):
    """The manifest's `files` and `sources` (gate fields filled in later)."""
    sources = {}
    latest = {}
    for s in sorted(plan.sources, key=lambda s: s["source"]):
        sources[s["source"]] = {
            "files": 0,
            **counts_entry(empty_counts()),
            "required": bool(s["required"]),
            "present": bool(s["present"]),
            "reject_rate": 0.0,
            "max_reject_rate": float(s["max_reject_rate"]),
            "max_row_drop": float(s["max_row_drop"]),
            "previous_rows": None,
            "latest_evidence": None,
            "stale": False,
            "gate_passed": True,
        }
    entries = []
    for f in files:
        c = per_file[f["file_no"]]
        st = f["stats"]
        src = f["source"]
        if src in sources:
            e = sources[src]
            e["files"] += 1
            add_counts(e, c)
            lf = latest_per_file.get(f["file_no"])
            if lf is not None:
                latest[src] = max(latest.get(src) or lf, lf)
        entry = {
            "source": src,
            "path": f["input_file"],
            "bytes": st["bytes"],
            "sha256": st["sha256"],
            **counts_entry(c),
        }
        if st.get("warnings"):
            entry["warnings"] = list(st["warnings"])
        entries.append(entry)
    for name, e in sources.items():
        e["filtered"] = dict(sorted(e["filtered"].items()))
        e["rejected"] = dict(sorted(e["rejected"].items()))
        e["reject_rate"] = reject_rate(e)
        e["latest_evidence"] = latest[name].isoformat() if latest.get(name) else None
    return entries, sources


def gate(sources, cities, max_eligible_drop, allow_drift):
    """The quality gate (SPEC §8) as the core decides it (residence-core's
    rules::gate::judge, through the module's `gate`): (failures, accepted
    drift), each a list of {check, subject, message}."""
    import residence_py as rp

    verdict = rp.gate(
        [
            {
                "name": name,
                "required": s["required"],
                "present": s["present"],
                "rows": s["rows"],
                "rejected": sum(s["rejected"].values()),
                "max_reject_rate": s["max_reject_rate"],
                "max_row_drop": s["max_row_drop"],
                "previous_rows": s["previous_rows"],
            }
            for name, s in sources.items()
        ],
        [
            {"city": city, "eligible": c["eligible"], "previous_eligible": c["previous_eligible"]}
            for city, c in cities.items()
        ],
        max_eligible_drop,
        allow_drift,
    )
    return [dict(f) for f in verdict["failures"]], [dict(f) for f in verdict["accepted"]]


def write(path, manifest):
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
