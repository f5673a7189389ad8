"""The parts of `pymig sql --script` that only a psql script needs: preflight checks that refuse
on their own, and backfills that loop over every batch (PL/pgSQL DO blocks, PostgreSQL 11+)."""

from __future__ import annotations

from ..steps import Batched, Check


class PsqlScript:
    def __init__(self, dialect):
        self.d = dialect

    def check_block(self, check: Check, label: str) -> list[str]:
        """The check as a DO block that raises with the count, as `pymig up` refuses; a check with
        setup (a probe function) runs in a savepoint rolled back after it, as run_check does."""
        groups = "{groups}" in check.message
        count = check.count_query or f"SELECT count(*) FROM ({check.query}) AS pymig_check"
        into = "pymig_count, pymig_groups" if groups else "pymig_count"
        noun = self.d.literal(check.noun)
        args = (f"pymig_count, CASE WHEN pymig_count = 1 THEN {noun} ELSE {noun} || 's' END, "
                "pymig_groups || CASE WHEN pymig_groups = 1 THEN ' value' ELSE ' values' END")
        using = f"MESSAGE = format({self.d.literal(self._message(check, label))}, {args})"
        if check.hint:
            using += f", HINT = {self.d.literal(check.hint)}"
        block = (
            "DO $pymig$\nDECLARE\n    pymig_count bigint;\n    pymig_groups bigint;\nBEGIN\n"
            f"    SELECT * INTO {into} FROM ({count}) AS pymig_counted;\n"
            f"    IF pymig_count > 0 THEN\n        RAISE EXCEPTION USING {using};\n    END IF;\nEND\n$pymig$"
        )
        if not check.setup:
            return [block]
        return [self.d.savepoint("pymig_check"), *check.setup, block,
                self.d.rollback_to("pymig_check"), self.d.release("pymig_check")]

    @staticmethod
    def _message(check: Check, label: str) -> str:
        """The refusal as a format() string: %1$s the count, %2$s the noun, %3$s the groups."""
        text = check.message.replace("%", "%%")
        if "{count}" in text:
            text = text.replace("{count}", "%1$s").replace("{noun}", "%2$s").replace("{groups}", "%3$s")
        else:
            text += " (%1$s %2$s)"
        return f"{label}: {check.operation}: refused by a preflight check: {text}; nothing was changed"

    def backfill_block(self, step: Batched, commit: bool, lock_timeout: str | None = None) -> str:
        """All the batches of a backfill in one DO block. With `commit`, each batch commits on its own
        (COMMIT in a DO block that runs outside a transaction) under the short lock timeout, and the
        batches stop at the largest key there when the backfill starts, as `pymig up` does."""
        k = self.d.quote(step.key)
        key_type = f"{self.d.qname(step.table)}.{k}%TYPE"

        def batch(text: str) -> str:
            text = text.replace("{limit}", str(step.batch_size)).replace("{after}", "pymig_after")
            return (f"WITH pymig_batch AS ({text})\n"
                    f"            SELECT max({k}), count(*) INTO pymig_after, pymig_rows FROM pymig_batch;")

        lines = ["DO $pymig$", "DECLARE", f"    pymig_after {key_type};", f"    pymig_last {key_type};",
                 "    pymig_rows bigint;", "BEGIN"]
        if commit and step.last:
            lines.append(f"    SELECT ({step.last}) INTO pymig_last;")
        lines.append("    LOOP")
        if commit and lock_timeout:
            lines.append(f"        PERFORM set_config('lock_timeout', {self.d.literal(lock_timeout)}, true);")
        lines += ["        IF pymig_after IS NULL THEN", f"            {batch(step.first)}", "        ELSE",
                  f"            {batch(step.after)}", "        END IF;", "        EXIT WHEN pymig_rows = 0;"]
        if commit:
            lines.append("        COMMIT;")
            if step.last:
                lines.append("        EXIT WHEN pymig_after >= pymig_last;")
        lines += ["    END LOOP;", "END", "$pymig$"]
        return "\n".join(lines)
