//! Seeded random streams, one per purpose.
//!
//! Every random quantity of a run is drawn from a ChaCha8 generator keyed by the
//! master seed, on a stream number fixed per purpose. Two settings that differ only in
//! (say) the augmentation therefore share the dictionary, the initial weights and the data
//! stream bit for bit, which makes them a *paired* comparison (docs/THEORY.md §2.4).
//! `StdRng` is not value-stable across `rand` releases, ChaCha8 is.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for. The discriminant is the ChaCha stream number: never
/// renumber an existing purpose (that would change every result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// The dictionary M (docs/THEORY.md §1.1).
    Dictionary = 1,
    /// The initial weights W⁽⁰⁾ (docs/THEORY.md §1.2).
    Init = 2,
    /// The training data stream: z and ξ of every SGD step (docs/THEORY.md §1.5).
    Data = 3,
    /// The augmentation's randomness (masks; §1.4).
    Masks = 4,
    /// The downstream probes: w* and the probe train/test samples (docs/THEORY.md §1.6).
    Probes = 5,
    /// Fresh test samples for the feature metrics (noise dominance, docs/THEORY.md §2.1).
    Eval = 6,
    /// The Monte Carlo that needs no training ([`crate::sim::sampling`]: the data-model
    /// checks and the RandomMask identity).
    Sampling = 7,
    /// The samples of the loss-evaluation batches ([`crate::sim::floor`]).
    LossEval = 8,
    /// The masks of the loss-evaluation batches.
    LossEvalMasks = 9,
    /// The random network of the audit's controls: directions of the same norms as the
    /// trained network's ([`crate::sim::controls`]).
    Control = 10,
}

/// The generator for `purpose` under master seed `seed`.
pub fn stream(seed: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose as u64);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_by_purpose_and_repeat_by_seed() {
        let a: u64 = stream(7, Purpose::Data).random();
        let b: u64 = stream(7, Purpose::Masks).random();
        let c: u64 = stream(7, Purpose::Data).random();
        let e: u64 = stream(8, Purpose::Data).random();
        assert_ne!(a, b);
        assert_eq!(a, c);
        assert_ne!(a, e);
    }
}
