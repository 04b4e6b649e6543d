-- On-sales: a big release that opens at a set time, through a waiting room. Everyone who
-- arrives in the `prequeue_minutes` before `opens_at` gets a random place at the opening;
-- later arrivals join at the back. People are admitted to the seat map at
-- `admit_per_minute`, never more than `max_active` shopping at once. A showtime belongs to
-- at most one on-sale; several showtimes of one movie may share one.
CREATE TABLE on_sales (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    opens_at TIMESTAMPTZ NOT NULL,
    prequeue_minutes INTEGER NOT NULL CHECK (prequeue_minutes BETWEEN 0 AND 1440),
    admit_per_minute INTEGER NOT NULL CHECK (admit_per_minute BETWEEN 1 AND 100000),
    max_active INTEGER NOT NULL CHECK (max_active BETWEEN 1 AND 100000),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE showtimes ADD COLUMN on_sale_id BIGINT REFERENCES on_sales (id);
CREATE INDEX showtimes_on_sale ON showtimes (on_sale_id) WHERE on_sale_id IS NOT NULL;
