//! How a seat event looks to one viewer: `mine` to its holder, `held` to everyone else, and
//! the holder's new expiry to the holder only. No delta names anyone.

use axum::extract::ws::Message;

use super::event::SeatEvent;
use crate::app::booking::{SeatChange, SeatState, ServerMessage};

/// The change as this connection sees it: its own holds are `mine`, others' are `held`.
pub fn delta(event: &SeatEvent, version: u64, session: &str) -> ServerMessage {
    let own = event.holder() == Some(session);
    let state = match event {
        SeatEvent::Held { .. } if own => Some(SeatState::Mine),
        SeatEvent::Held { .. } => Some(SeatState::Held),
        SeatEvent::Released { .. } | SeatEvent::Expired { .. } => Some(SeatState::Available),
        SeatEvent::Sold { .. } => Some(SeatState::Sold),
        // An extension changes no seat; others only see the version move on.
        SeatEvent::Extended { .. } | SeatEvent::Rebuilt { .. } | SeatEvent::Line { .. } => None,
    };
    let changes = state
        .map(|state| {
            event
                .seats()
                .iter()
                .map(|&seat| SeatChange { seat, state })
                .collect()
        })
        .unwrap_or_default();
    ServerMessage::Delta {
        version,
        changes,
        hold_expires_in_ms: event.expires_in_ms().filter(|_| own),
    }
}

pub fn text(message: &ServerMessage) -> Message {
    Message::Text(serde_json::to_string(message).unwrap_or_default().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The delta `session` gets for `json` (an event as the scripts publish it), on the wire.
    fn wire(json: &str, session: &str) -> String {
        let event: SeatEvent = serde_json::from_str(json).unwrap();
        let version = event.version().unwrap();
        serde_json::to_string(&delta(&event, version, session)).unwrap()
    }

    #[test]
    fn a_hold_is_mine_with_its_expiry_to_its_holder_and_held_to_others() {
        let held = r#"{"version":7,"kind":"held","seats":[3,4],"holder":"abc","expires_at":5000,"now":2000}"#;
        assert_eq!(
            wire(held, "abc"),
            r#"{"type":"delta","version":7,"changes":[{"seat":3,"state":"mine"},{"seat":4,"state":"mine"}],"hold_expires_in_ms":3000}"#
        );
        assert_eq!(
            wire(held, "xyz"),
            r#"{"type":"delta","version":7,"changes":[{"seat":3,"state":"held"},{"seat":4,"state":"held"}]}"#
        );
    }

    #[test]
    fn an_extension_moves_only_the_holders_expiry() {
        let extended = r#"{"version":8,"kind":"extended","seats":[3],"holder":"abc","expires_at":9000,"now":2000}"#;
        assert_eq!(
            wire(extended, "abc"),
            r#"{"type":"delta","version":8,"changes":[],"hold_expires_in_ms":7000}"#
        );
        assert_eq!(
            wire(extended, "xyz"),
            r#"{"type":"delta","version":8,"changes":[]}"#
        );
    }

    #[test]
    fn released_expired_and_sold_seats_look_the_same_to_everyone() {
        for (kind, state) in [
            ("released", "available"),
            ("expired", "available"),
            ("sold", "sold"),
        ] {
            let event = format!(r#"{{"version":9,"kind":"{kind}","seats":[1]}}"#);
            assert_eq!(
                wire(&event, "abc"),
                format!(
                    r#"{{"type":"delta","version":9,"changes":[{{"seat":1,"state":"{state}"}}]}}"#
                )
            );
        }
    }
}
