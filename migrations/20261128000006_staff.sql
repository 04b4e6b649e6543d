-- The staff side: accounts, their sessions, the audit log, and what box office and the
-- schedule need (blocked seats, cancelled showtimes, counter sales, check-in).

CREATE TABLE staff_users (
    id              BIGSERIAL PRIMARY KEY,
    -- Lower-cased on the way in; the login name.
    email           TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    -- argon2id, PHC string format. There is never a default password.
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'box_office')),
    -- Consecutive failed logins; reaching the limit locks the account until `locked_until`.
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A staff session: the cookie holds the token, this table only its SHA-256, so a database
-- read gives nobody a working session.
CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_sessions_expires_idx ON staff_sessions (expires_at);

-- Every staff mutation: who, what, when. Never updated or deleted by the application.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT REFERENCES staff_users (id),
    -- "movie.create", "seat.block", "order.refund", "login.failed", ...
    action      TEXT NOT NULL,
    -- What it was done to: "movie 7", "showtime 12 seats 301,302", an email for logins.
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- Seats nobody may hold for one showtime (house seats, a broken seat).
CREATE TABLE seat_blocks (
    showtime_id BIGINT NOT NULL REFERENCES showtimes (id),
    seat_id     BIGINT NOT NULL REFERENCES seats (id),
    reason      TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    blocked_by  BIGINT REFERENCES staff_users (id),
    blocked_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (showtime_id, seat_id)
);

-- A cancelled showtime stays (its orders point at it) but sells nothing more, and its slot
-- in the room is free again: one live screening per room at a given moment.
ALTER TABLE showtimes ADD COLUMN cancelled_at TIMESTAMPTZ;
ALTER TABLE showtimes DROP CONSTRAINT showtimes_auditorium_id_starts_at_key;
CREATE UNIQUE INDEX showtimes_room_time_live ON showtimes (auditorium_id, starts_at)
    WHERE cancelled_at IS NULL;

-- A refund by staff: `refunding` (written before the gateway is asked; the tickets still
-- hold their seats) → `refunded` (the charge refunded, the tickets inactive). The reconciler
-- finishes a refund whose process died in between; the gateway's refund is idempotent.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'paid', 'fulfilled', 'failed', 'refunding', 'refunded'));

-- Sales at the counter are paid in cash: no card, no gateway charge.
ALTER TABLE orders ADD COLUMN payment_method TEXT NOT NULL DEFAULT 'card'
    CHECK (payment_method IN ('card', 'cash'));
ALTER TABLE orders ALTER COLUMN card_last4 DROP NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_card_check
    CHECK ((payment_method = 'card') = (card_last4 IS NOT NULL));
ALTER TABLE orders DROP CONSTRAINT orders_charged_check;
ALTER TABLE orders ADD CONSTRAINT orders_charged_check
    CHECK (payment_method = 'cash' OR status NOT IN ('paid', 'fulfilled', 'refunding', 'refunded')
           OR charge_id IS NOT NULL);
-- Who refunded or sold it, when staff did.
ALTER TABLE orders ADD COLUMN staff_id BIGINT REFERENCES staff_users (id);
CREATE INDEX orders_refunding_idx ON orders (updated_at) WHERE status = 'refunding';
CREATE INDEX orders_showtime_idx ON orders (showtime_id, created_at);

-- A ticket is scanned in once.
ALTER TABLE tickets ADD COLUMN checked_in_at TIMESTAMPTZ;

-- Theaters: cheaper matinees. Showtimes starting before `matinee_before` (local time) get
-- `matinee_discount_percent` off every price when they are scheduled.
ALTER TABLE theaters ADD COLUMN matinee_before TIME NOT NULL DEFAULT '17:00';
ALTER TABLE theaters ADD COLUMN matinee_discount_percent INTEGER NOT NULL DEFAULT 0
    CHECK (matinee_discount_percent BETWEEN 0 AND 90);
