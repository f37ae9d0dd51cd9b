//! The control networks every run is also measured as (docs/THEORY.md §3.1): the
//! untrained network (step 0), the *oracle* network — the theorem's ideal features, each
//! neuron an atom M_j, at the scale that minimises the loss, with the run's bias rule —
//! and a *random* network of the trained network's norms. A check of a trained network
//! is read beside the same check on these three: one the oracle cannot pass says
//! something about the implementation, one the random network passes says nothing about
//! learning.

use faer::Mat;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::sim::data::{Batch, Dictionary};
use crate::sim::floor::{EvalBatches, LossSplit};
use crate::sim::metrics::{self, FeatureReport};
use crate::sim::network::Network;
use crate::sim::rng::{self, Purpose};

/// Which network a run is seen as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// The trained network (the run as it is).
    Trained,
    /// The network at initialisation (step 0, its own biases).
    Untrained,
    /// The oracle network: neuron i is (a/√k)·M_{i mod d}, k = m/d, a the loss-minimising
    /// scale of the floor (docs/THEORY.md §4.8), biases by the run's rule.
    Oracle,
    /// A random network: neuron i is ‖w_i‖·g_i/‖g_i‖ with g_i ~ N(0, I_{d1}) (the
    /// trained norms, random directions), biases by the run's rule.
    Random,
}

impl View {
    /// The three controls, in the order the tables print them.
    pub const CONTROLS: [View; 3] = [View::Untrained, View::Oracle, View::Random];

    /// `trained`, `untrained`, `oracle`, `random`.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Trained => "trained",
            View::Untrained => "untrained",
            View::Oracle => "oracle",
            View::Random => "random",
        }
    }
}

/// One control network measured as the trained one is: features, loss on the evaluation
/// batches, and the two probes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlView {
    /// Its features on the run's evaluation samples.
    pub features: FeatureReport,
    /// Its loss on the run's evaluation batches.
    pub loss: LossSplit,
    /// Ridge probe: test MSE / Var(y).
    pub probe_regression: f64,
    /// Logistic probe: test accuracy.
    pub probe_classification: f64,
}

/// The oracle and the random network of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Controls {
    /// The oracle network ([`View::Oracle`]).
    pub oracle: ControlView,
    /// The random network ([`View::Random`]).
    pub random: ControlView,
}

/// The oracle network of a run with m neurons on dictionary `dict`: neuron i is
/// (scale/√k)·M_{i mod d} with k = m/d, so that its similarities are those of the d atoms
/// at `scale` (the floor's best scale).
pub fn oracle_network(dict: &Dictionary, m: usize, scale: f64) -> Network {
    let (d, d1) = (dict.d(), dict.d1());
    let k = (m as f64 / d as f64).max(1.0);
    let a = scale / k.sqrt();
    Network {
        w: Mat::from_fn(m, d1, |i, r| a * dict.matrix()[(r, i % d)]),
    }
}

/// A random network of the norms `norms` in R^{d1}, from the run's control stream.
pub fn random_network(s: &Settings, norms: &[f64]) -> Network {
    let d1 = s.model.d1;
    let mut rng = rng::stream(s.seed, Purpose::Control);
    let g: Mat<f64> = Mat::from_fn(norms.len(), d1, |_, _| StandardNormal.sample(&mut rng));
    let mut w = g;
    for (i, &n) in norms.iter().enumerate() {
        let len = (0..d1).map(|r| w[(i, r)] * w[(i, r)]).sum::<f64>().sqrt();
        for r in 0..d1 {
            w[(i, r)] *= n / len;
        }
    }
    Network { w }
}

/// What measuring a control needs from the run.
pub struct Measure<'a> {
    /// The settings.
    pub settings: &'a Settings,
    /// The dictionary.
    pub dict: &'a Dictionary,
    /// The feature metrics' test samples.
    pub eval: &'a Batch,
    /// The loss-evaluation batches.
    pub batches: &'a EvalBatches,
    /// κ·s of the bias rule (b_i = bias_scale·‖w_i‖).
    pub bias_scale: f64,
}

impl Measure<'_> {
    /// The biases the rule gives `net`.
    pub fn biases(&self, net: &Network) -> Vec<f64> {
        let norms = net.row_norms();
        let mut b = vec![0.0; norms.len()];
        Network::biases_from_norms(&norms, self.bias_scale, 1.0, &mut b);
        b
    }

    /// `net` measured as a trained network is, with the probes given.
    pub fn view(&self, net: &Network, probes: (f64, f64)) -> ControlView {
        let bias = self.biases(net);
        ControlView {
            features: metrics::measure(net, &bias, self.dict, self.eval, &self.settings.metrics),
            loss: self.batches.loss(net, &bias, self.settings.train.tau),
            probe_regression: probes.0,
            probe_classification: probes.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    #[test]
    fn the_oracle_is_the_atoms_and_the_random_network_keeps_the_norms() {
        let dict = Dictionary::gaussian_qr(40, 8, &mut stream(1, Purpose::Dictionary));
        let oracle = oracle_network(&dict, 32, 2.0);
        // k = 4 copies of each atom at 2/√4 = 1: the similarities of the 8 atoms at scale 2.
        for (i, n) in oracle.row_norms().iter().enumerate() {
            assert!((n - 1.0).abs() < 1e-12, "{i}: {n}");
        }
        let text =
            "name = \"t\"\nseed = 3\n[model]\nd = 8\nd1 = 40\n[network]\nm = 16\n[augmentation]\nkind = \"random_mask\"\n[train]\nsteps = 5\nbatch = 16\nlr = 1.0\nweight_decay = 1e-4\ntau = 0.1\n";
        let s = crate::config::Config::from_toml_str(text, std::path::Path::new("x.toml"))
            .unwrap()
            .check()
            .unwrap();
        let norms: Vec<f64> = (0..6).map(|i| 0.5 + i as f64).collect();
        let r = random_network(&s, &norms);
        for (a, b) in r.row_norms().iter().zip(&norms) {
            assert!((a - b).abs() < 1e-12);
        }
        assert_eq!(r, random_network(&s, &norms), "seeded");
    }
}
