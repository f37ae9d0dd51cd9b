//! Online SGD on the contrastive objective (docs/THEORY.md §1.5, docs/THEORY.md §4.3).
//!
//! Each step draws B fresh samples from the data stream, makes two views, evaluates the
//! loss with StopGrad and in-batch negatives, and updates
//! W ← (1 − ηλ)W − η ∇_W L. The biases are reset by the rule b_i = κ·s·‖w_i‖ from the
//! current W at the start of every step (zero during the warm-up). All buffers live in a
//! [`Workspace`] allocated once, so the steady-state loop does not allocate.

use faer::{Accum, Mat};
use rand_chacha::ChaCha8Rng;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::sim::augment::{self, Augmentation};
use crate::sim::data::{SparseCodes, SparseCoding};
use crate::sim::loss::{self, LossWorkspace};
use crate::sim::network::Network;
use crate::sim::rng::{self, Purpose};

/// Buffers of one SGD step, reused every step.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The batch x, d1×B (only with identical views; else d1×0: each sample goes straight
    /// from `sample` into its two views).
    pub x: Mat<f64>,
    /// One sample, length d1 (when the views differ).
    pub sample: Vec<f64>,
    /// The batch's sparse codes.
    pub codes: SparseCodes,
    /// First view, d1×B (unused when the views are x itself).
    pub v1: Mat<f64>,
    /// Second view, d1×B.
    pub v2: Mat<f64>,
    /// Features of the first view, m×B (the pre-activations U1 until activated in place).
    pub f1: Mat<f64>,
    /// Features of the second view, m×B.
    pub f2: Mat<f64>,
    /// Loss scratch.
    pub loss: LossWorkspace,
    /// ‖w_i‖.
    pub norms: Vec<f64>,
    /// b_i.
    pub bias: Vec<f64>,
}

impl Workspace {
    /// Buffers for dimensions d (atoms), d1, m and batch B.
    pub fn new(d: usize, d1: usize, m: usize, batch: usize, views: bool) -> Self {
        let (vr, vc) = if views { (d1, batch) } else { (0, 0) };
        Self {
            x: Mat::zeros(if views { 0 } else { d1 }, if views { 0 } else { batch }),
            sample: vec![0.0; if views { d1 } else { 0 }],
            codes: SparseCodes::with_capacity(batch, d),
            v1: Mat::zeros(vr, vc),
            v2: Mat::zeros(vr, vc),
            f1: Mat::zeros(m, batch),
            f2: Mat::zeros(if views { m } else { 0 }, if views { batch } else { 0 }),
            loss: LossWorkspace::new(m, batch),
            norms: vec![0.0; m],
            bias: vec![0.0; m],
        }
    }
}

/// The SGD solver of one run: the problem (data model, augmentation), the state
/// (network, streams, step count) and its workspace.
pub struct Trainer {
    settings: Settings,
    model: SparseCoding,
    aug: Box<dyn Augmentation>,
    net: Network,
    data_rng: ChaCha8Rng,
    mask_rng: ChaCha8Rng,
    ws: Workspace,
    step: usize,
}

impl Trainer {
    /// A trainer at step 0 with W⁽⁰⁾ from the Init stream.
    pub fn new(settings: &Settings) -> Self {
        let model = SparseCoding::for_settings(settings);
        Self::with_parts(settings, model, Network::for_settings(settings))
    }

    /// A trainer from an explicit data model and initial network (for tests and sweeps).
    pub fn with_parts(settings: &Settings, model: SparseCoding, net: Network) -> Self {
        let aug = augment::from_config(&settings.augmentation, settings.model.sigma_xi);
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

    /// The current network.
    pub fn network(&self) -> &Network {
        &self.net
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
            });
        }
        let scale = bias_scale(s, self.aug.as_ref(), self.step.saturating_sub(1));
        Network::biases_from_norms(&ws.norms, scale, 1.0, &mut ws.bias);
        Ok(())
    }

    /// Phase 2: B fresh samples (Data stream) and, unless the views are x itself, their two
    /// views (Masks stream), each sample's views made right after drawing it. Each stream
    /// is consumed exactly as by `sample_into` for the batch and then `views`.
    pub fn draw_inputs(&mut self) {
        let ws = &mut self.ws;
        if self.aug.identity_views() {
            self.model
                .sample_into(&mut self.data_rng, &mut ws.x, None, &mut ws.codes);
            return;
        }
        ws.codes.clear();
        for s in 0..self.settings.train.batch {
            self.model
                .sample_one(&mut self.data_rng, &mut ws.sample, None, &mut ws.codes);
            self.aug.view_sample(
                &ws.sample,
                ws.v1.col_as_slice_mut(s),
                ws.v2.col_as_slice_mut(s),
                &mut self.mask_rng,
            );
        }
    }

    /// Phase 3: F1 = h(W·X1) and, when the views differ, F2 = h(W·X2) (activated in place).
    pub fn forward(&mut self) {
        let ws = &mut self.ws;
        let identity = self.aug.identity_views();
        let x1 = if identity { &ws.x } else { &ws.v1 };
        self.net.preactivations_into(x1.as_ref(), ws.f1.as_mut());
        Network::activate_in_place(&mut ws.f1, &ws.bias);
        if !identity {
            self.net.preactivations_into(ws.v2.as_ref(), ws.f2.as_mut());
            Network::activate_in_place(&mut ws.f2, &ws.bias);
        }
    }

    /// Phase 4: the loss and ∂L/∂F1 gated by 1[|U1| > b] into the loss workspace.
    pub fn loss_and_grad(&mut self) -> f64 {
        let ws = &mut self.ws;
        let f2 = if self.aug.identity_views() { &ws.f1 } else { &ws.f2 };
        loss::loss_and_gated_grad(ws.f1.as_ref(), f2.as_ref(), self.settings.train.tau, &mut ws.loss)
    }

    /// Phase 5: W ← (1 − ηλ)W − η·G·X1ᵀ: one scaling pass over W, then the product added
    /// in place. (The scaling cannot share phase 1's pass over W: the forward products of
    /// this step need the unscaled W, and faer's product offers no β·dst + α·AB.)
    pub fn apply_update(&mut self) {
        self.net.decay(self.settings.train.lr, self.settings.train.weight_decay);
        let ws = &self.ws;
        let x1 = if self.aug.identity_views() { &ws.x } else { &ws.v1 };
        loss::accumulate_weight_grad(
            &mut self.net.w,
            Accum::Add,
            &ws.loss.g,
            x1.as_ref(),
            -self.settings.train.lr,
        );
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
