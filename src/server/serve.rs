//! The accept loop: HTTP/1 connections with the limits `axum::serve` does not offer.
//!
//! - A connection gets `HEADER_READ_TIMEOUT_SECS` to send each request head. hyper enforces
//!   it (it needs a timer, which `axum::serve` does not give it), so a slowloris client that
//!   trickles its headers, or an idle keep-alive connection, is closed instead of being kept
//!   forever.
//! - Shutdown is bounded: once the signal fires (after the drain, see `startup`), the listener
//!   closes, idle connections close, in-flight requests get `SHUTDOWN_GRACE_SECS`, and
//!   whatever is left is then dropped.
//!
//! Each request carries `ConnectInfo<SocketAddr>` (the TCP peer), as
//! `into_make_service_with_connect_info` would give it: `client::middleware` starts from it.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How connections are served.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes. Then calls `on_shutdown` (which
/// tells long-lived work, such as live sockets, to wrap up), closes idle connections, and
/// waits at most the grace period for `drained` and the in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    transport: Transport,
    shutdown: impl Future<Output = ()>,
    on_shutdown: impl FnOnce(),
    drained: impl Future<Output = ()>,
) {
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let connection = connection(stream, peer, app.clone(), transport, stopping.clone());
                    connections.spawn(connection);
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow with every one ever served.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    tracing::info!("listener closed; closing live sockets, finishing in-flight requests");
    on_shutdown();
    let _ = stop.send(true);
    let finish = async {
        while connections.join_next().await.is_some() {}
        drained.await;
    };
    if tokio::time::timeout(transport.shutdown_grace, finish)
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            "shutdown grace period over; dropping what is still open"
        );
        connections.shutdown().await;
    }
}

/// One connection: HTTP/1 with upgrades (WebSockets), until it ends or shutdown closes it.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    transport: Transport,
    mut stopping: watch::Receiver<bool>,
) {
    let app = app.map_request(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let service = TowerToHyperService::new(app);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(transport.header_read_timeout);
    let mut connection = pin!(
        builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades()
    );
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = async { stopping.wait_for(|stop| *stop).await.is_ok() } => {
            // Finishes the request in flight (if any), then closes.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        // Header timeouts, resets, malformed requests: the client's business, not ours.
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
}
