//! The Marquee server: read configuration, build the application, serve until told to stop.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    marquee::server::run().await
}

// The binary only exists with the `ssr` feature; cargo-leptos builds the browser half as a
// library, but `cargo build` without features still needs a `main`.
#[cfg(not(feature = "ssr"))]
fn main() {}
