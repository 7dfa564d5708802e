"""Versioned schema migrations. Each entry is frozen once released: never edit one, add the next.

A migration runs inside one transaction, so a file is either fully upgraded or untouched.
"""
from __future__ import annotations

DATASET_TABLES_V1 = """
CREATE TABLE units (
    unit_code VARCHAR NOT NULL, unit_name VARCHAR NOT NULL, parent_code VARCHAR,
    level INTEGER NOT NULL, org_type VARCHAR, member_count INTEGER, staff_count INTEGER,
    batch_id BIGINT);
CREATE TABLE annual (
    year INTEGER NOT NULL, unit_code VARCHAR NOT NULL, payroll_prev_year DOUBLE,
    fund_budget DOUBLE, fund_spent DOUBLE, assessment_weight_pct DOUBLE,
    assessment_score DOUBLE, secretary_rating VARCHAR, party_staff INTEGER, batch_id BIGINT);
CREATE TABLE meetings (
    unit_code VARCHAR NOT NULL, meeting_type VARCHAR NOT NULL, date DATE NOT NULL,
    expected INTEGER, attended INTEGER, topic VARCHAR, batch_id BIGINT);
CREATE TABLE problems (
    problem_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, source VARCHAR,
    found_date DATE, category VARCHAR, description VARCHAR, severity VARCHAR,
    owner VARCHAR, measures VARCHAR, due_date DATE, status VARCHAR NOT NULL,
    completed_date DATE, closed_date DATE, batch_id BIGINT);
CREATE TABLE supervision (
    activity_id VARCHAR NOT NULL, unit_code VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    start_date DATE NOT NULL, end_date DATE, lead VARCHAR, findings INTEGER, batch_id BIGINT);
CREATE TABLE ratings (
    year INTEGER NOT NULL, unit_code VARCHAR NOT NULL, stars INTEGER,
    basic_org DOUBLE, basic_team DOUBLE, basic_activity DOUBLE, basic_role DOUBLE,
    basic_system DOUBLE, basic_support DOUBLE, compliant BOOLEAN, batch_id BIGINT);
CREATE TABLE indicators (
    unit_code VARCHAR NOT NULL, period VARCHAR NOT NULL, indicator_code VARCHAR NOT NULL,
    value DOUBLE, batch_id BIGINT);
CREATE TABLE batches (
    batch_id BIGINT NOT NULL, dataset VARCHAR NOT NULL, file_name VARCHAR,
    sha256 VARCHAR, rows_total INTEGER, rows_inserted INTEGER, rows_updated INTEGER,
    rows_unchanged INTEGER, user_name VARCHAR, created_at TIMESTAMP NOT NULL);
CREATE TABLE problem_snapshots (
    problem_id VARCHAR NOT NULL, status VARCHAR NOT NULL, due_date DATE,
    as_of DATE NOT NULL, batch_id BIGINT);
CREATE TABLE meta (key VARCHAR NOT NULL, value VARCHAR);
"""

# Every unit's ancestors, itself included (depth 0), up to 8 levels; a parent naming itself ends the chain.
UNIT_PATHS_SELECT = """
WITH RECURSIVE p(unit_code, ancestor_code, depth) AS (
    SELECT unit_code, unit_code, 0 FROM units
    UNION ALL
    SELECT p.unit_code, u.parent_code, p.depth + 1
    FROM p JOIN units u ON u.unit_code = p.ancestor_code
    WHERE u.parent_code IS NOT NULL AND u.parent_code <> u.unit_code AND p.depth < 8
)
SELECT p.unit_code, p.ancestor_code, a.level AS ancestor_level, p.depth
FROM p JOIN units a ON a.unit_code = p.ancestor_code"""
INSERT_UNIT_PATHS = "INSERT INTO unit_paths" + UNIT_PATHS_SELECT

# v2: branches get a founding date (meeting slots only count once a branch exists);
# batches can be undone, so the rows a batch overwrote are kept in shadow tables;
# the data version lets caches know when the store changed; unit_paths lists every unit's
# ancestors (itself included) so any figure filters to a subtree and rolls up by level.
V2 = f"""
ALTER TABLE units ADD COLUMN founded_date DATE;
ALTER TABLE batches ADD COLUMN kind VARCHAR DEFAULT 'upload';
ALTER TABLE batches ADD COLUMN undone_at TIMESTAMP;
ALTER TABLE batches ADD COLUMN as_of DATE;
CREATE TABLE units_undo AS SELECT *, CAST(NULL AS BIGINT) AS undo_batch_id FROM units WHERE false;
CREATE TABLE annual_undo AS SELECT *, CAST(NULL AS BIGINT) AS undo_batch_id FROM annual WHERE false;
CREATE TABLE meetings_undo AS SELECT *, CAST(NULL AS BIGINT) AS undo_batch_id FROM meetings WHERE false;
CREATE TABLE problems_undo AS SELECT *, CAST(NULL AS BIGINT) AS undo_batch_id FROM problems WHERE false;
CREATE TABLE supervision_undo AS SELECT *, CAST(NULL AS BIGINT) AS undo_batch_id FROM supervision WHERE false;
CREATE TABLE ratings_undo AS SELECT *, CAST(NULL AS BIGINT) AS undo_batch_id FROM ratings WHERE false;
CREATE TABLE indicators_undo AS SELECT *, CAST(NULL AS BIGINT) AS undo_batch_id FROM indicators WHERE false;
INSERT INTO meta VALUES ('data_version', '0');
CREATE VIEW unit_paths AS
{UNIT_PATHS_SELECT};
"""

