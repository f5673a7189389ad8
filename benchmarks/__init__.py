"""pymig's benchmarks against Alembic, yoyo and psql: `python benchmarks/run.py` (see README.md)."""
