-- Crash-safe purchases: the order exists, as a pending payment holding its seats, before the
-- card is charged; the gateway's reference is stored once it is; each transition is one
-- transaction (see src/server/booking/orders.rs):
--
--   pending ──charge captured──> paid ──seats sold in Redis──> fulfilled
--      │                          │
--      └──declined / voided──> failed ──a late capture refunded──> refunded
--                                 paid ──refunded──> refunded
--
-- A failed or refunded order keeps its rows (the history), but its tickets no longer hold
-- their seats.

ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'pending';
-- Orders made before this migration were paid and their seats sold: fulfilled.
UPDATE orders SET status = 'fulfilled' WHERE status = 'paid';
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'paid', 'fulfilled', 'failed', 'refunded'));

-- The idempotency key sent to the payment gateway: derived on the server, one per attempt
-- (never the client's key), so a gateway retry can only ever repeat this order's charge.
ALTER TABLE orders ADD COLUMN payment_key TEXT;
UPDATE orders SET payment_key = 'order-' || code WHERE payment_key IS NULL;
ALTER TABLE orders ALTER COLUMN payment_key SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_payment_key_key UNIQUE (payment_key);
-- The gateway's reference of the captured charge (absent until captured).
ALTER TABLE orders ADD COLUMN charge_id TEXT UNIQUE;
-- Why a payment failed (declined, voided, …), for support.
ALTER TABLE orders ADD COLUMN failure TEXT;
ALTER TABLE orders ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE orders ADD CONSTRAINT orders_charged_check
    CHECK (status NOT IN ('paid', 'fulfilled', 'refunded') OR charge_id IS NOT NULL);

-- A client's key names one live purchase: a failed attempt gives its key back, so the same
-- request may be tried again (with a new payment key).
ALTER TABLE orders DROP CONSTRAINT orders_idempotency_key_key;
CREATE UNIQUE INDEX orders_idempotency_key_live ON orders (idempotency_key)
    WHERE status <> 'failed';
CREATE INDEX orders_unsettled_idx ON orders (status, updated_at)
    WHERE status IN ('pending', 'paid');

-- Tickets of a failed or refunded order stop holding their seat; the fence covers only
-- tickets that do.
ALTER TABLE tickets ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE tickets DROP CONSTRAINT tickets_showtime_id_seat_id_key;
CREATE UNIQUE INDEX tickets_seat_fence ON tickets (showtime_id, seat_id) WHERE active;

-- Redis' live-state versions start from this epoch, bumped each time Redis' state of the
-- showtime is rebuilt (after a flush or a restart without persistence), so versions never go
-- backwards for a viewer.
ALTER TABLE showtimes ADD COLUMN redis_epoch BIGINT NOT NULL DEFAULT 0;

-- The ledger of the test payment gateway (src/server/booking/payment.rs), standing in for a
-- card processor's own records: what it captured, refunded or voided under each key. Only
-- the test gateway reads or writes it.
CREATE TABLE test_gateway_charges (
    idempotency_key TEXT PRIMARY KEY,
    charge_id       TEXT UNIQUE,
    amount_cents    BIGINT NOT NULL CHECK (amount_cents >= 0),
    status          TEXT NOT NULL CHECK (status IN ('captured', 'refunded', 'voided')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'voided') = (charge_id IS NULL))
);
