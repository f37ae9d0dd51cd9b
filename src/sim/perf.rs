//! Benchmark support (issue #5): the three benchmark sizes, the FLOP count of one SGD step
//! and the bare GEMMs of the step (the lower bound the step should approach).
//!
//! Used by `benches/step.rs`, `benches/gemm.rs` and `examples/steptime.rs` (which
//! `benches/compare.sh` runs side by side with the numpy reference). Not part of the
//! simulation itself.

use std::path::Path;

use faer::{Accum, Mat};
use rand_distr::{Distribution, StandardNormal};

use crate::config::{Config, Settings};
use crate::sim::linalg::{gemm, Real};
use crate::sim::loss::accumulate_weight_grad;
use crate::sim::rng::{self, Purpose};

/// A problem size: latent dimension d, ambient d1, neurons m, batch B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Name used in benchmark ids and tables.
    pub name: &'static str,
    /// Latent dimension d (number of atoms).
    pub d: usize,
    /// Ambient dimension d1.
    pub d1: usize,
    /// Neurons m.
    pub m: usize,
    /// Batch B.
    pub batch: usize,
}

/// d=50, d1=400, m=200, B=512 (the theorem experiments' size at d1 = 8d; they now use d1 = 354).
pub const SMALL: Size = Size {
    name: "small",
    d: 50,
    d1: 400,
    m: 200,
    batch: 512,
};
/// d=128, d1=1024, m=512, B=512.
pub const MEDIUM: Size = Size {
    name: "medium",
    d: 128,
    d1: 1024,
    m: 512,
    batch: 512,
};
/// d=256, d1=4096, m=1024, B=512.
pub const LARGE: Size = Size {
    name: "large",
    d: 256,
    d1: 4096,
    m: 1024,
    batch: 512,
};
/// The three benchmark sizes.
pub const SIZES: [Size; 3] = [SMALL, MEDIUM, LARGE];

impl Size {
    /// `small`, `medium`, `large`, or `d,d1,m,B` (a custom size named "custom").
    pub fn parse(text: &str) -> Option<Size> {
        if let Some(s) = SIZES.iter().find(|s| s.name == text) {
            return Some(*s);
        }
        let v: Vec<usize> = text.split(',').map(|t| t.trim().parse().ok()).collect::<Option<_>>()?;
        match v[..] {
            [d, d1, m, batch] => Some(Size {
                name: "custom",
                d,
                d1,
                m,
                batch,
            }),
            _ => None,
        }
    }

    /// Checked settings of this size with the theorem experiments' other parameters
    /// (κ = 1, η = 1, λ = 1e-4, τ = 0.1, defaults for p and σ_ξ); `augmentation` is a kind
    /// name such as "random_mask" or "none".
    pub fn settings(&self, augmentation: &str, seed: u64) -> Settings {
        let text = format!(
            "name = \"bench_{}\"\nseed = {seed}\n[model]\nd = {}\nd1 = {}\n[network]\nm = {}\nkappa = 1.0\n\
             [augmentation]\nkind = \"{augmentation}\"\n[train]\nsteps = 1000\nbatch = {}\nlr = 1.0\n\
             weight_decay = 1e-4\ntau = 0.1\nlog_every = 100\n",
            self.name, self.d, self.d1, self.m, self.batch
        );
        Config::from_toml_str(&text, Path::new("perf.toml"))
            .and_then(|c| c.check())
            .expect("benchmark sizes are valid settings")
    }

    /// FLOPs of the forward products of both views: 2·(2·m·d1·B).
    pub fn forward_flops(&self) -> u64 {
        4 * (self.m * self.d1 * self.batch) as u64
    }

    /// FLOPs of Sᵀ = F2ᵀF1 and G = F2·Pᵀ: 2·(2·B·B·m).
    pub fn loss_flops(&self) -> u64 {
        4 * (self.batch * self.batch * self.m) as u64
    }

    /// FLOPs of the weight gradient G·X1ᵀ: 2·m·B·d1.
    pub fn update_flops(&self) -> u64 {
        2 * (self.m * self.d1 * self.batch) as u64
    }

    /// FLOPs of the GEMMs of one step with two distinct views: 6·m·d1·B + 4·B²·m.
    pub fn step_flops(&self) -> u64 {
        self.forward_flops() + self.loss_flops() + self.update_flops()
    }
}

/// The step's products by name, with their FLOPs at a size: [U1 U2] = W·[X1 X2],
/// Sᵀ = F2ᵀF1, G = F2·Pᵀ, W += −η·G·X1ᵀ.
pub const PRODUCTS: [&str; 4] = ["forward", "similarity", "softmax_grad", "update"];

