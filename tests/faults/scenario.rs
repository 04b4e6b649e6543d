//! A seed decides everything about a scenario: which fault, which room, how many buyers,
//! which seats each one wants, and when things happen. The same seed gives the same plan on
//! every machine (our own SplitMix64, not a library generator whose stream may change), so a
//! violation can be re-run with `FAULT_SEEDS=<seed>`. What the plan cannot fix is the
//! machine's timing: a re-run takes the same decisions, the races may fall differently.

use std::fmt;

/// Every failpoint of the server (`marquee::server::faults::POINTS`).
pub use marquee::server::faults::POINTS;

/// SplitMix64: tiny, fast, and its output is fixed by its definition.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Mix the seed once so that neighbouring seeds do not start alike.
        let mut rng = Self(seed ^ 0x5eed_f417_u64.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        rng.next();
        rng
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// What goes wrong in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The victim instance runs with `FAILPOINTS='<point>=1*return'`: the first time it
    /// reaches the point it kills itself with SIGKILL. It is restarted without failpoints.
    KillAt(&'static str),
    /// `FLUSHALL` on Redis during the sale: the line and the holds are gone (documented),
    /// money and sold seats are not.
    FlushAll,
    /// Redis stops gracefully (the append-only file is complete) and comes back.
    RedisRestart,
    /// Redis is killed with SIGKILL and comes back from its append-only file.
    RedisKill,
    /// Postgres stops (immediate: as a crash; fast: disconnecting everyone) and comes back.
    PostgresRestart { immediate: bool },
    /// The victim is frozen with SIGSTOP for longer than a hold and its checkout grace
    /// last, then resumed with SIGCONT.
    Stop,
}

/// Fault kinds in seed order: seed `s` gets kind `s % KINDS` (plus its own random details),
/// so any `KINDS` consecutive seeds cover every kind: one per failpoint, then five more.
pub const KINDS: u64 = POINTS.len() as u64 + 5;

impl Fault {
    fn of(seed: u64, rng: &mut Rng) -> Self {
        let kind = (seed % KINDS) as usize;
        if let Some(point) = POINTS.get(kind) {
            return Self::KillAt(point);
        }
        match kind - POINTS.len() {
            0 => Self::FlushAll,
            1 => Self::RedisRestart,
            2 => Self::RedisKill,
            3 => Self::PostgresRestart {
                immediate: rng.chance(60),
            },
            _ => Self::Stop,
        }
    }

    /// Whether the waiting line may lose places (see the checker's exemptions).
    pub fn is_flush(self) -> bool {
        self == Self::FlushAll
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KillAt(point) => write!(f, "kill -9 at {point}"),
            Self::FlushAll => write!(f, "FLUSHALL"),
            Self::RedisRestart => write!(f, "Redis restart"),
            Self::RedisKill => write!(f, "Redis kill -9"),
            Self::PostgresRestart { immediate: true } => write!(f, "Postgres crash-restart"),
            Self::PostgresRestart { immediate: false } => write!(f, "Postgres fast restart"),
            Self::Stop => write!(f, "SIGSTOP past the hold TTL"),
        }
    }
}

/// The two auditoriums of the demo catalog a scenario may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// 8 seats: sold out within a scenario, so people join the line.
    Small,
    /// Studio 2, 140 seats: more buyers at once, contention on a few front seats.
    Large,
}

impl Room {
    pub fn auditorium(self) -> &'static str {
        match self {
            Self::Small => "Screening Room",
            Self::Large => "Studio 2",
        }
    }

    /// How many of the room's first seats buyers choose from.
    fn pool(self) -> u64 {
        match self {
            Self::Small => 8,
            Self::Large => 16,
        }
    }
}

/// What an offered seat means to someone in line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOffer {
    Buy,
    Decline,
    /// Sits on it (the offer stays theirs for `OFFER_TTL_SECS`).
    Keep,
}

/// One buyer's intentions.
#[derive(Debug, Clone)]
pub struct BuyerPlan {
    pub index: usize,
    pub start_ms: u64,
    /// The instance asked first (0: the victim, 1: the healthy one); retries alternate.
    pub instance: usize,
    /// Indexes into the room's seats in layout order.
    pub seats: Vec<usize>,
    /// Holds and walks away: the hold lapses and its seats go to the line.
    pub abandons: bool,
    /// Pays first with the test gateway's decline card, then with a good one (a new key).
    pub declined_first: bool,
    /// Joins the line when the seats are gone (else gives up).
    pub joins_line: bool,
    /// Leaves the line this long after joining, if still in it.
    pub leaves_after_ms: Option<u64>,
    pub on_offer: OnOffer,
}

/// A whole scenario.
#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub fault: Fault,
    pub room: Room,
    pub buyers: Vec<BuyerPlan>,
    /// When an outside fault strikes, from the start of the sale.
    pub fault_at_ms: u64,
    /// How long what was broken stays down before it is restarted (for a SIGSTOP: how far
    /// past the hold's TTL plus checkout grace it stays frozen).
    pub outage_ms: u64,
    pub hold_ttl_secs: u64,
    pub checkout_grace_secs: u64,
    pub gateway_delay_ms: u64,
    pub payment_timeout_ms: u64,
    /// `FAILPOINTS` of the victim's successive lives (after the last, it runs without).
    pub lives: Vec<String>,
}

