//! Integration tests: the real application on port 0, against real Postgres and Redis.
//!
//! Every test gets a fresh database (created, migrated and seeded by the same code path as
//! production) and its own Redis key prefix, so tests never see each other's data and never
//! touch the demo database.

mod helpers;

mod api;
mod assets;
mod best;
mod caching;
mod cluster;
mod forms;
mod hardening;
mod health;
mod holds;
mod limits;
mod line;
mod line_live;
mod line_race;
mod live;
mod metrics;
mod migrations;
mod pages;
mod purchase;
mod race;
mod recovery;
mod replica;
mod resources;
mod room;
mod scripts;
mod staff;
mod staff_access;
mod staff_box;
mod staff_counter;
mod tickets;