impl Size {
    /// FLOPs of the product `name` of [`PRODUCTS`].
    pub fn product_flops(&self, name: &str) -> u64 {
        match name {
            "forward" => self.forward_flops(),
            "similarity" | "softmax_grad" => self.loss_flops() / 2,
            "update" => self.update_flops(),
            other => panic!("no product {other}"),
        }
    }
}

/// GFLOP/s of a square n×n product in `T` (single-threaded, the best of three timings of
/// `reps` products each): the core's practical peak, the anchor of every speed ratio.
pub fn square_gflops<T: Real>(n: usize, reps: usize) -> f64 {
    let mut rng = rng::stream(1, Purpose::Eval);
    let a = gaussian::<T>(n, n, &mut rng);
    let b = gaussian::<T>(n, n, &mut rng);
    let mut c = Mat::<T>::zeros(n, n);
    let mut product = || gemm(c.as_mut(), Accum::Replace, a.as_ref(), b.as_ref(), T::of(1.0));
    product();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = std::time::Instant::now();
        for _ in 0..reps {
            product();
        }
        best = best.min(start.elapsed().as_secs_f64() / reps as f64);
    }
    2.0 * (n as f64).powi(3) / best / 1e9
}

/// Operands of the bare products of one step, filled with Gaussian numbers once, in the
/// same layout as the step's workspace (the two views side by side, d1×2B).
pub struct GemmBound<T: Real = f64> {
    w: Mat<T>,
    x: Mat<T>,
    u: Mat<T>,
    pt: Mat<T>,
    g: Mat<T>,
    batch: usize,
}

fn gaussian<T: Real>(r: usize, c: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Mat<T> {
    let mut a = Mat::<T>::zeros(r, c);
    for j in 0..c {
        for v in a.col_as_slice_mut(j) {
            let e: f64 = StandardNormal.sample(rng);
            *v = T::of(e);
        }
    }
    a
}

impl<T: Real> GemmBound<T> {
    /// Operands for `size`.
    pub fn new(size: Size) -> Self {
        let mut rng = rng::stream(1, Purpose::Eval);
        let (d1, m, b) = (size.d1, size.m, size.batch);
        Self {
            w: gaussian(m, d1, &mut rng),
            x: gaussian(d1, 2 * b, &mut rng),
            u: gaussian(m, 2 * b, &mut rng),
            pt: Mat::zeros(b, b),
            g: Mat::zeros(m, b),
            batch: b,
        }
    }

    /// [U1 U2] = W·[X1 X2] (the forward products of both views, as one product).
    pub fn forward(&mut self) {
        gemm(
            self.u.as_mut(),
            Accum::Replace,
            self.w.as_ref(),
            self.x.as_ref(),
            T::of(1.0),
        );
    }

    /// Sᵀ = U2ᵀ·U1 (the similarities, B×B).
    pub fn similarity(&mut self) {
        let b = self.batch;
        let (u1, u2) = (self.u.as_ref().subcols(0, b), self.u.as_ref().subcols(b, b));
        gemm(self.pt.as_mut(), Accum::Replace, u2.transpose(), u1, T::of(1.0));
    }

    /// G = U2·Pᵀ (the softmax-weighted features, m×B).
    pub fn softmax_grad(&mut self) {
        let b = self.batch;
        let u2 = self.u.as_ref().subcols(b, b);
        gemm(self.g.as_mut(), Accum::Replace, u2, self.pt.as_ref(), T::of(1e-6));
    }

    /// Sᵀ = U2ᵀ·U1 and G = U2·Pᵀ (the loss products; the softmax is left out).
    pub fn loss(&mut self) {
        self.similarity();
        self.softmax_grad();
    }

    /// W += −η·G·X1ᵀ (the update product, as the step does it).
    pub fn update(&mut self) {
        let x1 = self.x.as_ref().subcols(0, self.batch);
        accumulate_weight_grad(self.w.as_mut(), Accum::Add, self.g.as_ref(), x1, -1e-9);
    }

    /// The product `name` of [`PRODUCTS`].
    pub fn product(&mut self, name: &str) {
        match name {
            "forward" => self.forward(),
            "similarity" => self.similarity(),
            "softmax_grad" => self.softmax_grad(),
            "update" => self.update(),
            other => panic!("no product {other}"),
        }
    }

    /// All products of a step, in the step's order.
    pub fn step(&mut self) {
        self.forward();
        self.loss();
        self.update();
    }
}
