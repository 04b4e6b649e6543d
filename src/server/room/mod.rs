//! On-sale waiting rooms: when a big release opens, people wait in a fair queue in front of
//! its seat maps, and are let in at a set pace.
//!
//! - An on-sale (`on_sales` in Postgres) has an opening time, a pre-queue window before it,
//!   an admission rate and a cap on people shopping at once; its showtimes point at it.
//! - Everyone who takes a place in the pre-queue window gets a place *drawn* at random:
//!   SHA-1 of the on-sale's secret seed and their entry id. The seed's SHA-256 is published
//!   before the opening (the commitment), the seed and the drawn entry ids after it, so
//!   anyone can redo the draw ([`draw_order`]) and check it against the order served. Arriving
//!   early gives no edge. From the opening, places go in arrival order behind the drawn ones.
//! - People are admitted from the front (`tick.lua`), no faster than the rate and never more
//!   than the cap at once. An admission is a signed, expiring token ([`token`]) bound to the
//!   session, in a cookie; holds and purchases of the on-sale's showtimes need it
//!   ([`require_admission`]: `403 not_admitted` otherwise). Leaving, or an admission running
//!   out, frees the slot for the next person.
//! - One place per session and per client address (`QUEUE_PLACES_PER_ADDRESS`); a session
//!   keeps its entry for good, so leaving and coming back never gives a better place.
//! - Everything lives in Redis under the on-sale's hash tag (`keys.rs`), shared by every
//!   instance and kept across app restarts; the live socket tells a waiting person their
//!   place (`live::socket`), and `/on_sales/<id>` is a page that works without JavaScript
//!   ([`page`]).

mod contracts;
mod draw;
pub mod http;
mod on_sale;
pub mod page;
mod status;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use redis::AsyncCommands;
use sqlx::PgPool;

use self::contracts::{Admitted, Join, JoinReply, Leave, LeaveReply, Tick, TickReply, Ticked};
pub use self::draw::{commitment, draw_order};
pub use self::on_sale::OnSale;
use self::on_sale::load;
use self::status::status_from;
use crate::app::error::AppError;
use crate::app::room::{Draw, OnSaleInfo, Phase, QueueState, QueueStatus};
use crate::server::booking::keys::{Keyspace, RoomKeys};
use crate::server::booking::script;
use crate::server::cache::BoundedCache;
use crate::server::redis_client::Redis;
use crate::server::session::random_token;

/// The room's keys are kept this long after the opening (then Redis drops them).
const KEEP_AFTER_OPENING: Duration = Duration::from_secs(3 * 24 * 3600);
/// On-sales are read from Postgres at most this often per instance.
const ON_SALE_TTL: Duration = Duration::from_secs(5);

/// How rooms behave (from the settings).
#[derive(Debug, Clone)]
pub struct RoomRules {
    pub admission_ttl: Duration,
    pub per_address: u32,
    pub tick: Duration,
}

/// The waiting rooms of every on-sale.
#[derive(Clone)]
pub struct WaitingRoom {
    redis: Redis,
    keyspace: Keyspace,
    rules: RoomRules,
    on_sales: BoundedCache<i64, Arc<OnSale>>,
}

impl WaitingRoom {
    pub fn new(redis: Redis, keyspace: Keyspace, rules: RoomRules) -> Self {
        Self {
            redis,
            keyspace,
            rules,
            on_sales: BoundedCache::new(1000, ON_SALE_TTL),
        }
    }

    pub fn rules(&self) -> &RoomRules {
        &self.rules
    }

    fn keys(&self, on_sale: i64) -> RoomKeys {
        self.keyspace.room(on_sale)
    }

    /// The on-sale `id` (briefly cached).
    pub async fn on_sale(&self, db: &PgPool, id: i64) -> Result<Arc<OnSale>, AppError> {
        let load = async { load(db, id).await.map(Arc::new) };
        Ok(self.on_sales.get_or_load(id, load).await?.0)
    }

