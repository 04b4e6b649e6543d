//! The live sockets open on this instance: how many may be open (in all, and per client
//! address), and telling them all to close at shutdown.
//!
//! A socket is admitted *before* the upgrade, so a refusal is a plain `429` with the usual
//! `AppError` body, and it holds its [`Admission`] for as long as it is open: the counts are
//! given back on drop, whatever ends the socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::app::error::AppError;
use crate::server::client::ClientIp;
use crate::server::telemetry::metrics;

/// What a refused socket is told to wait before trying again.
const RETRY_AFTER_MS: u64 = 5_000;
#[derive(Clone)]
pub struct Sockets {
    inner: Arc<Inner>,
}

struct Inner {
    max_total: usize,
    max_per_ip: usize,
    /// Open sockets per client address (`ClientIp::bucket`); the total below changes only
    /// under this lock too, so both caps are checked and taken in one step.
    per_ip: Mutex<HashMap<String, usize>>,
    /// The number of open sockets, watched by shutdown to know when they are all gone.
    total: watch::Sender<usize>,
    /// `true` once the server is shutting down.
    closing: watch::Sender<bool>,
}

/// One admitted socket; dropping it frees its place.
pub struct Admission {
    sockets: Sockets,
    bucket: String,
}

impl Sockets {
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                max_total,
                max_per_ip,
                per_ip: Mutex::default(),
                total: watch::Sender::new(0),
                closing: watch::Sender::new(false),
            }),
        }
    }

    /// Takes a place for a socket from `client`, or refuses with `RateLimited` when this
    /// instance or this address has as many open as allowed.
    pub fn admit(&self, client: &ClientIp) -> Result<Admission, AppError> {
        let bucket = client.bucket();
        let mut per_ip = self.inner.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let mine = per_ip.get(&bucket).copied().unwrap_or(0);
        let total = *self.inner.total.borrow();
        if total >= self.inner.max_total || mine >= self.inner.max_per_ip {
            tracing::info!(client = %bucket, total, mine, "live socket refused: too many open");
            // A place frees when a socket closes, which no clock predicts: a few seconds is
            // what a reconnecting browser waits anyway.
            return Err(AppError::RateLimited {
                retry_after_ms: RETRY_AFTER_MS,
            });
        }
        per_ip.insert(bucket.clone(), mine + 1);
        self.inner.total.send_modify(|n| *n += 1);
        metrics::live_socket_opened();
        Ok(Admission {
            sockets: self.clone(),
            bucket,
        })
    }

    /// Open sockets on this instance.
    pub fn open(&self) -> usize {
        *self.inner.total.borrow()
    }

    /// Says when the server starts shutting down.
    pub fn closing(&self) -> Closing {
        Closing(self.inner.closing.subscribe())
    }

    /// Tells every socket to close; one admitted later sees it at once.
    pub fn close_all(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Completes once no socket is open.
    pub async fn all_closed(&self) {
        let mut total = self.inner.total.subscribe();
        let _ = total.wait_for(|n| *n == 0).await;
    }
}

/// A socket's view of shutdown.
pub struct Closing(watch::Receiver<bool>);

impl Closing {
    /// Completes when the server starts shutting down (at once if it already has).
    /// Cancel safe.
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|closing| *closing).await;
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let inner = &self.sockets.inner;
        let mut per_ip = inner.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = per_ip.get_mut(&self.bucket) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.bucket);
            }
        }
        inner.total.send_modify(|n| *n = n.saturating_sub(1));
        metrics::live_socket_closed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> ClientIp {
        ClientIp(s.parse().unwrap())
    }

    #[test]
    fn caps_per_address_and_in_all_and_gives_places_back() {
        let sockets = Sockets::new(3, 2);
        let a1 = sockets.admit(&ip("10.0.0.1")).unwrap();
        let _a2 = sockets.admit(&ip("10.0.0.1")).unwrap();
        assert_eq!(
            sockets.admit(&ip("10.0.0.1")).err(),
            Some(AppError::RateLimited {
                retry_after_ms: RETRY_AFTER_MS
            })
        );
        let _b = sockets.admit(&ip("10.0.0.2")).unwrap();
        // Three open: the instance is full for everyone.
        assert!(sockets.admit(&ip("10.0.0.3")).is_err());
        drop(a1);
        assert_eq!(sockets.open(), 2);
        let _a3 = sockets.admit(&ip("10.0.0.1")).unwrap();
        sockets.close_all();
        assert!(*sockets.closing().0.borrow());
    }
}
