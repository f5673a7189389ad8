"""The pieces the executor runs a plan with: sessions (live or preview), transactions with lock
retries, progress records, online backfills, and the per-migration run that ties them together."""
