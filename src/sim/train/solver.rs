//! Online SGD on the contrastive objective (docs/THEORY.md §1.5, docs/THEORY.md §4.3).
//!
//! Each step draws B fresh samples from the data stream, makes two views, evaluates the
//! loss with StopGrad and in-batch negatives, and updates
//! W ← (1 − ηλ)W − η ∇_W L. The biases are reset by the rule b_i = κ·s·‖w_i‖ from the
//! current W at the start of every step (zero during the warm-up). All buffers live in a
//! [`Workspace`] allocated once, so the steady-state loop does not allocate.

use std::borrow::Cow;

use faer::{Accum, Mat, MatMut, MatRef};
use rand_chacha::ChaCha8Rng;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::sim::augment::{self, Augmentation};
use crate::sim::data::{SparseCodes, SparseCoding};
use crate::sim::linalg::Real;
use crate::sim::loss::{self, LossWorkspace};
use crate::sim::network::Network;
use crate::sim::rng::{self, Purpose};

/// Buffers of one SGD step in the step's type `T`, reused every step.
///
/// The two views of a batch are the two halves of one d1×2B matrix (columns 0..B the
/// first view, B..2B the second), and so are their features (m×2B): both forward products
/// are one product W·[X⁺ X⁺⁺], which runs nearer the core's peak than two half as wide
/// (benches/README.md). With identical views there is one half.
#[derive(Debug, Clone)]
pub struct Workspace<T: Real = f64> {
    /// The inputs, d1×B with identical views (x itself) or d1×2B ([X⁺ X⁺⁺]).
    pub v: Mat<T>,
    /// One sample, length d1, in f64 (as drawn).
    pub sample: Vec<f64>,
    /// Its two views in f64 before they are rounded to `T` (empty when `T` is f64: the views
    /// are written in place).
    pub view_scratch: [Vec<f64>; 2],
    /// The batch's sparse codes.
    pub codes: SparseCodes,
    /// Features of the inputs' columns, m×B or m×2B (pre-activations until activated in
    /// place).
    pub f: Mat<T>,
    /// Loss scratch.
    pub loss: LossWorkspace<T>,
    /// ‖w_i‖ (f64).
    pub norms: Vec<f64>,
    /// b_i (f64).
    pub bias: Vec<f64>,
    /// b_i in `T`, as the activation uses them.
    pub bias_t: Vec<T>,
}

impl<T: Real> Workspace<T> {
    /// Buffers for dimensions d (atoms), d1, m and batch B; `views`: the two views differ.
    pub fn new(d: usize, d1: usize, m: usize, batch: usize, views: bool) -> Self {
        let cols = if views { 2 * batch } else { batch };
        let scratch = if T::as_f64_mut(&mut []).is_some() { 0 } else { d1 };
        Self {
            v: Mat::zeros(d1, cols),
            sample: vec![0.0; d1],
            view_scratch: [vec![0.0; scratch], vec![0.0; scratch]],
            codes: SparseCodes::with_capacity(batch, d),
            f: Mat::zeros(m, cols),
            loss: LossWorkspace::new(m, batch),
            norms: vec![0.0; m],
            bias: vec![0.0; m],
            bias_t: vec![T::ZERO; m],
        }
    }

    /// The first view X⁺ (d1×B).
    pub fn x1(&self) -> MatRef<'_, T> {
        let b = self.loss.pt.ncols();
        self.v.as_ref().subcols(0, b)
    }
}

/// F1 = f(X⁺) and F2 = f(X⁺⁺) (m×B each) from the features of the inputs' columns `f`
/// (m×B with identical views: both are `f`; m×2B otherwise: its two halves).
fn feature_halves<T: Real>(f: MatRef<'_, T>, batch: usize) -> (MatRef<'_, T>, MatRef<'_, T>) {
    if f.ncols() == batch {
        (f, f)
    } else {
        (f.subcols(0, batch), f.subcols(batch, batch))
    }
}

/// The SGD solver of one run: the problem (data model, augmentation), the state
/// (network, streams, step count) and its workspace. `T` is the type the step's matrices
/// are held in (`[train] precision`); `Trainer::new` is the f64 trainer.
pub struct Trainer<T: Real = f64> {
    settings: Settings,
    model: SparseCoding,
    aug: Box<dyn Augmentation>,
    net: Network<T>,
    data_rng: ChaCha8Rng,
    mask_rng: ChaCha8Rng,
    ws: Workspace<T>,
    step: usize,
}

