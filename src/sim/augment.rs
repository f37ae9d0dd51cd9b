//! Augmentations that turn a batch x into two views (x⁺, x⁺⁺) (docs/THEORY.md §1.4, docs/THEORY.md §4.4).
//!
//! One small trait so more augmentations can be added: an augmentation fills two view
//! buffers from x, or declares that its views are x itself (then the trainer skips the
//! copy and the second forward pass). Besides the paper's two arms (none, complementary
//! RandomMask with keep probability 1/2) it offers the variants docs/THEORY.md §2.5 asks about:
//! other keep probabilities, independent masks, additive Gaussian noise and a contiguous
//! (crop-like) block mask.

use faer::Mat;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::config::{AugmentationKind, AugmentationSettings};

/// A way to make two views of each sample.
pub trait Augmentation: Send + Sync {
    /// True when both views are x unchanged (no work to do).
    fn identity_views(&self) -> bool;

    /// Fill `a`, `b` (length d1) with the two views of one sample `x`, one fresh draw from
    /// `rng`. Not called when [`Self::identity_views`] is true.
    fn view_sample(&self, x: &[f64], a: &mut [f64], b: &mut [f64], rng: &mut ChaCha8Rng);

    /// Fill `v1`, `v2` (d1×n) with the two views of the columns of `x`: [`Self::view_sample`]
    /// on each column in order (so the trainer, which makes each sample's views right after
    /// drawing it, consumes `rng` exactly as this does).
    fn views(&self, x: &Mat<f64>, v1: &mut Mat<f64>, v2: &mut Mat<f64>, rng: &mut ChaCha8Rng) {
        for s in 0..x.ncols() {
            self.view_sample(x.col_as_slice(s), v1.col_as_slice_mut(s), v2.col_as_slice_mut(s), rng);
        }
    }

    /// Per-coordinate std of the noise ξ as it appears in the views, relative to σ_ξ (the
    /// bias rule's s/σ_ξ, docs/THEORY.md §4.2). Where the two views differ, the root mean square of
    /// the two.
    fn noise_std_factor(&self) -> f64;
}

/// Identical views (x, x): the paper's no-augmentation arm.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAugmentation;

impl Augmentation for NoAugmentation {
    fn identity_views(&self) -> bool {
        true
    }
    fn view_sample(&self, x: &[f64], a: &mut [f64], b: &mut [f64], _rng: &mut ChaCha8Rng) {
        a.copy_from_slice(x);
        b.copy_from_slice(x);
    }
    fn noise_std_factor(&self) -> f64 {
        1.0
    }
}

/// Draws a Bernoulli(q) keep-mask for coordinates. For q = 1/2 one bit per coordinate, 64
/// from each `next_u64` (coordinate k of a sample uses bit k mod 64 of its (k/64)-th word);
/// otherwise one 32-bit uniform per coordinate (two per word), kept iff u < q·2³².
#[derive(Debug, Clone, Copy)]
struct MaskSampler {
    keep_prob: f64,
}

impl MaskSampler {
    /// Call `f(k, keep)` for every coordinate k of a sample of length `len`.
    #[inline]
    fn for_each(&self, len: usize, rng: &mut ChaCha8Rng, mut f: impl FnMut(usize, bool)) {
        if self.keep_prob == 0.5 {
            for start in (0..len).step_by(64) {
                let bits = rng.next_u64();
                for k in start..(start + 64).min(len) {
                    f(k, (bits >> (k - start)) & 1 == 1);
                }
            }
        } else {
            let cut = (self.keep_prob * 4294967296.0) as u64;
            for start in (0..len).step_by(2) {
                let w = rng.next_u64();
                f(start, (w & 0xffff_ffff) < cut);
                if start + 1 < len {
                    f(start + 1, (w >> 32) < cut);
                }
            }
        }
    }
}

/// Complementary RandomMask: D = diag(D_kk), D_kk ~ Bernoulli(q) i.i.d., one D per sample,
/// x⁺ = Dx/q, x⁺⁺ = (I − D)x/(1 − q). With q = 1/2 this is the paper's x⁺ = 2Dx,
/// x⁺⁺ = 2(I − D)x (docs/THEORY.md §1.4).
#[derive(Debug, Clone, Copy)]
pub struct RandomMask {
    /// Keep probability q of the first view.
    pub keep_prob: f64,
}

impl Default for RandomMask {
    fn default() -> Self {
        Self { keep_prob: 0.5 }
    }
}

