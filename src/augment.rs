//! Augmentations that turn a batch x into two views (x⁺, x⁺⁺) (seed §2.4, SPEC §4).
//!
//! One small trait so more augmentations can be added: an augmentation fills two view
//! buffers from x, or declares that its views are x itself (then the trainer skips the
//! copy and the second forward pass).

use faer::Mat;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::AugmentationKind;

/// A way to make two views of each sample.
pub trait Augmentation: Send + Sync {
    /// True when both views are x unchanged (no work to do).
    fn identity_views(&self) -> bool;

    /// Fill `v1`, `v2` (d1×n) with the two views of the columns of `x`, one fresh draw
    /// per sample from `rng`. Not called when [`Self::identity_views`] is true.
    fn views(&self, x: &Mat<f64>, v1: &mut Mat<f64>, v2: &mut Mat<f64>, rng: &mut ChaCha8Rng);

    /// Per-coordinate std of the noise in a view relative to σ_ξ (the bias rule's s/σ_ξ).
    fn noise_std_factor(&self) -> f64;
}

/// Identical views (x, x): the paper's no-augmentation arm.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAugmentation;

impl Augmentation for NoAugmentation {
    fn identity_views(&self) -> bool {
        true
    }
    fn views(&self, x: &Mat<f64>, v1: &mut Mat<f64>, v2: &mut Mat<f64>, _rng: &mut ChaCha8Rng) {
        v1.copy_from(x);
        v2.copy_from(x);
    }
    fn noise_std_factor(&self) -> f64 {
        1.0
    }
}

/// Complementary RandomMask: D = diag(D_kk), D_kk ~ Bernoulli(1/2), x⁺ = 2Dx,
/// x⁺⁺ = 2(I − D)x, one D per sample (seed §2.4). Bits are taken 64 at a time from
/// `next_u64`, coordinate k of a sample using bit k mod 64 of its (k / 64)-th word.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomMask;

impl Augmentation for RandomMask {
    fn identity_views(&self) -> bool {
        false
    }
    fn views(&self, x: &Mat<f64>, v1: &mut Mat<f64>, v2: &mut Mat<f64>, rng: &mut ChaCha8Rng) {
        for s in 0..x.ncols() {
            let xs = x.col_as_slice(s);
            let a = v1.col_as_slice_mut(s);
            let b = v2.col_as_slice_mut(s);
            for ((xc, ac), bc) in xs.chunks(64).zip(a.chunks_mut(64)).zip(b.chunks_mut(64)) {
                let bits = rng.next_u64();
                for (k, ((&xv, av), bv)) in xc.iter().zip(ac).zip(bc).enumerate() {
                    let keep = ((bits >> k) & 1) as f64;
                    let two_x = 2.0 * xv;
                    *av = keep * two_x;
                    *bv = two_x - *av;
                }
            }
        }
    }
    fn noise_std_factor(&self) -> f64 {
        std::f64::consts::SQRT_2
    }
}

/// The augmentation named in a config.
pub fn from_kind(kind: AugmentationKind) -> Box<dyn Augmentation> {
    match kind {
        AugmentationKind::None => Box::new(NoAugmentation),
        AugmentationKind::RandomMask => Box::new(RandomMask),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Purpose};

    #[test]
    fn random_mask_views_are_complementary_and_sum_to_2x() {
        let x = Mat::from_fn(130, 3, |i, j| (i as f64 + 1.0) * (j as f64 - 0.5));
        let mut a = Mat::zeros(130, 3);
        let mut b = Mat::zeros(130, 3);
        RandomMask.views(&x, &mut a, &mut b, &mut stream(1, Purpose::Masks));
        let mut kept = 0;
        for j in 0..3 {
            for i in 0..130 {
                assert_eq!(a[(i, j)] + b[(i, j)], 2.0 * x[(i, j)]);
                assert!(a[(i, j)] == 0.0 || b[(i, j)] == 0.0);
                if a[(i, j)] != 0.0 {
                    kept += 1;
                }
            }
        }
        // 390 fair coins: mean 195, sd ≈ 9.9; 5 sd.
        assert!((kept as i64 - 195).abs() < 50, "kept {kept}");
    }
}
