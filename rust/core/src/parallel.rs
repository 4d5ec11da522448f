//! Parallel work that keeps working after `fork()`.
//!
//! rayon's global pool does not survive a fork: the child inherits the pool's bookkeeping but
//! not its threads, so the child's first parallel call waits for ever (rayon-rs/rayon#708;
//! rayon does not support fork). Python forks a lot: `multiprocessing` with the "fork" start
//! method, gunicorn `--preload`, Celery's prefork workers. [`install`] therefore runs work of
//! the process that loaded the library on the global pool as before (small inputs stay on the
//! calling thread), and work of a forked child on a pool the child builds for itself on first
//! use. Processes are told apart by id, read on every call (a system call, tens of
//! nanoseconds); no lock is taken, so a fork while another thread is here leaves nothing held.
//!
//! A pool built by an earlier process is leaked in its descendants, never dropped: its threads
//! do not exist there, and dropping it would wait for them.

use crate::CoreError;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

/// The process that first used the library (0 before that): its work uses rayon's global pool.
static LOADER: AtomicU32 = AtomicU32::new(0);
/// The pool of the most recent forked process to need one (null before any did).
static OWN: AtomicPtr<OwnPool> = AtomicPtr::new(std::ptr::null_mut());

struct OwnPool {
    pid: u32,
    pool: ThreadPool,
}

/// Records this process as the one whose work runs on rayon's global pool, unless one was
/// recorded already (call it when the library is loaded, before any fork).
pub fn note_loader() {
    let _ = LOADER.compare_exchange(0, std::process::id(), Ordering::SeqCst, Ordering::SeqCst);
}

/// Runs `op`, and every parallel iterator inside it, on a pool whose threads exist in this
/// process. Fails only when a forked child cannot start the threads of its own pool.
pub fn install<R: Send>(op: impl FnOnce() -> R + Send) -> Result<R, CoreError> {
    note_loader();
    let pid = std::process::id();
    if LOADER.load(Ordering::SeqCst) == pid {
        return Ok(op());
    }
    Ok(own_pool(pid)?.install(op))
}

/// This forked process's pool, built on first use.
fn own_pool(pid: u32) -> Result<&'static ThreadPool, CoreError> {
    loop {
        let current = OWN.load(Ordering::Acquire);
        // SAFETY: a non-null `OWN` was made by `Box::into_raw` below and is never freed, so it
        // points to a live `OwnPool` for the rest of the process.
        if let Some(found) = unsafe { current.as_ref() }
            && found.pid == pid
        {
            return Ok(&found.pool);
        }
        let pool = ThreadPoolBuilder::new()
            .thread_name(|i| format!("facegate-{i}"))
            .build()
            .map_err(|e| CoreError::Threads {
                message: e.to_string(),
            })?;
        let fresh = Box::into_raw(Box::new(OwnPool { pid, pool }));
        if OWN
            .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Another thread of this process installed its pool first: use that one. Ours was
            // never shared and its threads are alive, so dropping it is an ordinary join.
            // SAFETY: `fresh` came from `Box::into_raw` just above and was never published.
            drop(unsafe { Box::from_raw(fresh) });
        }
        // Loop: the next load finds this process's pool (ours or the other thread's). The
        // pool it replaced belonged to an earlier process and stays leaked.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn work_runs_and_returns_its_result() {
        let sum = install(|| (0..10_000u64).into_par_iter().sum::<u64>()).unwrap();
        assert_eq!(sum, 10_000 * 9_999 / 2);
    }

    #[test]
    fn a_process_other_than_the_loader_gets_a_pool_of_its_own() {
        note_loader();
        // As a forked child sees it: another process id than the loader's.
        let pool = own_pool(std::process::id().wrapping_add(1)).unwrap();
        let again = own_pool(std::process::id().wrapping_add(1)).unwrap();
        assert!(
            std::ptr::eq(pool, again),
            "one pool per process, built once"
        );
        let inside = pool.install(|| {
            (0..64)
                .into_par_iter()
                .map(|_| rayon::current_thread_index())
                .collect::<Vec<_>>()
        });
        assert!(
            inside.iter().all(Option::is_some),
            "the work ran on the pool's threads"
        );
    }

    #[test]
    fn a_forked_child_finishes_parallel_work_after_the_parent_used_the_global_pool() {
        note_loader();
        let parallel_sum = || {
            install(|| (0..1_000_000u64).into_par_iter().sum::<u64>()).unwrap() == 499_999_500_000
        };
        // The parent's global pool is running, as in a process that searched before forking.
        assert!(parallel_sum());
        // SAFETY: the child only runs Rust code that allocates (glibc's malloc is fork-safe)
        // and leaves with `_exit`, never returning into the test harness.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork failed");
        if child == 0 {
            let ok = parallel_sum();
            // SAFETY: `_exit` ends the child at once, running no parent-owned destructors.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut status = 0;
        loop {
            // SAFETY: `status` is a valid out-pointer; `child` is our own child.
            let done = unsafe { libc::waitpid(child, &mut status, libc::WNOHANG) };
            if done == child {
                break;
            }
            if std::time::Instant::now() > deadline {
                // SAFETY: killing and reaping our own child.
                unsafe {
                    libc::kill(child, libc::SIGKILL);
                    libc::waitpid(child, &mut status, 0);
                }
                panic!("the forked child hung in parallel work");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{status}"
        );
    }
}