impl Augmentation for RandomMask {
    fn identity_views(&self) -> bool {
        false
    }
    fn view_sample(&self, xs: &[f64], a: &mut [f64], b: &mut [f64], rng: &mut ChaCha8Rng) {
        let (s1, s2) = (1.0 / self.keep_prob, 1.0 / (1.0 - self.keep_prob));
        if self.keep_prob == 0.5 {
            // The paper's mask, branch-free: bit j of the word selects s1·x or +0.0 for the
            // first view and the other for the second (the same values as the generic path).
            let (a, b) = (&mut a[..xs.len()], &mut b[..xs.len()]);
            for ((xc, ac), bc) in xs.chunks(64).zip(a.chunks_mut(64)).zip(b.chunks_mut(64)) {
                let bits = rng.next_u64();
                for (j, ((&x, av), bv)) in xc.iter().zip(ac.iter_mut()).zip(bc.iter_mut()).enumerate() {
                    let keep = 0u64.wrapping_sub((bits >> j) & 1);
                    *av = f64::from_bits((s1 * x).to_bits() & keep);
                    *bv = f64::from_bits((s2 * x).to_bits() & !keep);
                }
            }
            return;
        }
        let sampler = MaskSampler {
            keep_prob: self.keep_prob,
        };
        sampler.for_each(xs.len(), rng, |k, keep| {
            if keep {
                a[k] = s1 * xs[k];
                b[k] = 0.0;
            } else {
                a[k] = 0.0;
                b[k] = s2 * xs[k];
            }
        });
    }
    fn noise_std_factor(&self) -> f64 {
        (0.5 / self.keep_prob + 0.5 / (1.0 - self.keep_prob)).sqrt()
    }
}

/// Two independent masks: x⁺ = D₁x/q, x⁺⁺ = D₂x/q (both views keep a coordinate with
/// probability q² and then share its noise, unlike the complementary mask).
#[derive(Debug, Clone, Copy)]
pub struct IndependentMask {
    /// Keep probability q of each view.
    pub keep_prob: f64,
}

impl Augmentation for IndependentMask {
    fn identity_views(&self) -> bool {
        false
    }
    fn view_sample(&self, xs: &[f64], a: &mut [f64], b: &mut [f64], rng: &mut ChaCha8Rng) {
        let scale = 1.0 / self.keep_prob;
        let sampler = MaskSampler {
            keep_prob: self.keep_prob,
        };
        sampler.for_each(xs.len(), rng, |k, keep| a[k] = if keep { scale * xs[k] } else { 0.0 });
        sampler.for_each(xs.len(), rng, |k, keep| b[k] = if keep { scale * xs[k] } else { 0.0 });
    }
    fn noise_std_factor(&self) -> f64 {
        (1.0 / self.keep_prob).sqrt()
    }
}

/// Additive Gaussian noise on each view: x⁺ = x + ε₁, x⁺⁺ = x + ε₂, ε ~ N(0, σ_a² I).
#[derive(Debug, Clone, Copy)]
pub struct GaussianNoise {
    /// σ_a.
    pub noise_std: f64,
    /// σ_ξ of the data (for the bias rule's s).
    pub sigma_xi: f64,
}

impl Augmentation for GaussianNoise {
    fn identity_views(&self) -> bool {
        false
    }
    fn view_sample(&self, xs: &[f64], a: &mut [f64], b: &mut [f64], rng: &mut ChaCha8Rng) {
        for (a, &xv) in a.iter_mut().zip(xs) {
            let e: f64 = StandardNormal.sample(rng);
            *a = xv + self.noise_std * e;
        }
        for (b, &xv) in b.iter_mut().zip(xs) {
            let e: f64 = StandardNormal.sample(rng);
            *b = xv + self.noise_std * e;
        }
    }
    fn noise_std_factor(&self) -> f64 {
        (1.0 + (self.noise_std / self.sigma_xi).powi(2)).sqrt()
    }
}

/// A crop-like mask: a contiguous (cyclic) block of ⌊q·d1⌋ coordinates with a uniform
/// random start goes to the first view, the rest to the second, each rescaled as in the
/// complementary RandomMask.
#[derive(Debug, Clone, Copy)]
pub struct BlockMask {
    /// Fraction q of coordinates in the block.
    pub keep_prob: f64,
}