impl Plan {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let fault = Fault::of(seed, &mut rng);
        let room = if rng.chance(70) {
            Room::Small
        } else {
            Room::Large
        };
        let count = match room {
            Room::Small => rng.range(6, 11),
            Room::Large => rng.range(8, 16),
        };
        let is_kill = matches!(fault, Fault::KillAt(_));
        let buyers = (0..count as usize)
            .map(|index| {
                let want = rng.range(1, 3) as usize;
                let mut seats: Vec<usize> = Vec::new();
                while seats.len() < want {
                    let seat = rng.range(0, room.pool() - 1) as usize;
                    if !seats.contains(&seat) {
                        seats.push(seat);
                    }
                }
                BuyerPlan {
                    index,
                    start_ms: rng.range(0, 300),
                    // A failpoint only fires on the victim: send it most first attempts.
                    instance: if is_kill {
                        usize::from(rng.chance(25))
                    } else {
                        usize::from(rng.chance(50))
                    },
                    seats,
                    abandons: rng.chance(15),
                    declined_first: rng.chance(10),
                    joins_line: room == Room::Small && rng.chance(60),
                    leaves_after_ms: rng.chance(25).then(|| rng.range(100, 1500)),
                    on_offer: *rng.pick(&[
                        OnOffer::Buy,
                        OnOffer::Buy,
                        OnOffer::Decline,
                        OnOffer::Keep,
                    ]),
                }
            })
            .collect();
        let stop = fault == Fault::Stop;
        let hold_ttl_secs = if stop { 1 } else { rng.range(1, 2) };
        let checkout_grace_secs = if stop { 1 } else { 2 };
        // A slow gateway keeps purchases in flight when the fault strikes; now and then one
        // slower than the payment timeout makes purchases settle a lost answer. The server
        // wants `PAYMENT_STALE_SECS` (1 in scenarios) at least three payment timeouts.
        let (gateway_delay_ms, payment_timeout_ms) = match rng.range(0, 9) {
            0..=3 => (0, 300),
            4..=7 => (rng.range(20, 200), 300),
            _ => (rng.range(350, 700), rng.range(100, 300)),
        };
        // The reconciler's failpoint needs a stale payment to resolve: the victim's first
        // life ends at a purchase failpoint, its second at the reconciler's.
        let lives = match fault {
            Fault::KillAt(point) if point.starts_with("reconcile::") => {
                let first = *rng.pick(&["purchase::before_charge", "purchase::after_charge"]);
                vec![format!("{first}=1*return"), format!("{point}=1*return")]
            }
            Fault::KillAt(point) => vec![format!("{point}=1*return")],
            _ => Vec::new(),
        };
        let (fault_at_ms, outage_ms) = match fault {
            Fault::Stop => (rng.range(50, 400), rng.range(300, 1000)),
            _ => (rng.range(50, 700), rng.range(50, 800)),
        };
        Self {
            seed,
            fault,
            room,
            buyers,
            fault_at_ms,
            outage_ms,
            hold_ttl_secs,
            checkout_grace_secs,
            gateway_delay_ms,
            payment_timeout_ms,
            lives,
        }
    }

    /// How long the victim stays frozen in a SIGSTOP scenario: past every hold made before.
    pub fn stop_ms(&self) -> u64 {
        (self.hold_ttl_secs + self.checkout_grace_secs) * 1000 + self.outage_ms
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let liners = self.buyers.iter().filter(|b| b.joins_line).count();
        write!(
            f,
            "seed {} [{}] {}, {} buyers ({} may queue), hold {} s, gateway delay {} ms",
            self.seed,
            self.fault,
            self.room.auditorium(),
            self.buyers.len(),
            liners,
            self.hold_ttl_secs,
            self.gateway_delay_ms
        )?;
        if self.payment_timeout_ms < self.gateway_delay_ms {
            write!(f, " > payment timeout {} ms", self.payment_timeout_ms)?;
        }
        if self.lives.len() > 1 {
            write!(f, ", victim lives: {}", self.lives.join(" then "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_gives_the_same_plan() {
        for seed in [0, 1, 417, 99_999] {
            assert_eq!(
                format!("{:?}", Plan::new(seed)),
                format!("{:?}", Plan::new(seed))
            );
        }
        assert_ne!(
            format!("{:?}", Plan::new(1).buyers),
            format!("{:?}", Plan::new(2).buyers)
        );
    }

    #[test]
    fn consecutive_seeds_cover_every_fault_kind() {
        let faults: Vec<String> = (20..20 + KINDS)
            .map(|s| Plan::new(s).fault.to_string())
            .collect();
        for point in POINTS {
            assert!(faults.iter().any(|f| f.contains(point)), "{point}");
        }
        for kind in [
            "FLUSHALL",
            "Redis restart",
            "Redis kill",
            "Postgres",
            "SIGSTOP",
        ] {
            assert!(faults.iter().any(|f| f.contains(kind)), "{kind}");
        }
    }

    #[test]
    fn the_generator_is_splitmix64() {
        // Reference values of SplitMix64 from state 0 (after one step of the mixing above
        // they differ; this pins the core function itself).
        let mut rng = Rng(0);
        assert_eq!(rng.next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next(), 0x6e78_9e6a_a1b9_65f4);
    }
}
