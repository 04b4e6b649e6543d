//! The Redis side of a purchase: before the payment, after the order, and the repair.

use redis::AsyncCommands;

use super::{CheckoutRefusal, HoldEngine, ids, ms, num, unexpected};
use crate::app::error::AppError;

impl HoldEngine {
    /// Step 1 of a purchase: the session holds exactly `seats`, none is sold, and the hold
    /// now lasts at least the checkout grace period.
    #[tracing::instrument(skip(self))]
    pub async fn begin_checkout(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
    ) -> Result<Result<(), CheckoutRefusal>, AppError> {
        let keys = self.keys(showtime);
        let mut invocation = self.scripts.checkout.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.expiry())
            .key(keys.holder(session))
            .key(keys.holder_seats(session))
            .arg(session)
            .arg(ms(self.rules.checkout_grace));
        for &seat in seats {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
        Ok(match reply.first().map(String::as_str) {
            Some("ok") => Ok(()),
            Some("sold") => Err(CheckoutRefusal::Sold(ids(&reply[1..]))),
            Some("not_yours") => Err(CheckoutRefusal::NotYours(ids(&reply[1..]))),
            Some("expired") => Err(CheckoutRefusal::Expired(ids(&reply[1..]))),
            Some("mismatch") => Err(CheckoutRefusal::Mismatch),
            _ => return Err(unexpected(&reply)),
        })
    }

    /// The last step of a purchase (and the repair after the Postgres fence fired): the
    /// seats are sold; drop their holds and tell everyone.
    #[tracing::instrument(skip(self))]
    pub async fn mark_sold(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
    ) -> Result<u64, AppError> {
        let keys = self.keys(showtime);
        let mut invocation = self.scripts.sold.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.version())
            .key(keys.expiry())
            .key(keys.holder_seats(session))
            .key(keys.holder(session))
            .arg(keys.channel());
        for &seat in seats {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let version: String = invocation.invoke_async(&mut self.redis()).await?;
        num(Some(&version))
    }

    /// Forgets that the sold set is complete, so the next hold rebuilds it from Postgres.
    /// Used when a sale could not be written to Redis after its order was committed.
    pub async fn invalidate_sold(&self, showtime: i64) -> Result<(), AppError> {
        let _: () = self.redis().del(self.keys(showtime).sold_loaded()).await?;
        Ok(())
    }
}
