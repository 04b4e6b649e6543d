//! Which browser bundle a page hydrates with.
//!
//! The moviegoers' pages and the staff pages are two WASM bundles built from this one crate
//! (`hydrate` and `staff-bundle` features): a phone opening a showtime downloads neither the
//! schedule editor nor the dashboards, and the staff bundle leaves out the booking pages. The
//! server renders every route and links the bundle of the page's area; in each bundle, the
//! other area's routes lead to [`OtherArea`], which loads that page afresh.

/// The two bundles, by the area of the site they hydrate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// Every page outside `/admin`.
    Visitor,
    /// The staff side, `/admin` and below.
    Staff,
}

impl Bundle {
    /// The bundle of the page at `path`.
    pub fn for_path(path: &str) -> Self {
        if path == "/admin" || path.starts_with("/admin/") {
            Self::Staff
        } else {
            Self::Visitor
        }
    }

    /// The stem of its files in `pkg/` (`marquee.js`, `marquee.wasm`; `marquee-staff.*`).
    pub fn stem(self) -> &'static str {
        match self {
            Self::Visitor => "marquee",
            Self::Staff => "marquee-staff",
        }
    }

    /// The bundle this browser build is.
    #[cfg(feature = "hydrate")]
    pub const COMPILED: Self = if cfg!(feature = "staff-bundle") {
        Self::Staff
    } else {
        Self::Visitor
    };
}

/// A page of the other bundle's area, reached by a client-side navigation: load it as a new
/// page, which brings the bundle that has it. Only browser bundles route to it; the server
/// renders every page itself, so a page never hydrates with this.
#[leptos::component]
pub fn OtherArea() -> impl leptos::IntoView {
    // The router's location is the page being navigated to (the address bar may not show it
    // yet); `replace` keeps one history entry for it either way.
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        use leptos::prelude::GetUntracked;
        let target = leptos_router::hooks::use_location();
        let search = target.search.get_untracked();
        let search = search.trim_start_matches('?');
        let mut url = target.pathname.get_untracked();
        if !search.is_empty() {
            url = format!("{url}?{search}");
        }
        let _ = window.location().replace(&url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staff_area_is_admin_and_below_only() {
        assert_eq!(Bundle::for_path("/admin"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/admin/login"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/admin/showtimes/4"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/administrator"), Bundle::Visitor);
        assert_eq!(Bundle::for_path("/"), Bundle::Visitor);
        assert_eq!(Bundle::for_path("/showtimes/4"), Bundle::Visitor);
        assert_eq!(Bundle::Staff.stem(), "marquee-staff");
    }
}