    /// The draw's secret seed (made by whoever asks first, on any instance).
    async fn seed(&self, on_sale: i64) -> Result<String, AppError> {
        let key = self.keys(on_sale).seed();
        let mut redis = self.redis.clone();
        let candidate = format!("{}{}", random_token(), random_token());
        // One round trip (Redis 7): the seed already there, or `nil` when this one was set.
        let existing: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&candidate)
            .arg("NX")
            .arg("GET")
            .query_async(&mut redis)
            .await?;
        Ok(existing.unwrap_or(candidate))
    }

    /// What anyone may know of an on-sale: the commitment always, the seed once it opened.
    pub async fn info(&self, on_sale: &OnSale) -> Result<OnSaleInfo, AppError> {
        let seed = self.seed(on_sale.id).await?;
        let phase = on_sale.phase_at(Utc::now());
        Ok(OnSaleInfo {
            id: on_sale.id,
            name: on_sale.name.clone(),
            opens_at: on_sale.opens_at.to_rfc3339(),
            queue_opens_at: on_sale.queue_opens_at.to_rfc3339(),
            admit_per_minute: on_sale.admit_per_minute,
            max_active: on_sale.max_active,
            showtime_ids: on_sale.showtime_ids.clone(),
            phase,
            commitment: commitment(&seed),
            seed: (phase == Phase::Open).then_some(seed),
        })
    }

    /// The draw, once the on-sale has opened: the seed, the drawn entries, and their order.
    pub async fn draw(&self, on_sale: &OnSale) -> Result<Draw, AppError> {
        if on_sale.phase_at(Utc::now()) != Phase::Open {
            return Err(AppError::Conflict {
                message: "the draw is revealed when the on-sale opens".into(),
            });
        }
        let seed = self.seed(on_sale.id).await?;
        let mut entries: Vec<String> = self
            .redis
            .clone()
            .smembers(self.keys(on_sale.id).drawn())
            .await?;
        entries.sort();
        let order = draw_order(&seed, &entries);
        Ok(Draw {
            commitment: commitment(&seed),
            seed,
            entries,
            order,
        })
    }

    /// Takes a place for `session` (or finds the one it has).
    pub async fn join(
        &self,
        on_sale: &OnSale,
        session: &str,
        client: &str,
    ) -> Result<QueueStatus, AppError> {
        self.seed(on_sale.id).await?;
        let keys = self.keys(on_sale.id);
        let entry = random_token();
        let keep = on_sale.opens_at + KEEP_AFTER_OPENING;
        let call = Join {
            keys: &keys,
            session,
            client,
            entry: &entry,
            per_address: self.rules.per_address,
            draw_from_ms: on_sale.queue_opens_at.timestamp_millis(),
            opens_ms: on_sale.opens_ms(),
            keep_until_ms: keep.timestamp_millis(),
        };
        let entry = match script::run(&mut self.redis.clone(), &call).await? {
            JoinReply::Ok { entry } => entry,
            JoinReply::Already { entry } => {
                let status = self.status_of(on_sale, Some(&entry)).await?;
                if matches!(status.state, QueueState::Left | QueueState::Expired) {
                    return Err(AppError::QueuePlaceUsed);
                }
                return Ok(status);
            }
            JoinReply::TooEarly { opens_in_ms } => {
                return Err(AppError::QueueNotOpen { opens_in_ms });
            }
            JoinReply::AddressTaken => return Err(AppError::AddressInQueue),
        };
        self.status_of(on_sale, Some(&entry)).await
    }

    /// The entry of `session` in the on-sale's queue, if it took one.
    pub async fn entry_of(&self, on_sale: i64, session: &str) -> Result<Option<String>, AppError> {
        let entry: Option<String> = self
            .redis
            .clone()
            .hget(self.keys(on_sale).sessions(), session)
            .await?;
        Ok(entry)
    }

    /// Where `session` stands (admitting whoever's turn it is first).
    pub async fn status(&self, on_sale: &OnSale, session: &str) -> Result<QueueStatus, AppError> {
        let entry = self.entry_of(on_sale.id, session).await?;
        self.status_of(on_sale, entry.as_deref()).await
    }

    /// Admits whoever's turn it is; says where `entry` stands.
    pub async fn status_of(
        &self,
        on_sale: &OnSale,
        entry: Option<&str>,
    ) -> Result<QueueStatus, AppError> {
        let ticked = self.tick(on_sale, entry).await?;
        Ok(status_from(on_sale, entry, &ticked))
    }

    async fn tick(&self, on_sale: &OnSale, entry: Option<&str>) -> Result<Ticked, AppError> {
        let keys = self.keys(on_sale.id);
        let call = Tick {
            keys: &keys,
            entry: entry.unwrap_or(""),
            opens_ms: on_sale.opens_ms(),
            per_minute: on_sale.admit_per_minute,
            burst: on_sale.burst(),
            max_active: on_sale.max_active,
            ttl_ms: self.rules.admission_ttl.as_millis() as i64,
        };
        let TickReply::Ok(ticked) = script::run(&mut self.redis.clone(), &call).await?;
        if ticked.admitted_now > 0 {
            metrics::counter!("marquee_queue_admissions_total")
                .increment(u64::from(ticked.admitted_now));
        }
        Ok(ticked)
    }

    /// Gives `session`'s place up (it cannot take another).
    pub async fn leave(&self, on_sale: &OnSale, session: &str) -> Result<QueueStatus, AppError> {
        if let Some(entry) = self.entry_of(on_sale.id, session).await? {
            let keys = self.keys(on_sale.id);
            let LeaveReply::Ok { was } = script::run(
                &mut self.redis.clone(),
                &Leave {
                    keys: &keys,
                    entry: &entry,
                },
            )
            .await?;
            tracing::info!(
                on_sale = on_sale.id,
                was,
                "a place in the queue was given up"
            );
        }
        self.status(on_sale, session).await
    }

    /// How many people the on-sale has admitted so far.
    pub async fn admitted_total(&self, on_sale: i64) -> Result<u64, AppError> {
        let total: Option<u64> = self.redis.clone().get(self.keys(on_sale).total()).await?;
        Ok(total.unwrap_or(0))
    }

    /// Whether `entry` of `session` is admitted right now.
    pub async fn is_admitted(
        &self,
        on_sale: i64,
        entry: &str,
        session: &str,
    ) -> Result<bool, AppError> {
        let keys = self.keys(on_sale);
        let call = Admitted {
            keys: &keys,
            entry,
            session,
        };
        let contracts::AdmittedReply::Ok { admitted } =
            script::run(&mut self.redis.clone(), &call).await?;
        Ok(admitted)
    }
}

/// Refuses a hold or purchase of `showtime` unless this request carries the admission of
/// its on-sale for `session` (`403 not_admitted`).
pub async fn require_admission(
    state: &crate::server::AppState,
    on_sale: Option<i64>,
    session: &str,
) -> Result<(), AppError> {
    let Some(on_sale) = on_sale else {
        return Ok(());
    };
    let refused = AppError::NotAdmitted { on_sale };
    let Some(cookie) = token::from_request(on_sale) else {
        return Err(refused);
    };
    let key = state.tickets.key(&state.db).await?;
    let Some(admission) = token::verify(&key, on_sale, session, &cookie) else {
        return Err(refused);
    };
    if state
        .room
        .is_admitted(on_sale, &admission.entry, session)
        .await?
    {
        Ok(())
    } else {
        Err(refused)
    }
}
