-- Keys the application makes for itself on first use and every instance must share (the
-- ticket-signing key, unless TICKET_SECRET is set). Never shown anywhere.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
