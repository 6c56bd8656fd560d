-- Signoff on PostgreSQL: the app's role may add to and read the audit trail, never change it.
-- Run as the owner (migration) role, after every `signoff migrate` (it is safe to run again).
-- Tested by tests/integration/test_audit_roles.py, which runs this file as it is.
GRANT USAGE ON SCHEMA public TO signoff_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO signoff_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO signoff_app;
-- The audit trail: append and read only.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM signoff_app;
-- The schema version: the app reads it at start (nothing to migrate), never writes it.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM signoff_app;
