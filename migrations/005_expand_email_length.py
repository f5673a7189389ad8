"""Expand users.email to 320 characters (the longest address RFC 5321 allows).

Widening varchar(255) to varchar(320) loses nothing, so unlike the seed there is no hand-written
length check. The inverse narrows the column back to varchar(255); if longer addresses exist
by then, PostgreSQL refuses ("value too long for type character varying(255)") and
`pymig down` rolls the whole migration back, changing nothing.
"""

from pymig import alter_column

operations = [
    alter_column("users", "email", type="varchar(320)"),
]
