"""`pymig diff` and `pymig drift`: the next migration written from a desired schema, and the
differences between a database and the state its history should have produced.

Both sides of a comparison are read from real catalogs by the same introspection (the desired
schema applied to a scratch database, the migrations applied to another), so they compare exactly;
`differ` turns two Schema values into the operations a person would write."""
