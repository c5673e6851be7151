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

/// CPU time used so far by each part of the system, and by the whole machine.
#[derive(Debug, Clone)]
pub struct CpuSnapshot {
    parts: Vec<(&'static str, Cpu)>,
    machine_busy: f64,
    at: std::time::Instant,
}

/// CPU seconds of a part: one watched process, or every process of a server by pid.
#[derive(Debug, Clone)]
enum Cpu {
    One(f64),
    /// Per pid, its own time plus its reaped children's: a server's processes come and go
    /// (Postgres backends), and one that exits moves its time to its parent's children time
    /// once reaped, so a window never sees CPU given back (a summed total fell when a backend
    /// exited). A process that lived across the start of a window and exits within it counts
    /// its time from before the window too; the loads measured here run on long-lived
    /// connections.
    All(std::collections::HashMap<i32, f64>),
}

impl Cpu {
    /// Seconds used since `before`; a process not seen before counts whole.
    fn since(&self, before: &Self) -> f64 {
        match (self, before) {
            (Self::One(after), Self::One(before)) => after - before,
            (Self::All(after), Self::All(before)) => after
                .iter()
                .map(|(pid, seconds)| (seconds - before.get(pid).copied().unwrap_or(0.0)).max(0.0))
                .sum(),
            _ => 0.0,
        }
    }
}

/// CPU seconds of every process whose name is `comm` (a server's many processes), by pid.
fn cpu_of_all(comm: &str) -> Cpu {
    let ticks = procfs::ticks_per_second() as f64;
    let by_pid = procfs::process::all_processes()
        .map(|all| {
            all.filter_map(Result::ok)
                .filter_map(|process| process.stat().ok())
                .filter(|stat| stat.comm == comm)
                .map(|stat| {
                    let own = stat.utime + stat.stime;
                    let children = u64::try_from(stat.cutime + stat.cstime).unwrap_or(0);
                    (stat.pid, (own + children) as f64 / ticks)
                })
                .collect()
        })
        .unwrap_or_default();
    Cpu::All(by_pid)
}

impl CpuSnapshot {
    /// Reads the CPU time of both services, Postgres, RabbitMQ and this load generator.
    pub fn take(line_provider: Watched, bet_maker: Watched) -> Self {
        use procfs::CurrentSI;
        let machine_busy = procfs::KernelStats::current()
            .map(|stats| {
                let t = stats.total;
                let busy = t.user
                    + t.nice
                    + t.system
                    + t.irq.unwrap_or(0)
                    + t.softirq.unwrap_or(0)
                    + t.steal.unwrap_or(0);
                busy as f64 / procfs::ticks_per_second() as f64
            })
            .unwrap_or(0.0);
        let own = Watched::new(std::process::id());
        Self {
            parts: vec![
                ("line-provider", Cpu::One(line_provider.cpu_seconds())),
                ("bet-maker", Cpu::One(bet_maker.cpu_seconds())),
                ("Postgres", cpu_of_all("postgres")),
                ("RabbitMQ", cpu_of_all("beam.smp")),
                ("load generator", Cpu::One(own.cpu_seconds())),
            ],
            machine_busy,
            at: std::time::Instant::now(),
        }
    }

    /// CPU milliseconds per `unit` of work done since `before`, by part, and how busy the
    /// machine's cores were meanwhile.
    pub fn since(&self, before: &Self, units: f64) -> CpuSplit {
        let seconds = self.at.duration_since(before.at).as_secs_f64();
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        CpuSplit {
            ms_per_unit: self
                .parts
                .iter()
                .zip(&before.parts)
                .map(|((name, after), (_, before))| (*name, after.since(before) * 1000.0 / units))
                .collect(),
            machine_busy_percent: (self.machine_busy - before.machine_busy) * 100.0
                / (seconds * cores),
        }
    }
}

/// Where the CPU went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CpuSplit {
    pub ms_per_unit: Vec<(&'static str, f64)>,
    pub machine_busy_percent: f64,
}

impl CpuSplit {
    /// The mean of several splits of the same parts: for loads of the same size, the CPU per
    /// unit of all of them together; how busy the cores were is the plain mean of the loads'
    /// percentages (loads of about the same length).
    pub fn mean<'a>(splits: impl Iterator<Item = &'a CpuSplit>) -> CpuSplit {
        let splits: Vec<&CpuSplit> = splits.collect();
        let count = splits.len().max(1) as f64;
        let ms_per_unit = splits.first().map_or_else(Vec::new, |first| {
            first
                .ms_per_unit
                .iter()
                .map(|(name, _)| {
                    let sum: f64 = splits.iter().map(|split| split.part(name)).sum();
                    (*name, sum / count)
                })
                .collect()
        });
        let busy: f64 = splits.iter().map(|split| split.machine_busy_percent).sum();
        CpuSplit {
            ms_per_unit,
            machine_busy_percent: busy / count,
        }
    }

    /// The milliseconds of the part named `name`.
    pub fn part(&self, name: &str) -> f64 {
        self.ms_per_unit
            .iter()
            .find(|(part, _)| *part == name)
            .map_or(0.0, |(_, ms)| *ms)
    }

    pub fn total(&self) -> f64 {
        self.ms_per_unit.iter().map(|(_, ms)| ms).sum()
    }

    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .ms_per_unit
            .iter()
            .map(|(name, ms)| format!("{name} {}", crate::report::number(*ms)))
            .collect();
        format!(
            "{}; cores {:.0} % busy",
            parts.join(", "),
            self.machine_busy_percent
        )
    }
}