impl Trainer {
    /// An f64 trainer at step 0 with W⁽⁰⁾ from the Init stream (whatever the settings'
    /// precision; [`Trainer::build`] makes one of any precision).
    pub fn new(settings: &Settings) -> Self {
        Self::build(settings)
    }
}

impl<T: Real> Trainer<T> {
    /// A trainer in `T` at step 0 with W⁽⁰⁾ from the Init stream (drawn in f64, rounded).
    pub fn build(settings: &Settings) -> Self {
        let model = SparseCoding::for_settings(settings);
        Self::with_parts(settings, model, Network::for_settings_in(settings))
    }

    /// A trainer from an explicit data model and initial network (for tests and sweeps).
    pub fn with_parts(settings: &Settings, model: SparseCoding, net: Network<T>) -> Self {
        let aug = augment::from_config(&settings.augmentation, settings.model.sigma_xi);
        Self::with_augmentation(settings, model, net, aug)
    }

    /// A trainer with an augmentation of the caller's own (any [`Augmentation`]: a library
    /// user's, see `examples/own_augmentation.rs`) in place of `settings.augmentation`,
    /// which then only names the run. The masks stream is the run's, so two augmentations
    /// compared on one seed see the same data and initial network.
    pub fn with_augmentation(
        settings: &Settings,
        model: SparseCoding,
        net: Network<T>,
        aug: Box<dyn Augmentation>,
    ) -> Self {
        let ws = Workspace::new(
            settings.model.d,
            settings.model.d1,
            settings.network.m,
            settings.train.batch,
            !aug.identity_views(),
        );
        Self {
            settings: settings.clone(),
            model,
            aug,
            net,
            data_rng: rng::stream(settings.seed, Purpose::Data),
            mask_rng: rng::stream(settings.seed, Purpose::Masks),
            ws,
            step: 0,
        }
    }

    /// The augmentation the trainer makes its views with.
    pub fn augmentation(&self) -> &dyn Augmentation {
        self.aug.as_ref()
    }

