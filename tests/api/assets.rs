//! The browser's files: each page links its area's bundle under the names the build gave
//! them; `/pkg/` answers precompressed when the browser takes it, immutable under a hashed
//! name and revalidated under a plain one; pages come compressed.

use std::path::PathBuf;

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};

use crate::helpers::spawn_app_with;

const VISITOR_WASM: &str = "marquee.00000000000000a1.wasm";
const VISITOR_JS: &str = "marquee.00000000000000a2.js";
const STAFF_WASM: &str = "marquee-staff.00000000000000b1.wasm";
const STAFF_JS: &str = "marquee-staff.00000000000000b2.js";
const CSS: &str = "marquee.00000000000000c1.css";

/// A site root as a release build leaves it: plain and hashed files, a brotli copy of the
/// visitor bundle, and the list of hashed names (unless `listed` is false, as after a debug
/// build).
fn site(listed: bool) -> PathBuf {
    let root = std::env::temp_dir().join(format!("marquee-site-{}", uuid::Uuid::new_v4()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (name, body) in [
        ("marquee.wasm", &b"\0asm plain visitor"[..]),
        (VISITOR_WASM, b"\0asm hashed visitor"),
        (
            &format!("{VISITOR_WASM}.br"),
            b"brotli bytes of the visitor bundle",
        ),
        ("marquee.js", b"export default 1;"),
        (VISITOR_JS, b"export default 1;"),
        (STAFF_WASM, b"\0asm staff"),
        (STAFF_JS, b"export default 2;"),
        ("marquee.css", b"body{}"),
        (CSS, b"body{}"),
    ] {
        std::fs::write(pkg.join(name), body).unwrap();
    }
    if listed {
        let list = format!(
            "marquee.css {CSS}\nmarquee.js {VISITOR_JS}\nmarquee.wasm {VISITOR_WASM}\n\
             marquee-staff.js {STAFF_JS}\nmarquee-staff.wasm {STAFF_WASM}\n"
        );
        std::fs::write(pkg.join("assets.txt"), list).unwrap();
    }
    root
}

#[tokio::test]
async fn pages_link_their_area_s_bundle_under_the_hashed_names() {
    let root = site(true);
    let app = spawn_app_with(&[("LEPTOS_SITE_ROOT", root.to_str().unwrap())]).await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;

    let page = app
        .get(&format!("/showtimes/{showtime}"))
        .await
        .text()
        .await
        .unwrap();
    for name in [VISITOR_WASM, VISITOR_JS, CSS] {
        assert!(page.contains(&format!("/pkg/{name}")), "{name} linked");
    }
    assert!(
        !page.contains("marquee-staff"),
        "no staff code on a moviegoer's page"
    );

    let login = app.get("/admin/login").await.text().await.unwrap();
    for name in [STAFF_WASM, STAFF_JS, CSS] {
        assert!(login.contains(&format!("/pkg/{name}")), "{name} linked");
    }
    assert!(
        !login.contains(VISITOR_WASM),
        "the staff page loads the staff bundle only"
    );

    // Not-found pages hydrate with their area's bundle too.
    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains(VISITOR_WASM));
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn without_the_list_pages_link_the_plain_names() {
    let root = site(false);
    let app = spawn_app_with(&[("LEPTOS_SITE_ROOT", root.to_str().unwrap())]).await;
    let page = app.get("/").await.text().await.unwrap();
    assert!(page.contains("/pkg/marquee.wasm") && page.contains("/pkg/marquee.js"));
    assert!(page.contains("/pkg/marquee.css"));
    assert!(!page.contains(VISITOR_WASM));
    let login = app.get("/admin/login").await.text().await.unwrap();
    assert!(login.contains("/pkg/marquee-staff.wasm"));
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn bundles_come_precompressed_and_hashed_names_are_immutable() {
    let root = site(true);
    let app = spawn_app_with(&[("LEPTOS_SITE_ROOT", root.to_str().unwrap())]).await;
    let client = reqwest::Client::new();
    let get = |path: String, encoding: Option<&'static str>| {
        let mut request = client.get(app.url(&path));
        if let Some(encoding) = encoding {
            request = request.header(ACCEPT_ENCODING, encoding);
        }
        request.send()
    };
    let header = |response: &reqwest::Response, name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // A browser that takes brotli gets the .br file, marked as such.
    let br = get(format!("/pkg/{VISITOR_WASM}"), Some("gzip, deflate, br"))
        .await
        .unwrap();
    assert_eq!(br.status(), 200);
    assert_eq!(header(&br, CONTENT_ENCODING).as_deref(), Some("br"));
    assert_eq!(
        header(&br, CONTENT_TYPE).as_deref(),
        Some("application/wasm")
    );
    assert_eq!(
        header(&br, CACHE_CONTROL).as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&br, VARY).as_deref(), Some("accept-encoding"));
    assert_eq!(
        &br.bytes().await.unwrap()[..],
        b"brotli bytes of the visitor bundle"
    );

    // One that does not gets the file itself (there is no gzip copy: not a made-up one).
    for encoding in [None, Some("gzip")] {
        let plain = get(format!("/pkg/{VISITOR_WASM}"), encoding).await.unwrap();
        assert_eq!(plain.status(), 200);
        assert_eq!(header(&plain, CONTENT_ENCODING), None);
        assert_eq!(&plain.bytes().await.unwrap()[..], b"\0asm hashed visitor");
    }

    // Pages are compressed on the fly for a browser that takes it.
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let page = get(format!("/showtimes/{showtime}"), Some("br"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, CONTENT_ENCODING).as_deref(), Some("br"));
    let compressed = page.bytes().await.unwrap().len();
    let plain = get(format!("/showtimes/{showtime}"), None).await.unwrap();
    assert_eq!(header(&plain, CONTENT_ENCODING), None);
    let plain = plain.bytes().await.unwrap().len();
    assert!(
        compressed * 5 < plain,
        "{compressed} bytes compressed, {plain} plain"
    );

    // A plain name may change content under the same URL: revalidated every time.
    let plain = get("/pkg/marquee.wasm".into(), Some("br")).await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, CACHE_CONTROL).as_deref(), Some("no-cache"));

    // What is not there is a 404 that no cache keeps for a year.
    let missing = get("/pkg/marquee.00000000000000ff.wasm".into(), None)
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_ne!(
        header(&missing, CACHE_CONTROL).as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    let _ = std::fs::remove_dir_all(root);
}
