"""Expand users.email to 320 characters (the longest address RFC 5321 allows).

Widening varchar(255) to varchar(320) loses nothing, so the seed's hand-written length checks
are not needed: the inverse narrows the column back to varchar(255), and pymig's own preflight
check refuses that `pymig down`, counting and showing the addresses longer than 255 characters,
before it changes anything.
"""

from pymig import alter_column

operations = [
    alter_column("users", "email", type="varchar(320)"),
]
