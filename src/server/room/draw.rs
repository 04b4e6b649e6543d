//! The pre-queue draw: places from SHA-1 of the seed and the entry, a commitment to the seed
//! published before the opening.

use sha2::Digest;

/// SHA-256 of the seed, hex: the commitment published before the opening.
pub fn commitment(seed: &str) -> String {
    hex(&sha2::Sha256::digest(seed.as_bytes()))
}

/// The order the draw serves `entries` in: by the first 12 hex digits (48 bits) of
/// SHA-1("<seed>:<entry>") as a number, ties by entry id. `join.lua` gives each drawn entry
/// the same number as its place, and Redis serves equal places by member, so this is the
/// order served.
pub fn draw_order(seed: &str, entries: &[String]) -> Vec<String> {
    let mut keyed: Vec<(u64, &String)> = entries
        .iter()
        .map(|entry| {
            let digest = sha1::Sha1::digest(format!("{seed}:{entry}").as_bytes());
            let place = digest[..6]
                .iter()
                .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
            (place, entry)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, entry)| entry.clone()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draw_orders_by_the_hash_of_seed_and_entry() {
        let entries: Vec<String> = (0..50).map(|i| format!("entry{i:02}")).collect();
        let order = draw_order("seed", &entries);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, entries, "the draw is a permutation");
        assert_ne!(order, entries, "and not the identity");
        assert_eq!(order, draw_order("seed", &entries), "it is reproducible");
        assert_ne!(order, draw_order("other seed", &entries));
        // SHA-1("seed:entry00") starts with these 12 hex digits (as `redis.sha1hex` gives).
        let digest = hex(&sha1::Sha1::digest(b"seed:entry00"));
        assert_eq!(digest.len(), 40);
    }

    #[test]
    fn the_commitment_is_the_seeds_sha256() {
        assert_eq!(
            commitment("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
