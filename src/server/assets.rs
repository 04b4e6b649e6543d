//! The browser's files under `/pkg/`: the names a page links, and how they are served.
//!
//! A release build (`scripts/assets.sh --release`) copies each bundle, its JS and the
//! stylesheet to a content-hashed name (`marquee.3f9a0c1d2e4b5a6f.wasm`), writes `.br` and
//! `.gz` beside each, and lists the names in `pkg/assets.txt`. Pages then link the hashed
//! names, which are served for a year as immutable: a new build has new names, so no browser
//! keeps a stale bundle. Without the list (debug builds, `cargo leptos watch`) pages link the
//! plain names, which browsers must revalidate. Either way a browser that accepts brotli or
//! gzip gets the precompressed file when there is one.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::ServeDir;

use crate::app::bundle::Bundle;

/// The list a release build writes: `<plain name> <hashed name>` per line.
pub const MANIFEST: &str = "assets.txt";

/// Plain file names in `pkg/` → the names pages link.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    names: HashMap<String, String>,
}

impl Assets {
    /// Reads `pkg/assets.txt` under the site root; without it, every name is its own.
    pub fn load(site_root: &str) -> Self {
        let path = Path::new(site_root).join("pkg").join(MANIFEST);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Self::default();
        };
        let names = text
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(plain, hashed)| (plain.trim().to_owned(), hashed.trim().to_owned()))
            .collect::<HashMap<_, _>>();
        tracing::info!(files = names.len(), "serving content-hashed assets");
        Self { names }
    }

    /// The URL of the file built as `plain`.
    pub fn url(&self, plain: &str) -> String {
        format!(
            "/pkg/{}",
            self.names.get(plain).map_or(plain, String::as_str)
        )
    }

    /// What a page at `path` links: the stylesheet and its area's bundle.
    pub fn for_path(&self, path: &str) -> PageFiles {
        let stem = Bundle::for_path(path).stem();
        PageFiles {
            css: self.url("marquee.css"),
            js: self.url(&format!("{stem}.js")),
            wasm: self.url(&format!("{stem}.wasm")),
        }
    }
}

/// The URLs of the files one page links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageFiles {
    pub css: String,
    pub js: String,
    pub wasm: String,
}

/// For the page being rendered (the shell calls this): the request's path picks the bundle.
pub fn for_this_page() -> PageFiles {
    use leptos::prelude::use_context;
    let path = use_context::<axum::http::request::Parts>()
        .map(|parts| parts.uri.path().to_owned())
        .unwrap_or_default();
    match use_context::<super::AppState>() {
        Some(state) => state.assets.for_path(&path),
        None => Assets::default().for_path(&path),
    }
}

/// Serves `pkg/`: precompressed when the browser takes it, cached for a year under a hashed
/// name, revalidated otherwise.
pub fn service(site_root: &str) -> axum::Router {
    let dir = ServeDir::new(Path::new(site_root).join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    axum::Router::new()
        .fallback_service(dir)
        .layer(axum::middleware::from_fn(cache_control))
}

async fn cache_control(request: Request, next: Next) -> Response {
    let immutable = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status().as_u16() == 304 {
        let value = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(value));
    }
    // The same URL answers brotli, gzip or plain by the request's `Accept-Encoding`.
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// `name.<16 hex digits>.ext`: a name that changes whenever the content does.
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let mut parts = file.rsplit('.');
    let _ext = parts.next();
    parts
        .next()
        .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        && parts.next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_names_are_immutable() {
        assert!(is_hashed("/marquee.0123456789abcdef.wasm"));
        assert!(is_hashed("/marquee-staff.0123456789abcdef.js"));
        assert!(!is_hashed("/marquee.wasm"));
        assert!(!is_hashed("/0123456789abcdef.wasm"));
        assert!(!is_hashed("/marquee.0123456789abcdeg.wasm"));
    }

    #[test]
    fn pages_link_their_area_s_bundle_under_the_built_names() {
        let assets = Assets {
            names: [("marquee-staff.wasm", "marquee-staff.00000000000000aa.wasm")]
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
        };
        let staff = assets.for_path("/admin/box");
        assert_eq!(staff.wasm, "/pkg/marquee-staff.00000000000000aa.wasm");
        assert_eq!(staff.js, "/pkg/marquee-staff.js");
        assert_eq!(assets.for_path("/showtimes/3").wasm, "/pkg/marquee.wasm");
        assert_eq!(assets.for_path("/").css, "/pkg/marquee.css");
    }
}
