-- Companion seats are sold with a wheelchair space (someone who uses a wheelchair, and the
-- person with them), unless the theater chooses otherwise. On by default.
ALTER TABLE theaters
    ADD COLUMN companion_needs_wheelchair BOOLEAN NOT NULL DEFAULT true;
