//! One writer per output folder: `<dir>/.lock` names the process that holds it.
//!
//! A sweep (or a merge) takes the lock of its folder before it reads or writes anything
//! there and drops it when done; a second process on the same folder gets
//! [`Error::Locked`], which names the holder's pid, host and start time. The lock file is
//! created whole (written to a temporary name, then hard-linked to `.lock`, which fails
//! if it exists), so it is never seen half-written.
//!
//! A process killed with `kill -9` (or pre-empted by a scheduler) leaves its lock behind.
//! On the same host such a lock is *stale* when its pid no longer runs, or runs a process
//! started at another time (the pid was reused): it is removed and the new process takes
//! the lock, reporting the holder it replaced ([`DirLock::replaced`]). A lock left by
//! another host cannot be checked from here: delete the file by hand once that process is
//! known to be gone.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the lock file inside the folder.
pub const LOCK_FILE: &str = ".lock";

/// Who holds a lock: what `.lock` holds (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LockHolder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// When the lock was taken (seconds since the Unix epoch).
    pub since: u64,
    /// The process's start time in clock ticks after boot (`/proc/<pid>/stat`, field 22),
    /// to tell a reused pid from the holder; 0 if unknown.
    pub start_ticks: u64,
}

/// A held lock; dropping it removes the lock file (if it is still ours).
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
    me: LockHolder,
    /// The stale holder whose lock was removed to take this one, if any.
    pub replaced: Option<LockHolder>,
}

/// This machine's host name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Start time of process `pid` (field 22 of `/proc/<pid>/stat`); `None` if no such process
/// (or no `/proc`).
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn me() -> LockHolder {
    let pid = std::process::id();
    LockHolder {
        pid,
        host: host_name(),
        since: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        start_ticks: start_ticks(pid).unwrap_or(0),
    }
}

/// Is the holder certainly gone? Only answerable on this host with `/proc`.
fn is_stale(h: &LockHolder, host: &str) -> bool {
    if h.host != host || !Path::new("/proc/self/stat").exists() {
        return false;
    }
    match start_ticks(h.pid) {
        None => true,
        Some(t) => h.start_ticks != 0 && t != h.start_ticks,
    }
}

fn read_holder(path: &Path) -> Option<LockHolder> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Take the lock of `dir` (created if needed), removing a stale one left by a dead process
/// of this host.
pub fn lock_dir(dir: &Path) -> Result<DirLock> {
    let wrap = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(wrap(dir))?;
    let path = dir.join(LOCK_FILE);
    let me = me();
    let tmp = dir.join(format!("{LOCK_FILE}.{}.tmp", me.pid));
    std::fs::write(&tmp, serde_json::to_vec(&me)?).map_err(wrap(&tmp))?;
    let mut replaced = None;
    let result = loop {
        match std::fs::hard_link(&tmp, &path) {
            Ok(()) => break Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => break Err(wrap(&path)(e)),
        }
        let Some(holder) = read_holder(&path) else {
            // Removed meanwhile (retry), or not a lock of ours: refuse to guess.
            if path.exists() {
                break Err(Error::Sweep(format!(
                    "{} exists but is not a lock file of this program; delete it if no process uses {}",
                    path.display(),
                    dir.display()
                )));
            }
            continue;
        };
        if replaced.is_none() && is_stale(&holder, &me.host) && read_holder(&path).as_ref() == Some(&holder) {
            std::fs::remove_file(&path)
                .or_else(ignore_not_found)
                .map_err(wrap(&path))?;
            replaced = Some(holder);
            continue;
        }
        break Err(Error::Locked {
            dir: dir.to_path_buf(),
            lock: path.clone(),
            pid: holder.pid,
            host: holder.host,
            since: holder.since,
        });
    };
    let _ = std::fs::remove_file(&tmp);
    result.map(|()| DirLock { path, me, replaced })
}

fn ignore_not_found(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

impl DirLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if read_holder(&self.path).as_ref() == Some(&self.me) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_holder_and_drop_releases() {
        let tmp = tempfile::tempdir().unwrap();
        let a = lock_dir(tmp.path()).unwrap();
        assert!(a.replaced.is_none());
        let err = lock_dir(tmp.path()).unwrap_err().to_string();
        assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
        assert!(err.contains(&host_name()), "{err}");
        drop(a);
        assert!(!tmp.path().join(LOCK_FILE).exists());
        let b = lock_dir(tmp.path()).unwrap();
        drop(b);
    }

    #[test]
    fn stale_lock_of_a_dead_process_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        // A pid that does not run: the kernel's pid_max is at most 2^22.
        let dead = LockHolder {
            pid: 4_194_304 + 17,
            host: host_name(),
            since: 1,
            start_ticks: 5,
        };
        std::fs::write(tmp.path().join(LOCK_FILE), serde_json::to_vec(&dead).unwrap()).unwrap();
        let l = lock_dir(tmp.path()).unwrap();
        assert_eq!(l.replaced.as_ref(), Some(&dead));
        // A live pid with another start time is a reused pid: stale too.
        drop(l);
        let reused = LockHolder {
            pid: std::process::id(),
            start_ticks: start_ticks(std::process::id()).unwrap() + 1,
            ..dead.clone()
        };
        std::fs::write(tmp.path().join(LOCK_FILE), serde_json::to_vec(&reused).unwrap()).unwrap();
        assert_eq!(lock_dir(tmp.path()).unwrap().replaced, Some(reused));
        // Another host's lock is never taken over.
        let remote = LockHolder {
            host: "elsewhere".into(),
            ..dead
        };
        std::fs::write(tmp.path().join(LOCK_FILE), serde_json::to_vec(&remote).unwrap()).unwrap();
        let err = lock_dir(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("elsewhere") && err.contains(".lock"), "{err}");
    }
}