    /// The current network in f64 (borrowed for an f64 trainer, converted for f32).
    pub fn network(&self) -> Cow<'_, Network> {
        self.net.to_f64()
    }

    /// The data model.
    pub fn model(&self) -> &SparseCoding {
        &self.model
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Steps taken so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// κ·s of the bias rule at the current step (0 during the warm-up).
    pub fn bias_scale(&self) -> f64 {
        bias_scale(&self.settings, self.aug.as_ref(), self.step)
    }

    /// The biases the rule gives the current W (as used by the next step and for evaluation).
    pub fn current_biases(&self) -> Vec<f64> {
        let norms = self.net.row_norms();
        let mut b = vec![0.0; norms.len()];
        Network::biases_from_norms(&norms, self.bias_scale(), 1.0, &mut b);
        b
    }

    /// One SGD step; returns the batch loss L (without the weight-decay term).
    ///
    /// The phases below, in order; they are public so the benchmarks can time each one.
    /// The steady state allocates nothing (tests/alloc.rs). A non-finite loss is returned
    /// without updating W; the executor's divergence guard ([`crate::sim::train::executor::drive`])
    /// stops the run there, naming the step.
    pub fn step(&mut self) -> Result<f64> {
        self.step += 1;
        self.begin_step()?;
        self.draw_inputs();
        self.forward();
        let l = self.loss_and_grad();
        if l.is_finite() {
            self.apply_update();
        }
        Ok(l)
    }

    /// Phase 1: the norms ‖w_i‖ of the current W and the biases b_i = κ·s·‖w_i‖ of the
    /// step. Fails if W is not finite.
    pub fn begin_step(&mut self) -> Result<()> {
        let s = &self.settings;
        let ws = &mut self.ws;
        self.net.row_norms_into(&mut ws.norms);
        if ws.norms.iter().any(|n| !n.is_finite()) {
            return Err(Error::Diverged {
                step: self.step.max(1),
                what: "weights",
                partial: None,
            });
        }
        let scale = bias_scale(s, self.aug.as_ref(), self.step.saturating_sub(1));
        Network::biases_from_norms(&ws.norms, scale, 1.0, &mut ws.bias);
        for (bt, &b) in ws.bias_t.iter_mut().zip(&ws.bias) {
            *bt = T::of(b);
        }
        Ok(())
    }

    /// Phase 2: B fresh samples (Data stream) and, unless the views are x itself, their two
    /// views (Masks stream), each sample's views made right after drawing it. Each stream
    /// is consumed exactly as by `sample_into` for the batch and then `views`. In f32 each
    /// sample and its views are made in f64 and then rounded.
    pub fn draw_inputs(&mut self) {
        let ws = &mut self.ws;
        let b = self.settings.train.batch;
        let identity = self.aug.identity_views();
        ws.codes.clear();
        for s in 0..b {
            if identity {
                let col = ws.v.col_as_slice_mut(s);
                match T::as_f64_mut(col) {
                    Some(col) => self.model.sample_one(&mut self.data_rng, col, None, &mut ws.codes),
                    None => {
                        self.model
                            .sample_one(&mut self.data_rng, &mut ws.sample, None, &mut ws.codes);
                        round_into(&ws.sample, ws.v.col_as_slice_mut(s));
                    }
                }
                continue;
            }
            self.model
                .sample_one(&mut self.data_rng, &mut ws.sample, None, &mut ws.codes);
            let (first, second) = ws.v.as_mut().split_at_col_mut(b);
            let a = col_slice(first, s);
            let c = col_slice(second, s);
            match (T::as_f64_mut(a), T::as_f64_mut(c)) {
                (Some(a), Some(c)) => self.aug.view_sample(&ws.sample, a, c, &mut self.mask_rng),
                _ => {
                    let [sa, sc] = &mut ws.view_scratch;
                    self.aug.view_sample(&ws.sample, sa, sc, &mut self.mask_rng);
                    let (first, second) = ws.v.as_mut().split_at_col_mut(b);
                    round_into(sa, col_slice(first, s));
                    round_into(sc, col_slice(second, s));
                }
            }
        }
    }

    /// Phase 3: [F1 F2] = h(W·[X⁺ X⁺⁺]), one product for both views (activated in place).
    pub fn forward(&mut self) {
        let ws = &mut self.ws;
        self.net.preactivations_into(ws.v.as_ref(), ws.f.as_mut());
        Network::<T>::activate_in_place(ws.f.as_mut(), &ws.bias_t);
    }

    /// Phase 4: the loss and ∂L/∂F1 gated by 1[|U1| > b] into the loss workspace.
    pub fn loss_and_grad(&mut self) -> f64 {
        let ws = &mut self.ws;
        let (f1, f2) = feature_halves(ws.f.as_ref(), self.settings.train.batch);
        loss::loss_and_gated_grad(f1, f2, self.settings.train.tau, &mut ws.loss)
    }

    /// Phase 5: W ← (1 − ηλ)W − η·G·X⁺ᵀ: one scaling pass over W, then the product added
    /// in place. (The scaling cannot share phase 1's pass over W: the forward products of
    /// this step need the unscaled W, and faer's product offers no β·dst + α·AB.)
    pub fn apply_update(&mut self) {
        self.net.decay(self.settings.train.lr, self.settings.train.weight_decay);
        let ws = &self.ws;
        loss::accumulate_weight_grad(
            self.net.w.as_mut(),
            Accum::Add,
            ws.loss.g.as_ref(),
            ws.x1(),
            -self.settings.train.lr,
        );
    }
}

/// Column `s` of a column-major matrix view as a slice.
fn col_slice<T: Real>(m: MatMut<'_, T>, s: usize) -> &mut [T] {
    m.col_mut(s)
        .try_as_col_major_mut()
        .expect("column-major inputs")
        .as_slice_mut()
}

/// dst ← src rounded to `T`.
fn round_into<T: Real>(src: &[f64], dst: &mut [T]) {
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = T::of(v);
    }
}

/// κ·s after `steps_done` steps: zero during the warm-up, κ·σ_ξ·(noise factor of the views)
/// afterwards (docs/THEORY.md §4.2).
pub fn bias_scale(s: &Settings, aug: &dyn Augmentation, steps_done: usize) -> f64 {
    if steps_done < s.network.warmup_steps {
        0.0
    } else {
        s.network.kappa * s.model.sigma_xi * aug.noise_std_factor()
    }
}
