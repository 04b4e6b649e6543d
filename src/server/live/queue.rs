//! The waiting room on the live socket: a socket of a showtime sold through an on-sale, whose
//! session took a place in its queue, is told where it stands whenever that changes (place,
//! state, how many wait). Each tick also admits whoever's turn it is (`room/lua/tick.lua`),
//! so the people waiting drive the room, on whichever instance their socket is.

use std::time::Duration;

use tokio::time::{Interval, MissedTickBehavior};

use crate::app::booking::ServerMessage;
use crate::app::room::QueueState;
use crate::server::AppState;
use crate::server::booking::showtimes::ShowtimeInfo;

pub struct QueueWatch {
    on_sale: i64,
    entry: Option<String>,
    /// What the client was last told: state, place, people waiting.
    told: Option<(QueueState, Option<u32>, u32)>,
    interval: Interval,
}

impl QueueWatch {
    /// A watch for a showtime sold through an on-sale; `None` otherwise.
    pub fn of(showtime: &ShowtimeInfo, every: Duration) -> Option<Self> {
        let on_sale = showtime.on_sale_id?;
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Some(Self {
            on_sale,
            entry: None,
            told: None,
            interval,
        })
    }

    /// The next tick (never, without a watch).
    pub async fn tick(watch: &mut Option<Self>) {
        match watch {
            Some(watch) => {
                watch.interval.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    /// What to send `session` now, if anything changed.
    pub async fn check(&mut self, state: &AppState, session: &str) -> Option<ServerMessage> {
        let room = &state.room;
        if self.entry.is_none() {
            self.entry = room.entry_of(self.on_sale, session).await.ok()?;
        }
        let entry = self.entry.as_deref()?;
        let on_sale = room.on_sale(&state.db, self.on_sale).await.ok()?;
        let status = match room.status_of(&on_sale, Some(entry)).await {
            Ok(status) => status,
            Err(error) => {
                tracing::warn!(?error, "could not read a place in the queue");
                return None;
            }
        };
        let now = (status.state, status.position, status.waiting);
        if self.told == Some(now) {
            return None;
        }
        self.told = Some(now);
        Some(ServerMessage::Queue { status })
    }
}
