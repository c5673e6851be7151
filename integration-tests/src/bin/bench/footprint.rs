//! Resident memory and CPU time of a process, read from /proc.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use procfs::process::Process;

/// A process being watched.
#[derive(Debug, Clone, Copy)]
pub struct Watched {
    pub pid: i32,
}

impl Watched {
    pub fn new(pid: u32) -> Self {
        Self {
            pid: i32::try_from(pid).expect("a pid fits in i32"),
        }
    }

    /// Resident memory now, in MiB.
    pub fn rss_mib(self) -> f64 {
        let process = Process::new(self.pid).expect("the process is alive");
        let status = process.status().expect("its /proc status");
        status.vmrss.unwrap_or(0) as f64 / 1024.0
    }

    /// User + system CPU time used so far, in seconds.
    pub fn cpu_seconds(self) -> f64 {
        let process = Process::new(self.pid).expect("the process is alive");
        let stat = process.stat().expect("its /proc stat");
        (stat.utime + stat.stime) as f64 / procfs::ticks_per_second() as f64
    }

    /// Samples resident memory every `every` until the sampler is stopped; keeps the peak.
    pub fn sample_peak(self, every: Duration) -> PeakSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let task = {
            let (stop, peak_kib) = (stop.clone(), peak_kib.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let kib = (self.rss_mib() * 1024.0) as u64;
                    peak_kib.fetch_max(kib, Ordering::Relaxed);
                    tokio::time::sleep(every).await;
                }
            })
        };
        PeakSampler {
            stop,
            peak_kib,
            task,
        }
    }
}

/// A running sample of a process's resident memory.
pub struct PeakSampler {
    stop: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl PeakSampler {
    /// Stops sampling; the peak seen, in MiB.
    pub async fn finish(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0
    }
}
