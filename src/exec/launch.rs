//! The one launcher: every simulation of the crate — the audit's, sweeps', the report's
//! ablations and peer runs, `decouple run`'s files × seeds — goes through [`Launcher::launch`].
//!
//! It takes a list of [`Job`]s and
//! 1. keeps the shard's slice of them (`--shard k/n`: the jobs whose index i has
//!    i mod n = k − 1);
//! 2. locks every folder that records go to (`DIR/.lock`, [`crate::io::lock`]) for the
//!    launch, so two processes never write one folder;
//! 3. resumes every job whose record is on disk and sound (a corrupt one is reported and
//!    the job run again), and runs a job that appears twice in one folder once;
//! 4. runs the rest on `jobs` threads, longest first by the cost model (so both cores stay
//!    busy to the end), each single-threaded, a panic caught per job and reported with its
//!    label and seed while the others run on and are saved;
//! 5. returns the outcomes in the jobs' order — the same whatever `jobs`, the order, or
//!    how many were resumed — with the simulations' core-seconds and the wall time.
//!
//! Progress goes to the observer ([`ProgressEvent`]); nothing here prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::exec::job::{Job, Keep, Outcome, Work};
use crate::exec::pool;
use crate::exec::progress::{silent, Progress, ProgressEvent};
use crate::exec::record::{self, Found, FullRecord};
use crate::exec::shard::Shard;
use crate::io::lock::{lock_dir, DirLock};
use crate::sim::train::executor::{self, Silent};
use crate::sim::train::peer;

/// Runs jobs: how many side by side, which shard, who hears of progress.
#[derive(Clone, Copy)]
pub struct Launcher<'a> {
    jobs: usize,
    shard: Option<Shard>,
    observer: Progress<'a>,
    held: &'a [PathBuf],
}

/// What [`Launcher::launch`] gave.
#[derive(Debug)]
pub struct Launched {
    /// Per job, in the jobs' order: its outcome (`None` for a job outside the shard).
    pub outcomes: Vec<Option<Outcome>>,
    /// Per job: whether it was simulated now (false: resumed, outside the shard, or a twin).
    pub fresh: Vec<bool>,
    /// Jobs simulated now.
    pub ran: usize,
    /// Jobs resumed from their records.
    pub resumed: usize,
    /// Records found corrupt (reported, then the job run again).
    pub corrupt: usize,
    /// Seconds the simulations run now took, summed over jobs (core-seconds).
    pub core_seconds: f64,
    /// Wall seconds of the launch.
    pub wall_seconds: f64,
}

impl Launched {
    /// core-seconds / (wall × jobs): how busy the cores were while simulating.
    pub fn utilisation(&self, jobs: usize) -> f64 {
        self.core_seconds / (self.wall_seconds * jobs.max(1) as f64).max(f64::MIN_POSITIVE)
    }

    /// The outcomes of every job (an error if the shard left some out).
    pub fn all(self) -> Result<Vec<Outcome>> {
        self.outcomes
            .into_iter()
            .map(|o| o.ok_or_else(|| Error::Sweep("a job outside the shard has no outcome".into())))
            .collect()
    }
}

impl<'a> Launcher<'a> {
    /// `jobs` simulations side by side (at least 1), no shard, no observer.
    pub fn new(jobs: usize) -> Self {
        Launcher {
            jobs: jobs.max(1),
            shard: None,
            observer: &silent,
            held: &[],
        }
    }

    /// Run only this slice of the jobs.
    pub fn shard(mut self, shard: Option<Shard>) -> Self {
        self.shard = shard;
        self
    }

    /// Tell `observer` of progress.
    pub fn observe(mut self, observer: Progress<'a>) -> Self {
        self.observer = observer;
        self
    }

    /// Folders whose lock the caller holds already (a sweep locks its folder before it
    /// writes `sweep.json`): not locked again.
    pub fn holding(mut self, held: &'a [PathBuf]) -> Self {
        self.held = held;
        self
    }

    /// The number of simulations side by side.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// Run (or resume) `jobs`; see the module's documentation. A failed job is reported to
    /// the observer while the others finish; the first failure is then returned.
    pub fn launch(&self, jobs: &[Job]) -> Result<Launched> {
        self.launch_with(jobs, &run_job)
    }

