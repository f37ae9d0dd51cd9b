//! Online SGD on the contrastive objective (seed §2.5, SPEC §3).
//!
//! Each step draws B fresh samples from the data stream, makes two views, evaluates the
//! loss with StopGrad and in-batch negatives, and updates
//! W ← (1 − ηλ)W − η ∇_W L. The biases are reset by the rule b_i = κ·s·‖w_i‖ from the
//! current W at the start of every step (zero during the warm-up). All buffers live in a
//! [`Workspace`] allocated once, so the steady-state loop does not allocate.

use faer::{Accum, Mat};
use rand_chacha::ChaCha8Rng;

use crate::augment::{self, Augmentation};
use crate::config::Settings;
use crate::data::{SparseCodes, SparseCoding};
use crate::error::{Error, Result};
use crate::loss::{self, LossWorkspace};
use crate::network::Network;
use crate::rng::{self, Purpose};

/// Buffers of one SGD step, reused every step.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The batch x, d1×B.
    pub x: Mat<f64>,
    /// The batch's sparse codes.
    pub codes: SparseCodes,
    /// First view, d1×B (unused when the views are x itself).
    pub v1: Mat<f64>,
    /// Second view, d1×B.
    pub v2: Mat<f64>,
    /// Pre-activations of the first view, m×B.
    pub u1: Mat<f64>,
    /// Pre-activations of the second view, m×B.
    pub u2: Mat<f64>,
    /// Features of the first view, m×B.
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
    /// Buffers for dimensions d1, m and batch B.
    pub fn new(d1: usize, m: usize, batch: usize, views: bool) -> Self {
        let (vr, vc) = if views { (d1, batch) } else { (0, 0) };
        Self {
            x: Mat::zeros(d1, batch),
            codes: SparseCodes::default(),
            v1: Mat::zeros(vr, vc),
            v2: Mat::zeros(vr, vc),
            u1: Mat::zeros(m, batch),
            u2: Mat::zeros(if views { m } else { 0 }, if views { batch } else { 0 }),
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
        let net = Network::init(
            settings.m,
            settings.d1,
            settings.sigma0,
            &mut rng::stream(settings.seed, Purpose::Init),
        );
        Self::with_parts(settings, model, net)
    }

    /// A trainer from an explicit data model and initial network (for tests and sweeps).
    pub fn with_parts(settings: &Settings, model: SparseCoding, net: Network) -> Self {
        let aug = augment::from_config(&settings.augmentation, settings.sigma_xi);
        let ws = Workspace::new(settings.d1, settings.m, settings.batch, !aug.identity_views());
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
    pub fn step(&mut self) -> Result<f64> {
        let s = &self.settings;
        let ws = &mut self.ws;
        self.step += 1;
        let step = self.step;

        self.net.row_norms_into(&mut ws.norms);
        if ws.norms.iter().any(|n| !n.is_finite()) {
            return Err(Error::Diverged { step, what: "weights" });
        }
        let scale = bias_scale(s, self.aug.as_ref(), step - 1);
        Network::biases_from_norms(&ws.norms, scale, 1.0, &mut ws.bias);

        self.model
            .sample_into(&mut self.data_rng, &mut ws.x, None, &mut ws.codes);
        let identity = self.aug.identity_views();
        if !identity {
            self.aug.views(&ws.x, &mut ws.v1, &mut ws.v2, &mut self.mask_rng);
        }
        let x1 = if identity { &ws.x } else { &ws.v1 };
        self.net.preactivations_into(x1.as_ref(), ws.u1.as_mut());
        Network::activate_into(&ws.u1, &ws.bias, &mut ws.f1);
        let f2 = if identity {
            &ws.f1
        } else {
            self.net.preactivations_into(ws.v2.as_ref(), ws.u2.as_mut());
            Network::activate_into(&ws.u2, &ws.bias, &mut ws.f2);
            &ws.f2
        };
        let l = loss::loss_and_feature_grad(ws.f1.as_ref(), f2.as_ref(), s.tau, &mut ws.loss);
        if !l.is_finite() {
            return Err(Error::Diverged { step, what: "loss" });
        }
        loss::gate_by_threshold(&mut ws.loss.g, &ws.u1, &ws.bias);

        let shrink = 1.0 - s.lr * s.weight_decay;
        if shrink != 1.0 {
            for k in 0..self.net.d1() {
                for v in self.net.w.col_as_slice_mut(k) {
                    *v *= shrink;
                }
            }
        }
        loss::accumulate_weight_grad(&mut self.net.w, Accum::Add, &ws.loss.g, x1.as_ref(), -s.lr);
        Ok(l)
    }
}

/// κ·s after `steps_done` steps: zero during the warm-up, κ·σ_ξ·(noise factor of the views)
/// afterwards (SPEC §2).
pub fn bias_scale(s: &Settings, aug: &dyn Augmentation, steps_done: usize) -> f64 {
    if steps_done < s.warmup_steps {
        0.0
    } else {
        s.kappa * s.sigma_xi * aug.noise_std_factor()
    }
}
