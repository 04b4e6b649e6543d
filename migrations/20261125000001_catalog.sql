-- The catalog: what is playing, where, and on which seats.
--
-- A theater has auditoriums; an auditorium has a fixed seat layout; a showtime puts one movie
-- in one auditorium at one time, with a price for each kind of seat. Everything a booking
-- refers to (seats, showtimes) lives here and is never deleted while tickets point at it.

CREATE TABLE movies (
    id              BIGSERIAL PRIMARY KEY,
    -- Stable, human-readable key used by the demo seeder to stay idempotent.
    slug            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    synopsis        TEXT NOT NULL DEFAULT '',
    runtime_minutes INTEGER NOT NULL CHECK (runtime_minutes BETWEEN 1 AND 600),
    -- Free text so that any rating system fits (MPAA "PG-13", FSK "12", BBFC "15"...).
    rating          TEXT NOT NULL,
    -- The poster area is drawn in CSS from this hue until real artwork is uploaded.
    poster_hue      INTEGER NOT NULL DEFAULT 220 CHECK (poster_hue BETWEEN 0 AND 359)
);

CREATE TABLE theaters (
    id       BIGSERIAL PRIMARY KEY,
    slug     TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    city     TEXT NOT NULL,
    -- IANA zone name; showtimes are stored in UTC and shown in the theater's local time.
    timezone TEXT NOT NULL
);

CREATE TABLE auditoriums (
    id         BIGSERIAL PRIMARY KEY,
    theater_id BIGINT NOT NULL REFERENCES theaters (id),
    name       TEXT NOT NULL,
    -- Size of the layout grid. Seats occupy some cells; the empty cells are aisles and gaps,
    -- so a renderer can draw the room faithfully without knowing anything else.
    grid_rows  INTEGER NOT NULL CHECK (grid_rows BETWEEN 1 AND 200),
    grid_cols  INTEGER NOT NULL CHECK (grid_cols BETWEEN 1 AND 200),
    UNIQUE (theater_id, name)
);

-- Accessibility matters to the data model: a wheelchair space is not a seat, and its
-- companion seat is sold alongside it. Pricing and rendering both key on the kind.
CREATE TYPE seat_kind AS ENUM ('standard', 'premium', 'wheelchair', 'companion');

CREATE TABLE seats (
    id            BIGSERIAL PRIMARY KEY,
    auditorium_id BIGINT NOT NULL REFERENCES auditoriums (id),
    -- What is printed on the ticket: row "C", seat 7.
    row_label     TEXT NOT NULL CHECK (length(row_label) BETWEEN 1 AND 4),
    number        INTEGER NOT NULL CHECK (number > 0),
    -- Where the seat sits on the auditorium's grid (1-based, row 1 nearest the screen).
    grid_row      INTEGER NOT NULL CHECK (grid_row > 0),
    grid_col      INTEGER NOT NULL CHECK (grid_col > 0),
    kind          seat_kind NOT NULL DEFAULT 'standard',
    UNIQUE (auditorium_id, row_label, number),
    -- Two seats can never be drawn on top of each other.
    UNIQUE (auditorium_id, grid_row, grid_col)
);

CREATE TABLE showtimes (
    id            BIGSERIAL PRIMARY KEY,
    movie_id      BIGINT NOT NULL REFERENCES movies (id),
    auditorium_id BIGINT NOT NULL REFERENCES auditoriums (id),
    starts_at     TIMESTAMPTZ NOT NULL,
    -- One screening per room at a given moment; also what keeps the demo schedule idempotent.
    UNIQUE (auditorium_id, starts_at)
);

-- The home page lists upcoming showtimes in time order.
CREATE INDEX showtimes_starts_at_idx ON showtimes (starts_at);

-- A price for every kind of seat of a showtime, in cents of the theater's currency.
-- Integers, never floats: money must add up exactly.
CREATE TABLE showtime_prices (
    showtime_id BIGINT NOT NULL REFERENCES showtimes (id) ON DELETE CASCADE,
    kind        seat_kind NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    PRIMARY KEY (showtime_id, kind)
);
