"""residence on Spark: the job's modules (spark/job.py is the entry point)."""