    /// [`Self::launch`] with another way of running one job (tests inject faults).
    pub fn launch_with(&self, jobs: &[Job], run: Runner<'_>) -> Result<Launched> {
        let start = Instant::now();
        let selected: Vec<usize> = (0..jobs.len())
            .filter(|&k| self.shard.is_none_or(|s| s.selects(k)))
            .collect();
        // Held to the end of the launch; a caller that writes tables from the records
        // afterwards locks its folder itself and says so with [`Self::holding`].
        let _locks = lock_all(jobs, &selected, self.held)?;
        let (mut outcomes, pending, twins, resumed, corrupt) = self.resume_all(jobs, &selected);
        // Longest first; ties in the jobs' order.
        let mut pending = pending;
        pending.sort_by(|&a, &b| jobs[b].cost().total_cmp(&jobs[a].cost()).then(a.cmp(&b)));
        let total = pending.len();
        (self.observer)(ProgressEvent::Launching {
            pending: total,
            resumed,
        });
        let results = pool::map(
            &pending,
            self.jobs,
            |&k| self.run_one(&jobs[k], run),
            |done| (self.observer)(ProgressEvent::Advanced { done, total }),
        );
        let mut first_error = None;
        let mut core_seconds = 0.0;
        for (&k, r) in pending.iter().zip(results) {
            match r {
                Ok(o) => {
                    core_seconds += o.wall_seconds();
                    outcomes[k] = Some(o);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        for (k, f) in twins {
            outcomes[k] = outcomes[f].clone();
        }
        let mut fresh = vec![false; jobs.len()];
        for &k in &pending {
            fresh[k] = true;
        }
        Ok(Launched {
            outcomes,
            fresh,
            ran: total,
            resumed,
            corrupt,
            core_seconds,
            wall_seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// The outcomes of the selected jobs that have sound records; the jobs still to run; the
    /// twins (a job and the earlier one of the same folder and hash whose outcome it shares);
    /// how many were resumed and how many records were corrupt.
    #[allow(clippy::type_complexity)]
    fn resume_all(
        &self,
        jobs: &[Job],
        selected: &[usize],
    ) -> (Vec<Option<Outcome>>, Vec<usize>, Vec<(usize, usize)>, usize, usize) {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; jobs.len()];
        let (mut resumed, mut corrupt) = (0, 0);
        // The first job of each (folder, hash): later ones share its outcome.
        let mut first: BTreeMap<(PathBuf, String), usize> = BTreeMap::new();
        let mut twins = Vec::new();
        let mut pending = Vec::new();
        for &k in selected {
            let job = &jobs[k];
            if let Some(dir) = job.keep().dir() {
                match first.get(&(dir.to_path_buf(), job.hash.clone())) {
                    Some(&f) => {
                        twins.push((k, f));
                        continue;
                    }
                    None => first.insert((dir.to_path_buf(), job.hash.clone()), k),
                };
            }
            match self.resume(job) {
                Found::Record(o) => {
                    resumed += 1;
                    outcomes[k] = Some(o);
                }
                Found::Missing => pending.push(k),
                Found::Corrupt(_) => {
                    corrupt += 1;
                    pending.push(k);
                }
            }
        }
        (outcomes, pending, twins, resumed, corrupt)
    }

    /// The job's record, if it has a sound one (a corrupt one is reported).
    fn resume(&self, job: &Job) -> Found<Outcome> {
        let (found, path) = match job.keep() {
            Keep::Memory => return Found::Missing,
            Keep::Record(dir) => (
                match record::load_record(dir, &job.hash) {
                    Found::Record(r) => Found::Record(Outcome::Record(r)),
                    Found::Missing => Found::Missing,
                    Found::Corrupt(why) => Found::Corrupt(why),
                },
                record::record_path(dir, &job.hash),
            ),
            Keep::Full(dir) => (
                match FullRecord::load(dir, &job.hash, &job.settings) {
                    Found::Record(r) => Found::Record(Outcome::Run(Box::new(r))),
                    Found::Missing => Found::Missing,
                    Found::Corrupt(why) => Found::Corrupt(why),
                },
                record::full_path(dir, &job.hash),
            ),
        };
        if let Found::Corrupt(reason) = &found {
            (self.observer)(ProgressEvent::RecordCorrupt { path: &path, reason });
        }
        found
    }

    /// Run one job, its panic caught, and tell the observer how it ended.
    fn run_one(&self, job: &Job, run: Runner<'_>) -> Result<Outcome> {
        let r = pool::caught(|| job.label.clone(), job.seed(), || run(job));
        match &r {
            Ok(o) => (self.observer)(ProgressEvent::RunFinished {
                label: &job.label,
                seed: job.seed(),
                wall_seconds: o.wall_seconds(),
            }),
            Err(error) => (self.observer)(ProgressEvent::RunFailed {
                label: &job.label,
                seed: job.seed(),
                error,
            }),
        }
        r
    }
}

/// How one job is run and recorded ([`run_job`]; a test swaps in a faulty one).
pub type Runner<'a> = &'a (dyn Fn(&Job) -> Result<Outcome> + Sync);

/// Run one job and write what it keeps.
pub fn run_job(job: &Job) -> Result<Outcome> {
    match &job.work {
        Work::Peer(params) => Ok(Outcome::Peer(Box::new(peer::run(&job.settings, params)?))),
        Work::Train { keep } => {
            let out = executor::run(&job.settings, &mut Silent)?;
            match keep {
                Keep::Memory => Ok(Outcome::Run(Box::new(out))),
                Keep::Record(dir) => Ok(Outcome::Record(record::store_record(
                    dir,
                    &job.hash,
                    &out,
                    &job.sources,
                )?)),
                Keep::Full(dir) => {
                    FullRecord::store(dir, &job.hash, &out)?;
                    Ok(Outcome::Run(Box::new(out)))
                }
            }
        }
    }
}

/// Lock every folder the selected jobs keep records in, each once, in sorted order.
fn lock_all(jobs: &[Job], selected: &[usize], held: &[PathBuf]) -> Result<Vec<DirLock>> {
    let dirs: std::collections::BTreeSet<&Path> = selected
        .iter()
        .filter_map(|&k| jobs[k].keep().dir())
        .filter(|d| !held.iter().any(|h| h == d))
        .collect();
    dirs.into_iter().map(lock_dir).collect()
}
