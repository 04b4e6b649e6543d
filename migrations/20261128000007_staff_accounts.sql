-- A staff account can be disabled (someone left): it cannot sign in and its sessions end.
-- Kept, not deleted: the audit log and the orders it sold point at it.
ALTER TABLE staff_users ADD COLUMN disabled_at TIMESTAMPTZ;