# v3: accounts (passwords hashed with argon2, each bound to a unit of the tree, or none for the
# whole store), failed sign-ins (for throttling), the audit log, and who undid a batch.
V3 = """
CREATE TABLE accounts (
    username VARCHAR PRIMARY KEY, display_name VARCHAR, email VARCHAR, password_hash VARCHAR,
    role VARCHAR NOT NULL, unit_code VARCHAR, created_at TIMESTAMP NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT false, last_login TIMESTAMP, demo BOOLEAN NOT NULL DEFAULT false);
CREATE TABLE login_failures (username VARCHAR NOT NULL, failed_at TIMESTAMP NOT NULL);
CREATE SEQUENCE audit_log_ids START 1;
CREATE TABLE audit_log (
    id BIGINT NOT NULL DEFAULT nextval('audit_log_ids'), logged_at TIMESTAMP NOT NULL, username VARCHAR,
    action VARCHAR NOT NULL, target VARCHAR, detail VARCHAR);
ALTER TABLE batches ADD COLUMN undone_by VARCHAR;
"""

# v4: unit_paths becomes a table. As a recursive view it was recomputed by every query naming it
# (30–50 ms each at 100,000 branches, tens of times per page); kpi.store.derived.refresh_unit_paths
# rebuilds it whenever the tree has changed (on opening the store and with every data version).
V4 = f"""
DROP VIEW unit_paths;
CREATE TABLE unit_paths (unit_code VARCHAR NOT NULL, ancestor_code VARCHAR NOT NULL, ancestor_level INTEGER,
                         depth INTEGER);
{INSERT_UNIT_PATHS};
"""

# v5: problem_changes, the problem snapshots that changed a problem's status or deadline (and each
# problem's first), which the weekly series reads instead of every weekly re-snapshot; the batches
# already taken in are counted in problem_change_batches. kpi.store.derived fills and maintains both.
V5 = """
CREATE TABLE problem_changes (problem_id VARCHAR NOT NULL, status VARCHAR, due_date DATE, as_of DATE NOT NULL,
                              batch_id BIGINT);
CREATE TABLE problem_change_batches (batch_key BIGINT NOT NULL, snapshots BIGINT NOT NULL);
"""

# v6: sign-in attempts replace failed sign-ins. Every attempt is written (outcome 'pending') before
# its password is verified, then marked 'failure', 'success' or 'locked', so that a lock decision
# counts attempts still in flight — in this process or another one (kpi.access.accounts.authenticate).
# A success's clears_before is the lowest attempt id it forgives (failures finished before it began).
V6 = """
CREATE SEQUENCE login_attempt_ids START 1;
CREATE TABLE login_attempts (
    attempt_id BIGINT NOT NULL DEFAULT nextval('login_attempt_ids'), username VARCHAR NOT NULL,
    client VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, outcome VARCHAR NOT NULL, clears_before BIGINT);
INSERT INTO login_attempts (username, client, started_at, outcome)
    SELECT username, 'unknown', failed_at, 'failure' FROM login_failures ORDER BY failed_at;
DROP TABLE login_failures;
"""

# v7: the worksheets a batch's rows came from (a JSON list of sheet names, '[]' for a CSV; NULL for
# edits and for batches written before v7), so that the same-file check tells loading one sheet of a
# workbook from loading another sheet, or all of them, of the same file; and, per dataset, the data
# version at which it was last written (meta changed_at.<dataset>, starting at the current version),
# so that a preview goes stale only when a dataset it was computed from changes.
V7 = """
ALTER TABLE batches ADD COLUMN sheets_loaded VARCHAR;
INSERT INTO meta
SELECT 'changed_at.' || d.name, coalesce((SELECT value FROM meta WHERE key = 'data_version'), '0')
FROM (VALUES ('units'), ('annual'), ('meetings'), ('problems'), ('supervision'), ('ratings'), ('indicators')) d(name);
"""

MIGRATIONS: list[str] = [DATASET_TABLES_V1, V2, V3, V4, V5, V6, V7]
LATEST_VERSION = len(MIGRATIONS)
