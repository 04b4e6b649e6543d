-- Orders and tickets: the system of record for what has been sold.
--
-- Redis decides who may try to buy a seat (holds); Postgres decides who owns it. The UNIQUE
-- constraint on tickets is the last fence: whatever happens to Redis, two orders can never
-- hold a ticket for the same seat of the same showtime.

CREATE TABLE orders (
    id              BIGSERIAL PRIMARY KEY,
    -- Short, unguessable confirmation code shown to the buyer and used in /orders/{code}.
    code            TEXT NOT NULL UNIQUE,
    showtime_id     BIGINT NOT NULL REFERENCES showtimes (id),
    -- The anonymous session that bought the order (who may see it without the code).
    session_id      TEXT NOT NULL,
    buyer_name      TEXT NOT NULL,
    buyer_email     TEXT NOT NULL,
    total_cents     INTEGER NOT NULL CHECK (total_cents >= 0),
    -- Only the last four digits of the card are ever stored.
    card_last4      TEXT NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
    status          TEXT NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'refunded')),
    -- A client-chosen key: retrying a purchase with the same key returns this order instead of
    -- charging twice. The hash of the request detects a different payload under the same key.
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash    TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX orders_session_id_idx ON orders (session_id);

CREATE TABLE tickets (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    showtime_id BIGINT NOT NULL REFERENCES showtimes (id),
    seat_id     BIGINT NOT NULL REFERENCES seats (id),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    -- The fence. The application maps a violation of this constraint, by name, to
    -- "seat taken"; it never matches on error text.
    CONSTRAINT tickets_showtime_id_seat_id_key UNIQUE (showtime_id, seat_id)
);

CREATE INDEX tickets_order_id_idx ON tickets (order_id);