impl Augmentation for BlockMask {
    fn identity_views(&self) -> bool {
        false
    }
    fn view_sample(&self, xs: &[f64], a: &mut [f64], b: &mut [f64], rng: &mut ChaCha8Rng) {
        let d1 = xs.len();
        let len = ((self.keep_prob * d1 as f64).floor() as usize).clamp(1, d1.saturating_sub(1).max(1));
        let q = len as f64 / d1 as f64;
        let (s1, s2) = (1.0 / q, 1.0 / (1.0 - q).max(f64::MIN_POSITIVE));
        let start = (rng.next_u64() % d1 as u64) as usize;
        for k in 0..d1 {
            let inside = (k + d1 - start) % d1 < len;
            a[k] = if inside { s1 * xs[k] } else { 0.0 };
            b[k] = if inside { 0.0 } else { s2 * xs[k] };
        }
    }
    fn noise_std_factor(&self) -> f64 {
        (0.5 / self.keep_prob + 0.5 / (1.0 - self.keep_prob)).sqrt()
    }
}

/// The augmentation a (checked) config names; `sigma_xi` is the data's noise std.
pub fn from_config(cfg: &AugmentationSettings, sigma_xi: f64) -> Box<dyn Augmentation> {
    match cfg.kind {
        AugmentationKind::None => Box::new(NoAugmentation),
        AugmentationKind::RandomMask => Box::new(RandomMask {
            keep_prob: cfg.keep_prob,
        }),
        AugmentationKind::IndependentMask => Box::new(IndependentMask {
            keep_prob: cfg.keep_prob,
        }),
        AugmentationKind::GaussianNoise => Box::new(GaussianNoise {
            noise_std: cfg.noise_std,
            sigma_xi,
        }),
        AugmentationKind::BlockMask => Box::new(BlockMask {
            keep_prob: cfg.keep_prob,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{stream, Purpose};

    fn x() -> Mat<f64> {
        Mat::from_fn(130, 3, |i, j| (i as f64 + 1.0) * (j as f64 - 0.5))
    }

    #[test]
    fn random_mask_views_are_complementary_and_sum_to_2x() {
        let x = x();
        let mut a = Mat::zeros(130, 3);
        let mut b = Mat::zeros(130, 3);
        RandomMask::default().views(&x, &mut a, &mut b, &mut stream(1, Purpose::Masks));
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
        approx::assert_relative_eq!(RandomMask::default().noise_std_factor(), 2f64.sqrt());
    }

    #[test]
    fn other_keep_probabilities_keep_that_fraction() {
        let x = Mat::from_fn(1000, 20, |_, _| 1.0);
        let mut a = Mat::zeros(1000, 20);
        let mut b = Mat::zeros(1000, 20);
        RandomMask { keep_prob: 0.1 }.views(&x, &mut a, &mut b, &mut stream(2, Purpose::Masks));
        let kept = (0..20)
            .flat_map(|j| (0..1000).map(move |i| (i, j)))
            .filter(|&(i, j)| a[(i, j)] != 0.0)
            .count();
        // Binomial(20000, 0.1): sd ≈ 42; 5 sd.
        assert!((kept as i64 - 2000).abs() < 210, "kept {kept}");
        assert_eq!(a[(0, 0)] + b[(0, 0)], if a[(0, 0)] != 0.0 { 10.0 } else { 1.0 / 0.9 });
    }

    #[test]
    fn block_mask_keeps_one_contiguous_block() {
        let x = Mat::from_fn(100, 4, |_, _| 1.0);
        let mut a = Mat::zeros(100, 4);
        let mut b = Mat::zeros(100, 4);
        BlockMask { keep_prob: 0.3 }.views(&x, &mut a, &mut b, &mut stream(3, Purpose::Masks));
        for j in 0..4 {
            let inside: Vec<bool> = (0..100).map(|i| a[(i, j)] != 0.0).collect();
            assert_eq!(inside.iter().filter(|&&v| v).count(), 30);
            let switches = (0..100).filter(|&i| inside[i] != inside[(i + 1) % 100]).count();
            assert_eq!(switches, 2, "one cyclic block");
        }
    }

    #[test]
    fn gaussian_noise_views_differ_from_x_by_the_stated_std() {
        let x = Mat::from_fn(500, 10, |_, _| 0.0);
        let mut a = Mat::zeros(500, 10);
        let mut b = Mat::zeros(500, 10);
        let aug = GaussianNoise {
            noise_std: 0.5,
            sigma_xi: 0.5,
        };
        aug.views(&x, &mut a, &mut b, &mut stream(4, Purpose::Masks));
        let var = (0..10)
            .flat_map(|j| (0..500).map(move |i| (i, j)))
            .map(|(i, j)| a[(i, j)].powi(2))
            .sum::<f64>()
            / 5000.0;
        assert!((var - 0.25).abs() < 0.03, "{var}");
        approx::assert_relative_eq!(aug.noise_std_factor(), 2f64.sqrt());
    }
}
