//! The Redis side of a purchase: before the payment, after the order, and the repair.

use redis::AsyncCommands;
use sqlx::PgPool;

use super::HoldEngine;
use super::contracts::{
    Checkout, CheckoutReply, MarkSold, MarkSoldReply, SessionSeats, Unstretch, UnstretchReply,
};
use crate::app::error::AppError;
use crate::server::booking::script;
use crate::server::booking::showtimes::ShowtimeInfo;
use crate::server::session::log_tag;

/// How checkout stretched a hold: its expiry before and after (ms, Redis' clock).
#[derive(Debug, Clone, Copy)]
pub struct Stretch {
    pub before: i64,
    pub after: i64,
}

impl HoldEngine {
    /// Before the payment: the session holds exactly `seats`, none is sold, and the hold now
    /// lasts at least the checkout grace period (within its ceiling). Refusals name the seats
    /// concerned. Returns the stretch, to be undone if the payment is declined.
    #[tracing::instrument(skip(self, showtime, session), fields(showtime = showtime.id, session = %log_tag(session)))]
    pub async fn begin_checkout(
        &self,
        showtime: &ShowtimeInfo,
        session: &str,
        seats: &[i64],
    ) -> Result<Option<Stretch>, AppError> {
        let keys = self.keys(showtime.id);
        let checkout = Checkout {
            target: SessionSeats::new(&keys, session, seats),
            grace: self.rules.checkout_grace,
        };
        match script::run(&mut self.redis(), &checkout).await? {
            CheckoutReply::Ok {
                expires_at,
                stretched_from,
            } => Ok(stretched_from.map(|before| Stretch {
                before,
                after: expires_at,
            })),
            CheckoutReply::Sold { seats } => Err(AppError::SeatTaken {
                seats: showtime.names(&seats),
            }),
            CheckoutReply::NotYours { seats } => Err(AppError::NotYourHold {
                seats: showtime.names(&seats),
            }),
            CheckoutReply::Expired { seats } => Err(AppError::HoldExpired {
                seats: showtime.names(&seats),
            }),
            CheckoutReply::Mismatch { .. } => Err(AppError::bad_input(
                "the seats to buy must be exactly the seats you hold; release the others first",
            )),
        }
    }

    /// A declined payment buys no time: the hold ends when it would have without checkout.
    #[tracing::instrument(skip(self, session), fields(session = %log_tag(session)))]
    pub async fn undo_stretch(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
        stretch: Stretch,
    ) -> Result<(), AppError> {
        let keys = self.keys(showtime);
        let unstretch = Unstretch {
            target: SessionSeats::new(&keys, session, seats),
            stretched: stretch.after,
            expires_at: stretch.before,
        };
        let UnstretchReply::Ok { restored } = script::run(&mut self.redis(), &unstretch).await?;
        if restored {
            self.schedule_sweep(showtime, stretch.before).await?;
        }
        Ok(())
    }

    /// The last step of a purchase, and the reconciler's repair: the seats are sold (each
    /// `(seat, buyer's session)`); drop every hold on them (whoever's) and tell everyone. An
    /// offer from the line that is sold to someone else puts its holder back in line, and the
    /// sweeper serves the line with what the offer leaves free. Idempotent.
    #[tracing::instrument(skip(self, db, sold), fields(seats = sold.len()))]
    pub async fn mark_sold(
        &self,
        db: &PgPool,
        showtime: i64,
        sold: &[(i64, String)],
    ) -> Result<(), AppError> {
        let keys = self.keys(showtime);
        let seats: Vec<i64> = sold.iter().map(|(seat, _)| *seat).collect();
        let buyers: Vec<&str> = sold.iter().map(|(_, buyer)| buyer.as_str()).collect();
        for _ in 0..5 {
            // Who holds the seats now; the script refuses if that changes before it runs.
            let seat_keys: Vec<String> = seats.iter().map(|&seat| keys.seat(seat)).collect();
            let current: Vec<Option<String>> = if seat_keys.is_empty() {
                Vec::new()
            } else {
                self.redis().mget(&seat_keys).await?
            };
            // Holders that did not buy the seat they hold: what else they hold, in case it
            // is an offer to be taken back.
            let mut others = Vec::new();
            let mut looked = Vec::new();
            for (holder, buyer) in current.iter().zip(&buyers) {
                if let Some(holder) = holder
                    && holder != buyer
                    && !looked.contains(holder)
                {
                    looked.push(holder.clone());
                    let theirs: Vec<i64> = self.redis().smembers(keys.holder_seats(holder)).await?;
                    others.extend(theirs.into_iter().filter(|seat| !seats.contains(seat)));
                }
            }
            others.sort_unstable();
            others.dedup();
            let mut holders: Vec<String> = current.into_iter().flatten().collect();
            holders.sort_unstable();
            holders.dedup();
            let mark = MarkSold {
                keys: &keys,
                seats: &seats,
                buyers: &buyers,
                holders: &holders,
                others: &others,
            };
            match self.run_with_sold(db, showtime, &mark).await? {
                MarkSoldReply::Ok { requeued, .. } => {
                    if requeued > 0 {
                        tracing::info!(requeued, "offers sold to someone else; back in line");
                        self.sweep_soon(showtime).await?;
                    }
                    return Ok(());
                }
                MarkSoldReply::Stale => continue,
                MarkSoldReply::NeedsSold => return Err(AppError::Internal),
            }
        }
        tracing::error!("seats kept changing hands while being marked sold");
        Err(AppError::Internal)
    }

    /// Forgets that the sold set is complete, so the next hold rebuilds it from Postgres.
    /// Used when a sale could not be written to Redis after its order was committed.
    pub async fn invalidate_sold(&self, showtime: i64) -> Result<(), AppError> {
        let _: () = self.redis().del(self.keys(showtime).sold_loaded()).await?;
        Ok(())
    }
}
