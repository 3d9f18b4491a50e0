//! The waiting line and the workers that empty it.
//!
//! A worker is a loop on a thread of tokio's blocking pool: it runs the job
//! it was started with, then takes the next one from the line itself, and
//! only gives its thread back when the line is empty. A queued job therefore
//! starts the moment a worker is free, on that worker's thread, without a
//! trip through the async scheduler. (A job waiting as an async task on a
//! semaphore needs the scheduler to run it before it can start; when the
//! scheduler is flooded, by thousands of connections being refused, say,
//! the workers sit idle. The loopback benchmark in BENCHMARKS.md measured
//! exactly that collapse.)

use std::collections::VecDeque;
use std::sync::Arc;

use super::Inner;
use super::job::{Job, Ticket};
use crate::error::Error;
use crate::sync::lock_std;

/// Jobs waiting for a worker, and how many workers there are.
#[derive(Default)]
pub(super) struct Line {
    waiting: VecDeque<Box<dyn Job>>,
    /// Workers alive: running a job or about to take the next.
    workers: usize,
    /// Set at shutdown: nothing more is accepted.
    closed: bool,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("waiting", &self.waiting.len())
            .field("workers", &self.workers)
            .field("closed", &self.closed)
            .finish()
    }
}

/// What became of a submitted job.
pub(super) enum Submitted {
    /// A new worker is running it.
    Started,
    /// It waits in the line.
    Queued,
    /// The pool is shut down; the job was dropped unrun.
    Closed,
}

impl Inner {
    /// Starts `job` on a new worker if one may be added, or queues it.
    /// Admission (the bound on the line) was checked by the caller.
    pub(super) fn submit(self: &Arc<Self>, job: Box<dyn Job>) -> Submitted {
        let mut line = lock_std(&self.line);
        if line.closed {
            return Submitted::Closed;
        }
        if line.workers < self.workers {
            line.workers += 1;
            drop(line);
            self.spawn_worker(job);
            Submitted::Started
        } else {
            line.waiting.push_back(job);
            Submitted::Queued
        }
    }

    /// Takes the job with `ticket` out of the line, if it is still there
    /// (its caller gave up on it).
    pub(super) fn withdraw(&self, ticket: &Arc<Ticket>) {
        let removed = {
            let mut line = lock_std(&self.line);
            line.waiting
                .iter()
                .position(|job| Arc::ptr_eq(job.ticket(), ticket))
                .and_then(|at| line.waiting.remove(at))
        };
        // Dropped outside the lock: dropping gives its place back.
        drop(removed);
    }

    /// Closes the line and refuses everything waiting in it.
    pub(super) fn close(&self) {
        let waiting = {
            let mut line = lock_std(&self.line);
            line.closed = true;
            std::mem::take(&mut line.waiting)
        };
        refuse_all(waiting);
    }

    fn spawn_worker(self: &Arc<Self>, first: Box<dyn Job>) {
        let worker = Worker {
            inner: self.clone(),
            finished: false,
        };
        // If the runtime is shutting down the closure is dropped unrun, and
        // `Worker`'s drop accounts for it.
        let _detached = self
            .reactor
            .handle()
            .spawn_blocking(move || worker.work(first));
    }
}

/// A worker's claim on one of the pool's worker places.
struct Worker {
    inner: Arc<Inner>,
    /// Set when the worker gave its place back itself.
    finished: bool,
}

impl Worker {
    fn work(mut self, first: Box<dyn Job>) {
        let inner = self.inner.clone();
        let mut job = first;
        loop {
            job.run(&inner);
            job = loop {
                let mut line = lock_std(&inner.line);
                let Some(next) = line.waiting.pop_front() else {
                    // Deciding to stop and giving up the place happen under
                    // one lock, so a job queued meanwhile is seen by the
                    // submitter as needing a new worker.
                    line.workers -= 1;
                    self.finished = true;
                    return;
                };
                drop(line);
                // A job whose caller gave up is dropped (its place given
                // back) and the next one taken.
                if next.ticket().start() {
                    break next;
                }
            };
        }
    }
}

impl Drop for Worker {
    /// Unless the worker finished normally (it never ran because a runtime
    /// shutting down dropped its closure, or something unwound through it):
    /// give the place back, and if no worker is left to empty the line,
    /// refuse what waits in it.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let stranded = {
            let mut line = lock_std(&self.inner.line);
            line.workers -= 1;
            if line.workers == 0 {
                std::mem::take(&mut line.waiting)
            } else {
                VecDeque::new()
            }
        };
        refuse_all(stranded);
    }
}

fn refuse_all(waiting: VecDeque<Box<dyn Job>>) {
    for job in waiting {
        if job.ticket().start() {
            job.refuse(Error::ReactorStopped);
        }
    }
}
