"""residence on Spark: the same night as `residence run`, row for row.

    python spark/job.py --pipeline P --data DIR --as-of D --out OUT
        [--max-reject-rate R] [--allow-drift] [--publish auto|always|never]
        [--keep-runs N] [--master URL] [--partitions N]

Spark distributes the feed files (a file is the unit of work: the module's
reader reads each whole, so lines, raw text, encodings and header mapping
stay SPEC §4's), does the three reshuffles of SPEC §10 — record key
(supersession), phone (identity), person (timelines) — each as
repartition(key) + sortWithinPartitions(key) + one mapInArrow in which the
module walks the key runs, retries failed tasks, and writes each output as
sorted part files that the driver appends, in order, into the one Parquet
file `residence run` writes. Exit codes as `residence run`'s: 0 success,
2 usage/pipeline/feed-header error (nothing published), 3 quality gate
failed (run kept under runs/, latest untouched), 1 anything else.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from residence_spark import manifest as mf  # noqa: E402
from residence_spark import outputs, runfolder, schemas, tasks  # noqa: E402


RUN_ID = None


def log(level, msg):
    """One log line on stderr: UTC time, level, message, and (once the run
    has one) its run_id as a field, as residence run's text log writes it."""
    ts = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    field = f" run_id={RUN_ID}" if RUN_ID else ""
    print(f"{ts} {level:>5} residence-spark: {msg}{field}", file=sys.stderr, flush=True)


class Stop(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="spark/job.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pipeline", required=True)
    ap.add_argument("--data")
    ap.add_argument("--as-of", default=dt.date.today().isoformat())
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-reject-rate", type=float)
    ap.add_argument("--allow-drift", action="store_true")
    ap.add_argument("--publish", choices=["auto", "always", "never"], default="auto")
    ap.add_argument("--keep-runs", type=int, default=30)
    ap.add_argument("--master", default=os.environ.get("RESIDENCE_SPARK_MASTER", "local-cluster[2,1,1024]"))
    ap.add_argument("--partitions", type=int, default=0, help="shuffle partitions (default: 2 × default parallelism)")
    return ap.parse_args(argv)


