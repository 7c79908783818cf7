"""OUT's layout, as `residence run` keeps it (src/output/publish.rs,
previous.rs): the lock `OUT/.lock` (flock, so a Spark run and a `residence
run` on one OUT exclude each other), `runs/.incomplete-<run_id>/` renamed to
`runs/<run_id>/` when complete, `latest` repointed by renaming a fresh
symlink over it, `--keep-runs` retention.
"""

import datetime as dt
import fcntl
import json
import os
import shutil

INCOMPLETE = ".incomplete-"


class Busy(Exception):
    pass


def _private_dir(path):
    os.makedirs(path, mode=0o700, exist_ok=True)


def lock(out):
    _private_dir(out)
    path = os.path.join(out, ".lock")
    f = open(path, "a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise Busy(f"{path} is held by another residence run")
    return f


def remove_leftovers(out):
    removed = []
    for d, prefixes in ((out, (".spill-", ".latest.")), (os.path.join(out, "runs"), (INCOMPLETE,))):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            if not name.startswith(prefixes):
                continue
            p = os.path.join(d, name)
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.remove(p)
                removed.append(p)
            except OSError:
                pass
    return removed


def new_run_id():
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-{os.getpid()}"


def create_incomplete(out, run_id):
    runs = os.path.join(out, "runs")
    _private_dir(runs)
    d = os.path.join(runs, INCOMPLETE + run_id)
    os.mkdir(d, 0o700)
    return d


def _sync_dir(d):
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def complete(out, run_id):
    runs = os.path.join(out, "runs")
    to = os.path.join(runs, run_id)
    os.rename(os.path.join(runs, INCOMPLETE + run_id), to)
    _sync_dir(runs)
    return to


def publish(out, run_id):
    tmp = os.path.join(out, f".latest.{run_id}.tmp")
    try:
        os.remove(tmp)
    except FileNotFoundError:
        pass
    os.symlink(os.path.join("runs", run_id), tmp)
    os.rename(tmp, os.path.join(out, "latest"))
    _sync_dir(out)


def latest_run_id(out):
    try:
        return os.path.basename(os.readlink(os.path.join(out, "latest")))
    except OSError:
        return None


def complete_runs(out):
    runs = os.path.join(out, "runs")
    try:
        names = os.listdir(runs)
    except OSError:
        return []
    return sorted(n for n in names if not n.startswith(".") and os.path.isdir(os.path.join(runs, n)))


def retain(out, keep):
    latest = latest_run_id(out)
    runs = complete_runs(out)
    removed = []
    for rid in runs[: max(0, len(runs) - keep)]:
        if rid == latest:
            continue
        shutil.rmtree(os.path.join(out, "runs", rid))
        removed.append(rid)
    return removed


class Previous:
    def __init__(self, run_id, dir, as_of, source_rows, eligible):
        self.run_id, self.dir, self.as_of = run_id, dir, as_of
        self.source_rows, self.eligible = source_rows, eligible


def read_previous(out):
    """The run `latest` points at, or None; raises ValueError saying why a
    present `latest` cannot serve as a baseline."""
    latest = os.path.join(out, "latest")
    try:
        target = os.readlink(latest)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ValueError(f"{latest}: {e.strerror}")
    d = os.path.join(out, target)
    path = os.path.join(d, "manifest.json")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}")
    try:
        m = json.loads(text)
    except ValueError as e:
        raise ValueError(f"{path}: not a manifest: {e}")
    for k in ("run_id", "as_of"):
        if not isinstance(m.get(k), str):
            raise ValueError(f"{path}: no {k}")
    try:
        as_of = dt.date.fromisoformat(m["as_of"])
    except ValueError:
        raise ValueError(f"{path}: as_of is not a date")

    def counts(section, key):
        sec = m.get(section)
        if not isinstance(sec, dict):
            return None
        out = {}
        for name, v in sec.items():
            if not isinstance(v, dict) or not isinstance(v.get(key), int):
                return None
            out[name] = v[key]
        return out

    return Previous(m["run_id"], d, as_of, counts("sources", "rows") or {}, counts("cities", "eligible"))