def session(args):
    from pyspark.sql import SparkSession

    py = os.environ.get("PYSPARK_PYTHON", sys.executable)
    b = (
        SparkSession.builder.master(args.master)
        .appName("residence")
        .config("spark.ui.showConsoleProgress", "false")
        # The UI's REST API gives each stage's shuffle bytes and executor CPU
        # for the manifest (engine.stages); any free port.
        .config("spark.ui.enabled", "true")
        .config("spark.ui.port", "0")
        .config("spark.sql.execution.arrow.useLargeVarTypes", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.task.maxFailures", "4")
        # Intermediate frames are persisted DISK_ONLY (a 1 GiB executor ran
        # out of heap building in-memory column caches at 100k persons), in
        # cached batches of 4096 rows instead of 10000.
        .config("spark.sql.inMemoryColumnarStorage.batchSize", "4096")
        .config("spark.executorEnv.PYSPARK_PYTHON", py)
        .config("spark.pyspark.python", py)
    )
    if args.master.startswith("local"):
        b = b.config("spark.executor.memory", "1g").config("spark.driver.memory", "1g")
    for k in ("PYTHONPATH",):
        if os.environ.get(k):
            b = b.config(f"spark.executorEnv.{k}", os.environ[k])
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    spark.sparkContext.addPyFile(package_zip())
    return spark


def package_zip():
    """residence_spark as a zip for the executors (a real cluster's nodes do
    not share this folder; residence_py itself is installed on each node)."""
    import tempfile
    import zipfile

    path = os.path.join(tempfile.mkdtemp(prefix="residence-spark-"), "residence_spark.zip")
    with zipfile.ZipFile(path, "w") as z:
        pkg = os.path.join(HERE, "residence_spark")
        for name in sorted(os.listdir(pkg)):
            if name.endswith(".py"):
                z.write(os.path.join(pkg, name), f"residence_spark/{name}")
    return path


def main(argv):
    args = parse_args(argv)
    started = time.time()
    try:
        return run(args, started)
    except Stop as s:
        if s.code == 2 or s.code == 1:
            log("ERROR", f"run failed, nothing published: {s}")
        else:
            log("ERROR", str(s))
        return s.code
    except Exception as e:  # noqa: BLE001 - exit 1, as residence run on any other failure
        import traceback

        traceback.print_exc()
        log("ERROR", f"run failed, nothing published: {type(e).__name__}: {e}")
        return 1


def run(args, started):
    import residence_py as rp

    # Resolve everything that can fail with exit 2 before anything is written.
    if args.max_reject_rate is not None and not (0.0 <= args.max_reject_rate <= 1.0):
        raise Stop(2, f"--max-reject-rate {args.max_reject_rate} is not between 0 and 1")
    if args.keep_runs < 1:
        raise Stop(2, "--keep-runs must keep at least 1 run")
    pipeline = os.path.abspath(args.pipeline)
    data = os.path.abspath(args.data) if args.data else None
    if data is not None and not os.path.isdir(data):
        raise Stop(2, f"the data folder {args.data} does not exist")
    # The batches crossing to and from the module must have the columns and
    # types Spark is told (spark/residence_spark/schemas.py).
    import pyarrow as pa

    for name, ours in (("JUDGED_SCHEMA", schemas.JUDGED), ("PERSON_SCHEMA", schemas.PERSON)):
        theirs = [(f.name, str(f.type)) for f in pa.schema(getattr(rp, name))]
        if theirs != [(f.name, str(f.type)) for f in ours]:
            raise Stop(1, f"residence_py.{name} is {theirs}; spark/residence_spark/schemas.py expects {ours}")
    try:
        night = rp.Night(pipeline, args.as_of, data)
    except ValueError as e:
        raise Stop(2, str(e))
    plan = mf.Plan(night, args.pipeline, args.max_reject_rate)
    files = [{**f, "path": str(f["path"])} for f in night.files()]
    as_of = dt.date.fromisoformat(args.as_of)
    conf = {
        "pipeline": pipeline,
        "as_of": args.as_of,
        "data": data,
        "fail_once": os.environ.get("RESIDENCE_SPARK_FAIL_ONCE", ""),
    }

    out = os.path.abspath(args.out)
    try:
        lock = runfolder.lock(out)
    except runfolder.Busy as e:
        raise Stop(1, str(e))
    for p in runfolder.remove_leftovers(out):
        log("INFO", f"removed what an interrupted run left: {p}")
    warnings = []
    try:
        previous = runfolder.read_previous(out)
    except ValueError as why:
        warnings.append(f"the published run cannot serve as a baseline ({why}); drift is not checked")
        previous = None
    run_id = runfolder.new_run_id()
    global RUN_ID
    RUN_ID = run_id
    log("INFO", f"run {run_id} started, as-of {args.as_of}, master {args.master}")

    timings = {}
    t = time.time()
    spark = session(args)
    timings["spark.start"] = ms(t)
    cpu = {"spark.start": cpu_seconds()}
    log("INFO", f"Spark master {spark.sparkContext.master}, app {spark.sparkContext.applicationId}")
    try:
        return night_on_spark(spark, args, plan, files, conf, out, run_id, previous, warnings, as_of, started, timings, cpu)
    finally:
        total = cpu_seconds()
        steps = ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
        log("INFO", f"CPU seconds (driver, JVMs, Python workers): {total:.1f} in all; cumulative at the end of {steps}")
        t = time.time()
        app = spark.sparkContext.applicationId
        spark.stop()
        log("INFO", f"Spark stopped ({ms(t)} ms)")
        if args.master.startswith("local-cluster"):
            # The local workers log under the pyspark package whatever
            # SPARK_WORKER_DIR says: remove this application's logs.
            import pyspark

            shutil.rmtree(os.path.join(os.path.dirname(pyspark.__file__), "work", app), ignore_errors=True)
        lock.close()


def cpu_seconds():
    """CPU seconds (user + system) of this process and every live descendant
    — the driver JVM, the local cluster's executor JVMs, their Python
    workers — each with its reaped children's: the job's whole cost on a
    local cluster, whatever else the machine runs."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, cpu = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2 :].split()
        parent[int(d)] = int(rest[1])
        cpu[int(d)] = sum(int(x) for x in rest[11:15]) / tick
    me = os.getpid()

    def mine(pid):
        while pid > 1:
            if pid == me:
                return True
            pid = parent.get(pid, 0)
        return False

    return sum(c for pid, c in cpu.items() if mine(pid))


def stage_report(spark):
    """Per Spark stage (from the UI's REST API): name, tasks, executor JVM
    CPU and run time, shuffle bytes written and read — where the time and
    the bytes go (Python workers' CPU is not in these; see cpu_seconds)."""
    import urllib.request

    url = spark.sparkContext.uiWebUrl
    if not url:
        return []
    app = spark.sparkContext.applicationId
    try:
        with urllib.request.urlopen(f"{url}/api/v1/applications/{app}/stages?status=complete", timeout=10) as r:
            stages = json.load(r)
    except Exception as e:  # noqa: BLE001 - a report, not the run
        log("WARN", f"no stage report: {e}")
        return []
    out = []
    for st in sorted(stages, key=lambda s: (s["stageId"], s.get("attemptId", 0))):
        out.append(
            {
                "stage": st["stageId"],
                "name": " at ".join(
                    [st["name"].split(" at ")[0]] + [os.path.basename(x) for x in st["name"].split(" at ")[1:]]
                ),
                "tasks": st["numTasks"],
                "executor_cpu_s": round(st.get("executorCpuTime", 0) / 1e9, 2),
                "executor_run_s": round(st.get("executorRunTime", 0) / 1e3, 2),
                "shuffle_write_bytes": st.get("shuffleWriteBytes", 0),
                "shuffle_read_bytes": st.get("shuffleReadBytes", 0),
                "input_records": st.get("inputRecords", 0),
                "output_records": st.get("outputRecords", 0),
            }
        )
    return out


def ms(since):
    return int((time.time() - since) * 1000)


def night_on_spark(spark, args, plan, files, conf, out, run_id, previous, warnings, as_of, started, timings, cpu):
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    slots = spark.sparkContext.defaultParallelism
    input_bytes = sum(os.path.getsize(f["path"]) for f in files if os.path.exists(f["path"]))
    # Shuffle partitions: every slot busy twice over, and about 64 MiB of
    # input per partition (1 GiB executors sort and cache a partition in
    # memory; larger ones ran out of heap on a 100k-person night).
    par = args.partitions or max(2, 2 * slots, -(-input_bytes // PARTITION_BYTES))
    spark.conf.set("spark.sql.shuffle.partitions", str(par))

    # -- 1. judge: one task per file (a file is the unit of work) ---------
    t = time.time()
    judged_schema = schemas.with_stats(schemas.JUDGED)
    bins = judge_bins(files, slots)
    if bins:
        rdd = spark.sparkContext.parallelize(bins, len(bins)).flatMap(lambda b: [(n,) for n in b])
        file_df = spark.createDataFrame(rdd, "file_no int")
    else:
        file_df = spark.createDataFrame([], "file_no int")
    judged_all = file_df.mapInArrow(tasks.judge(conf), schemas.ddl(judged_schema))
    judged_all = judged_all.persist(StorageLevel.DISK_ONLY)
    stats_rows = judged_all.filter(F.col("outcome") == -1).select("file_no", "stats").collect()
    stats = {r["file_no"]: json.loads(r["stats"]) for r in stats_rows}
    timings["judge"] = ms(t)
    cpu["judge"] = cpu_seconds()
    log("INFO", f"judged {len(files)} files in {len(bins)} tasks: {sum(s.get('rows', 0) for s in stats.values())} rows ({timings['judge']} ms)")
    for f in files:  # header errors: the first in the run's file order
        err = stats.get(f["file_no"], {}).get("header_error")
        if err:
            judged_all.unpersist()
            raise Stop(2, err)
    for f in files:
        f["stats"] = stats[f["file_no"]]
    judged = judged_all.filter(F.col("outcome") >= 0).drop("stats")

    # -- 2. supersession: by record key, last version in file order wins --
    # Only a key held by two or more rows can change anything (a lone row is
    # its own last version), and those are a few percent of a night. So the
    # keys alone are counted first (a narrow shuffle, 16 bytes a row), and
    # only the rows of repeated keys take the wide shuffle through the
    # module's superseder; the rest pass untouched. The repeated keys join
    # back by broadcast while they fit (BROADCAST_BYTES), else by a
    # sort-merge join (which shuffles every keyed row once, by key).
    t = time.time()
    key = ["key_hi", "key_lo"]
    keyed = judged.filter(F.col("key_hi").isNotNull())
    repeated = (
        keyed.groupBy(*key).count().filter(F.col("count") > 1).select(*key, F.lit(True).alias("repeated"))
    ).persist(StorageLevel.MEMORY_AND_DISK)
    n_repeated = repeated.count()
    if n_repeated * 64 <= BROADCAST_BYTES:
        marked = keyed.join(F.broadcast(repeated), key, "left")
    else:
        marked = keyed.join(repeated, key, "left")
    log("INFO", f"{n_repeated} record keys have more than one version")
    versions = marked.filter(F.col("repeated").isNotNull()).drop("repeated")
    lone = marked.filter(F.col("repeated").isNull()).drop("repeated")
    superseded = (
        versions.repartition(par, *key)
        .sortWithinPartitions(*key, "file_no", "line")
        .mapInArrow(
            tasks.stream(conf, "supersede", "superseder", schemas.JUDGED, schemas.JUDGED),
            schemas.ddl(schemas.JUDGED),
        )
    )
    settled = judged.filter(F.col("key_hi").isNull()).unionByName(lone).unionByName(superseded)
    settled = settled.persist(StorageLevel.DISK_ONLY)

    # -- 3. identity: by phone, telecom owners before the deliveries ------
    awaiting = F.col("outcome") == schemas.AWAITING
    owner = (
        (F.col("outcome") != schemas.AWAITING)
        & F.col("owner_start").isNotNull()
        & ~((F.col("outcome") == schemas.FILTERED) & (F.col("reason") == "superseded"))
    )
    owner_cols = ["file_no", "line", "outcome", "person", "phone", "owner_start", "owner_end"]
    owners = settled.filter(F.col("phone").isNotNull() & owner).select(*owner_cols)
    deliveries = settled.filter(awaiting).drop("key_hi", "key_lo", "owner_start", "owner_end")
    phone_in = owners.unionByName(deliveries, allowMissingColumns=True)
    identified = (
        phone_in.repartition(par, "phone")
        .sortWithinPartitions("phone", "outcome", "file_no", "line")
        .mapInArrow(
            tasks.stream(conf, "identify", "identifier", schemas.JUDGED, schemas.JUDGED),
            schemas.ddl(schemas.JUDGED),
        )
    )
    final = settled.filter(~awaiting).unionByName(identified)
    final = final.persist(StorageLevel.DISK_ONLY)

    # -- 4. timelines: by person -----------------------------------------
    decide_cols = ["file_no", "line", "outcome", "person", "city", "division", "record_id", "start", "end"]
    accepted = final.filter(F.col("outcome").isin(*schemas.ACCEPTED)).select(*decide_cols)
    person_rows = (
        accepted.repartition(par, "person")
        .sortWithinPartitions("person", "file_no", "line")
        .mapInArrow(
            tasks.stream(conf, "decide", "decider", schemas.JUDGED, schemas.PERSON),
            schemas.ddl(schemas.PERSON),
        )
    ).persist(StorageLevel.DISK_ONLY)

    # -- the night's figures (lazy until here: the reshuffles run now) -------
    per_file = {f["file_no"]: mf.empty_counts() for f in files}
    # Freshness: the latest start of accepted evidence (pledges: signing day).
    pledge_files = [f["file_no"] for f in files if f["source"] == "pledge"]
    is_pledge = F.col("file_no").isin(*pledge_files) if pledge_files else F.lit(False)
    latest_day = F.when(
        F.col("outcome").isin(schemas.EVIDENCE, schemas.PLEDGE), F.when(is_pledge, F.col("end")).otherwise(F.col("start"))
    )
    counts = final.groupBy("file_no", "outcome", "reason").agg(F.count("*").alias("count"), F.max(latest_day).alias("latest")).collect()
    latest_rows = []
    for r in counts:
        if r["latest"] is not None:
            latest_rows.append(r)
        c = per_file[r["file_no"]]
        n = r["count"]
        c["rows"] += n
        if r["outcome"] in schemas.ACCEPTED:
            c["accepted"] += n
        elif r["outcome"] == schemas.FILTERED:
            c["filtered"][r["reason"]] = c["filtered"].get(r["reason"], 0) + n
        elif r["outcome"] == schemas.REJECTED:
            c["rejected"][r["reason"]] = c["rejected"].get(r["reason"], 0) + n
        else:
            raise Stop(1, f"file {r['file_no']}: {n} rows left with outcome {r['outcome']}")
    for f in files:
        if per_file[f["file_no"]]["rows"] != f["stats"]["rows"]:
            raise Stop(
                1,
                f"{f['input_file']}: {f['stats']['rows']} rows read but {per_file[f['file_no']]['rows']} accounted for",
            )
    latest_per_file = {}
    for r in latest_rows:
        latest_per_file[r["file_no"]] = max(r["latest"], latest_per_file.get(r["file_no"], r["latest"]))
    timings["reshuffles+figures"] = ms(t)
    cpu["reshuffles+figures"] = cpu_seconds()
    log("INFO", f"superseded, identified and decided; figures collected ({timings['reshuffles+figures']} ms)")

    # -- outputs -----------------------------------------------------------
    frames = output_frames(spark, final, person_rows, files, previous, warnings, conf["as_of"])
    incomplete = runfolder.create_incomplete(out, run_id)
    try:
        t = time.time()
        meta = {
            "residence.run_id": run_id,
            "residence.as_of": args.as_of,
            "residence.version": version(),
        }
        rows_out = {}
        # persons.idx: which row groups of filtered and rejects hold a person.
        indexed = {outputs.FILTERED.file: (0, []), outputs.REJECTS.file: (1, [])}
        for spec in outputs.ALL:
            noted = indexed.get(spec.file, (0, None))[1]
            t1 = time.time()
            rows_out[spec.file] = write_output(spark, conf, spec, frames.get(spec.file), incomplete, meta, noted)
            log("INFO", f"wrote {spec.file}: {rows_out[spec.file]} rows ({ms(t1)} ms)")
        rows_out[outputs.PERSON_INDEX] = outputs.write_person_index(
            os.path.join(incomplete, outputs.PERSON_INDEX), list(indexed.values()), run_id
        )
        timings["outputs"] = ms(t)
        cpu["outputs"] = cpu_seconds()

        decisions = (
            frames["eligibility.parquet"].groupBy("city", "status", "basis").count().collect()
        )
        entries, sources = mf.inputs(plan, files, per_file, latest_per_file)
        for f in entries:
            for w in f.get("warnings", []):
                warnings.append(f"{f['path']}: {w}")
        cities = {str(c): {"persons": {}, "eligible": 0, "previous_eligible": None} for c in plan.params["jurisdictions"]}
        for r in sorted(decisions, key=lambda r: (r["city"], r["status"], r["basis"])):
            c = cities.setdefault(r["city"], {"persons": {}, "eligible": 0, "previous_eligible": None})
            c["persons"][f"{r['status']}/{r['basis']}"] = r["count"]
            if r["status"] == "eligible":
                c["eligible"] += r["count"]
        cities = dict(sorted(cities.items()))
        for city, c in cities.items():
            c["persons"] = dict(sorted(c["persons"].items()))
            if previous is not None and previous.eligible is not None:
                c["previous_eligible"] = previous.eligible.get(city)
        for name, s in sources.items():
            s["previous_rows"] = previous.source_rows.get(name) if previous else None
        failures, accepted_drift = mf.gate(sources, cities, float(plan.params["max_eligible_drop"]), args.allow_drift)
        for fnd in failures:
            if fnd["subject"] in sources:
                sources[fnd["subject"]]["gate_passed"] = False
        days = int(plan.params["max_staleness_days"])
        oldest_fresh = as_of - dt.timedelta(days=days)
        for name, s in sources.items():
            if s["latest_evidence"]:
                latest = dt.date.fromisoformat(s["latest_evidence"])
                if latest < oldest_fresh:
                    s["stale"] = True
                    warnings.append(
                        f"source {name}: its latest evidence starts {latest}, {(as_of - latest).days} days before the as-of date (max_staleness_days {days})"
                    )
        passed = not failures
        if args.publish == "always":
            publish_now = passed
        elif args.publish == "never":
            publish_now = False
        else:
            publish_now = passed and (previous is None or as_of >= previous.as_of)
        kept = f"latest still points at {previous.run_id}" if previous else "nothing is published"
        if not passed:
            status, publication = "quality_gate_failed", f"not published: the quality gate failed; {kept}"
        elif publish_now:
            how = "--publish always" if args.publish == "always" else "--publish auto"
            status, publication = "succeeded", f"latest points here ({how})"
        else:
            if args.publish == "never":
                why = "--publish never"
            elif previous is not None:
                why = f"its as-of {args.as_of} is earlier than {previous.as_of} of the published run (--publish auto)"
            else:
                why = "--publish"
            status, publication = "not_published", f"not published: {why}; {kept}"
        timings["total"] = ms(started)
        manifest = {
            "run_id": run_id,
            "tool": "residence",
            "version": version(),
            "status": status,
            "published": publish_now,
            "publication": publication,
            "as_of": args.as_of,
            "pipeline": {"name": plan.name, "path": args.pipeline, "sha256": plan.sha256},
            "data_dir": args.data if args.data else plan.data_dir,
            "parameters": plan.params_entry(),
            "previous_run": {"run_id": previous.run_id, "as_of": previous.as_of.isoformat()} if previous else None,
            "gate": {
                "passed": passed,
                "allow_drift": args.allow_drift,
                "failures": failures,
                "accepted_drift": accepted_drift,
            },
            "sources": sources,
            "cities": cities,
            "files": entries,
            "outputs": dict(sorted(rows_out.items())),
            "timings_ms": dict(sorted(timings.items())),
            "engine": {
                "spark_master": spark.sparkContext.master,
                "spark_application": spark.sparkContext.applicationId,
                "shuffle_partitions": par,
                "judge_tasks": len(bins),
                "input_files": len(files),
                # Cumulative CPU seconds of the whole process tree at the end of each step.
                "cpu_seconds": {k: round(v, 2) for k, v in {**cpu, "manifest": cpu_seconds()}.items()},
                "stages": stage_report(spark),
            },
            "warnings": warnings,
        }
        mf.write(os.path.join(incomplete, "manifest.json"), manifest)
        run_dir = runfolder.complete(out, run_id)
    except BaseException:
        shutil.rmtree(incomplete, ignore_errors=True)
        raise
    if publish_now:
        runfolder.publish(out, run_id)
    for rid in runfolder.retain(out, args.keep_runs):
        log("INFO", f"removed an old run {rid} (--keep-runs {args.keep_runs})")
    for w in warnings:
        log("WARN", w)
    code = 0 if passed else 3
    for fnd in failures:
        log("ERROR", f"quality gate: {fnd['check']} {fnd['subject']}: {fnd['message']}")
    log(
        "INFO" if code == 0 else "ERROR",
        f"run {status}, exit {code}, run_id {run_id}, {ms(started) / 1000:.1f} s, {publication} ({run_dir})",
    )
    return code


# Input bytes per judge task and per shuffle partition.
PARTITION_BYTES = 64 << 20

# The repeated record keys are broadcast to every task while they take at
# most this much (about 64 bytes a key in the broadcast hash table).
BROADCAST_BYTES = 256 << 20


def judge_bins(files, slots):
    """Files packed into judge tasks, largest first onto the lightest task
    (a file is never split: the module's reader reads each whole). Enough
    tasks to keep every slot busy twice over, and about one per 64 MiB."""
    sizes = {f["file_no"]: (os.path.getsize(f["path"]) if os.path.exists(f["path"]) else 0) for f in files}
    total = sum(sizes.values())
    n = min(len(files), max(2 * slots, -(-total // PARTITION_BYTES)))
    bins = [[0, []] for _ in range(n)]
    for no in sorted(sizes, key=lambda k: (-sizes[k], k)):
        b = min(bins, key=lambda b: b[0])
        b[0] += sizes[no]
        b[1].append(no)
    return [b[1] for b in bins if b[1]]


def version():
    try:
        import residence_py as rp

        v = getattr(rp, "__version__", None)
        if v:
            return v
    except Exception:  # noqa: BLE001
        pass
    from importlib.metadata import version as dist_version

    return dist_version("residence_py")


def output_frames(spark, final, person_rows, files, previous, warnings, as_of_day):
    """Each output's rows as a DataFrame with its columns (table-driven: an
    output not here is written with no rows)."""
    from pyspark.sql import functions as F

    file_df = spark.createDataFrame(
        [(f["file_no"], f["source"], f["input_file"]) for f in files],
        "file_no int, source string, input_file string",
    )
    named = final.join(F.broadcast(file_df), "file_no").withColumn("line", F.col("line").cast("bigint"))
    frames = {
        "evidence.parquet": named.filter(F.col("outcome") == schemas.EVIDENCE).withColumnRenamed("person", "person_id"),
        "filtered.parquet": named.filter(F.col("outcome") == schemas.FILTERED).withColumnRenamed("person", "person_id"),
        "rejects.parquet": named.filter(F.col("outcome") == schemas.REJECTED).withColumnRenamed("person", "person_id"),
        "eligibility.parquet": person_rows.filter(F.col("table") == 0)
        .withColumnRenamed("start", "spell_start")
        .withColumnRenamed("end", "spell_end")
        .withColumnRenamed("months", "months_of_evidence"),
        "spells.parquet": person_rows.filter(F.col("table") == 1),
        "declarations.parquet": person_rows.filter(F.col("table") == 2)
        .drop("source")
        .join(F.broadcast(file_df), "file_no")
        .withColumn("line", F.col("line").cast("bigint"))
        .withColumnRenamed("start", "declared_since")
        .withColumnRenamed("end", "signed_date"),
    }
    as_of = F.lit(as_of_day).cast("date")
    frames["eligibility.parquet"] = frames["eligibility.parquet"].withColumn("as_of", as_of)
    elig = frames["eligibility.parquet"]
    if previous is not None:
        try:
            prev = spark.read.parquet(os.path.join(previous.dir, "eligibility.parquet")).select(
                "person_id", "city", F.col("status").alias("previous_status"), F.col("basis").alias("previous_basis")
            )
            now = elig.select("person_id", "city", "status", "basis")
            j = prev.join(now, ["city", "person_id"], "full_outer")
            changed = ~(
                F.col("previous_status").eqNullSafe(F.col("status")) & F.col("previous_basis").eqNullSafe(F.col("basis"))
            )
            frames["changes.parquet"] = j.filter(changed).withColumn(
                "previous_as_of",
                F.when(F.col("previous_status").isNotNull(), F.lit(previous.as_of)).cast("date"),
            ).withColumn("as_of", as_of)
        except Exception as e:  # unreadable: no changes, as residence run does
            warnings.append(f"the published run's decisions cannot be read ({e}); changes.parquet is empty")
    return frames


def write_output(spark, conf, spec, df, run_dir, meta, index=None):
    from pyspark.sql import functions as F

    path = os.path.join(run_dir, spec.file)
    if df is None:
        return outputs.stitch(spec, [], path, meta, index)
    parts = os.path.join(run_dir, f".parts-{spec.file}")
    os.makedirs(parts, exist_ok=True)
    ordered = df.select(*spec.names).orderBy(*[F.col(c).asc() for c in spec.sorted_by])
    written = ordered.mapInArrow(tasks.write_part(conf, spec, parts), "part int, rows bigint").collect()
    names = sorted(
        os.path.join(parts, n) for n in os.listdir(parts) if n.startswith("part-") and n.endswith(".parquet")
    )
    rows = outputs.stitch(spec, names, path, meta, index)
    expected = sum(r["rows"] for r in written)
    shutil.rmtree(parts)
    if rows != expected:
        raise Stop(1, f"{spec.file}: {rows} rows stitched, {expected} written by the tasks")
    return rows


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
