//! spec §11.9 Reproducing the paper with the refimpl: every claim of Tables 1–2, the
//! null-process totals and split, the Fig. 7 sweeps with a least-squares fit, the process
//! structure cost, Fig. 8, Fig. 9 and Fig. 10. Each row compares a simulated value with the
//! paper's (read from `data/paper.toml`, which the simulation itself never reads) and says
//! whether the accuracy target holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kernel::ipc::{primitive, Primitive};
use crate::run::{run, Migration};
use crate::sim::{ms, Time, NS_PER_US};
use crate::timing::{Costs, Kind, Profile};
use crate::workload::{creation, workload, Mode, Shapes, Synthetic, Workload};
use crate::world::{Call, Config, Phase, ReqStatus, World};

pub const PAPER: &str = include_str!("../data/paper.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    pub claim: String,
    pub paper: Option<f64>,
    pub role: String,
    pub target: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Claims {
    claims: Vec<Claim>,
}

pub fn claims() -> Vec<Claim> {
    let c: Claims = toml::from_str(PAPER).expect("data/paper.toml parses");
    c.claims
}

/// One row of the reproduction table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub claim: String,
    pub paper: Option<f64>,
    pub simulated: f64,
    pub rel_error: Option<f64>,
    pub role: String,
    pub target: String,
    pub ok: bool,
    /// Why a prediction misses, or how a direction row was judged.
    pub note: String,
}

/// A least-squares fit y = a + b·s + c·f (Fig. 7).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Fit {
    pub intercept: f64,
    pub per_page: f64,
    pub per_file: f64,
}

/// Data behind the figures (for plots).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Figures {
    /// Fig. 7: (f, process ms, task ms) at s = 0, and (s, process ms, task ms) at f = 0.
    pub fig7_files: Vec<(f64, f64, f64)>,
    pub fig7_pages: Vec<(f64, f64, f64)>,
    pub fit_process: Option<Fit>,
    pub fit_task: Option<Fit>,
    /// Fig. 8: (pages touched after migration, unmigrated ms, process ms, task ms), execution
    /// time less migration time.
    pub fig8: Vec<(f64, f64, f64, f64)>,
    /// Fig. 9 and 10: (workload, unmigrated ms, process ms, task ms).
    pub apps: Vec<(String, f64, f64, f64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub profile: String,
    pub rows: Vec<Row>,
    pub figures: Figures,
    /// `fig10-make-task` for other job counts than the assumed one (`make_sizes`).
    pub make_sizes: Vec<MakeSize>,
    pub events: u64,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.rows.iter().all(|r| r.ok)
    }
}

/// Solves the 3×3 normal equations of y = a + b·x1 + c·x2.
pub fn least_squares(points: &[(f64, f64, f64)]) -> Option<Fit> {
    let mut m = [[0.0f64; 4]; 3];
    for &(x1, x2, y) in points {
        let v = [1.0, x1, x2];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += v[i] * v[j];
            }
            m[i][3] += v[i] * y;
        }
    }
    for col in 0..3 {
        let piv = (col..3).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, piv);
        for r in 0..3 {
            if r != col {
                let f = m[r][col] / m[col][col];
                let pivot_row = m[col];
                for (x, p) in m[r].iter_mut().zip(pivot_row.iter()).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some(Fit {
        intercept: m[0][3] / m[0][0],
        per_page: m[1][3] / m[1][1],
        per_file: m[2][3] / m[2][2],
    })
}

/// The reproduction context.
pub struct Paper {
    pub costs: Costs,
    pub shapes: Shapes,
    pub seed: u64,
    pub events: u64,
    /// The switches of every run (the defaults; the sensitivity notes turn one off).
    pub cfg: Config,
}

impl Paper {
    pub fn new(costs: Costs, shapes: Shapes, seed: u64) -> Paper {
        Paper {
            costs,
            shapes,
            seed,
            events: 0,
            cfg: Self::cfg(),
        }
    }

    /// The switches `osfmig paper` runs with: the defaults, invariant checks off.
    pub fn cfg() -> Config {
        Config {
            check_invariants: false,
            ..Config::default()
        }
    }

    /// One migration of the synthetic process: its record's total and phases.
    pub fn synthetic(
        &mut self,
        syn: Synthetic,
        mode: Mode,
    ) -> Result<crate::stats::MigRecord, String> {
        let w = workload("synthetic", syn, &self.shapes)?;
        let o = run(
            &w,
            Some(Migration {
                at: w.migrate_at,
                dst: w.dst,
                mode,
            }),
            self.cfg.clone(),
            &self.costs,
            self.seed,
        )?;
        self.events += o.events;
        o.migrations
            .into_iter()
            .next()
            .filter(|m| m.total().is_some())
            .ok_or_else(|| "synthetic migration did not complete".to_string())
    }

    pub fn mig_ms(&mut self, syn: Synthetic, mode: Mode) -> Result<f64, String> {
        Ok(ms(self.synthetic(syn, mode)?.total().unwrap_or(0)))
    }

    /// Table 1: time from the fork until the parent's wait() returns.
    pub fn creation_ms(&mut self, parent: usize, child: Option<usize>) -> Result<f64, String> {
        let w = creation(parent, child);
        let mut world = World::new(self.cfg.clone(), self.costs.clone(), self.seed);
        world.load(&w);
        world.run_until(crate::run::LIMIT);
        self.events += world.q.processed;
        let wait = world
            .reqs
            .iter()
            .find(|r| r.call == Call::Wait && matches!(r.status, ReqStatus::Completed(_)))
            .ok_or("creation: wait() never returned")?;
        let fork = world
            .reqs
            .iter()
            .find(|r| matches!(r.call, Call::Fork { .. }))
            .ok_or("creation: no fork")?;
        Ok(ms(wait.done - fork.issued))
    }

    /// How many times `w`'s root process forks program `prog` after its migration is
    /// requested, migrated by `mode` (make: the compilations that run after the migration).
    pub fn forks_after_migration(
        &mut self,
        w: &Workload,
        mode: Mode,
        prog: usize,
    ) -> Result<usize, String> {
        let mut world = World::new(self.cfg.clone(), self.costs.clone(), self.seed);
        let pid = world.load(w);
        world.schedule_migration(w.migrate_at, pid, w.dst, mode);
        world.run_until(crate::run::LIMIT);
        self.events += world.q.processed;
        Ok(world
            .reqs
            .iter()
            .filter(|r| {
                r.target == pid
                    && r.issued >= w.migrate_at
                    && matches!(r.call, Call::Fork { prog: p, .. } if p == prog)
            })
            .count())
    }

    /// `Paper::new` with the switches of `cfg`.
    pub fn with_cfg(costs: Costs, shapes: Shapes, seed: u64, cfg: Config) -> Paper {
        Paper {
            cfg,
            ..Paper::new(costs, shapes, seed)
        }
    }

    /// Execution time of `w` in ms, unmigrated (`None`) or migrated as the paper's
    /// experiment does it by `mode`.
    pub fn exec_ms(&mut self, w: &Workload, mode: Option<Mode>) -> Result<f64, String> {
        let mig = mode.map(|mode| Migration {
            at: w.migrate_at,
            dst: w.dst,
            mode,
        });
        let o = run(w, mig, self.cfg.clone(), &self.costs, self.seed)?;
        self.events += o.events;
        Ok(ms(o.exec_time))
    }

    /// Execution time of a workload: unmigrated, and migrated by each mechanism.
    pub fn app(&mut self, w: &Workload) -> Result<(f64, f64, f64), String> {
        Ok((
            self.exec_ms(w, None)?,
            self.exec_ms(w, Some(Mode::Process))?,
            self.exec_ms(w, Some(Mode::Task))?,
        ))
    }

    /// `degradation` with the switches of `cfg` for this one experiment (the sensitivity of
    /// a row to one assumption).
    pub fn degradation_with(
        &mut self,
        name: &str,
        cfg: Config,
    ) -> Result<(f64, f64, f64, f64, f64), String> {
        let saved = std::mem::replace(&mut self.cfg, cfg);
        let r = self.degradation(name);
        self.cfg = saved;
        r
    }

    pub fn degradation(&mut self, name: &str) -> Result<(f64, f64, f64, f64, f64), String> {
        let w = workload(name, Synthetic::default(), &self.shapes)?;
        let (b, p, t) = self.app(&w)?;
        Ok((b, p, t, 100.0 * (p - b) / b, 100.0 * (t - b) / b))
    }
}

fn target_ok(target: &str, paper: Option<f64>, sim: f64) -> (Option<f64>, bool) {
    let Some(p) = paper else {
        return (None, true);
    };
    let rel = if p != 0.0 {
        (sim - p).abs() / p.abs()
    } else {
        sim.abs()
    };
    let ok = match target {
        "rel2" => rel <= 0.02,
        "rel5" => rel <= 0.05,
        "rel10" => rel <= 0.10,
        "rel25" => rel <= 0.25,
        "abs001" => (sim - p).abs() <= 0.01,
        _ => true,
    };
    (Some(rel), ok)
}

/// Runs every experiment and builds the table.
pub fn reproduce(costs: &Costs, shapes: &Shapes, seed: u64) -> Result<Report, String> {
    reproduce_with(costs, shapes, seed, Paper::cfg())
}

/// `reproduce` with the switches of `cfg` (spec §11.10's processor assumptions among them).
pub fn reproduce_with(
    costs: &Costs,
    shapes: &Shapes,
    seed: u64,
    cfg: Config,
) -> Result<Report, String> {
    let mut px = Paper::with_cfg(costs.clone(), shapes.clone(), seed, cfg);
    let mut sim: BTreeMap<&str, (f64, String)> = BTreeMap::new();
    let mut put = |id: &'static str, v: f64, note: String| {
        sim.insert(id, (v, note));
    };
    let mut figs = Figures::default();

    // Table 1.
    put("t1-master", px.creation_ms(0, None)?, String::new());
    put("t1-nonmaster", px.creation_ms(1, None)?, String::new());
    let pairs = [(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0)];
    let mut remote = 0.0;
    let mut per_pair = Vec::new();
    for (a, b) in pairs {
        let v = px.creation_ms(a, Some(b))?;
        per_pair.push(format!("{a}->{b} {v:.0}"));
        remote += v;
    }
    // The child inherits the parent's regions (exec then deallocates them); across nodes
    // each is an XMM mapping set up by a memory_object_init / memory_object_ready pair
    // between the two kernels (pma/calls.rs `fork`, docs/reproducing-the-paper.md).
    let null_regions = crate::workload::Program::null("null", Vec::new()).regions;
    let remote_avg = remote / pairs.len() as f64;
    put(
        "t1-remote",
        remote_avg,
        format!(
            "average over the 6 ordered node pairs ({}); includes the XMM set-up of the {null_regions} inherited regions across nodes",
            per_pair.join(", ")
        ),
    );

    // Table 2, as the refimpl prices the primitives.
    let us = |t: Time| t as f64 / NS_PER_US as f64;
    put(
        "t2-kcall",
        us(primitive(costs, Primitive::KernelCall)),
        String::new(),
    );
    put(
        "t2-async-local",
        us(primitive(costs, Primitive::Async { remote: false })),
        String::new(),
    );
    put(
        "t2-async-remote",
        us(primitive(costs, Primitive::Async { remote: true })),
        String::new(),
    );
    put(
        "t2-rpc-local",
        us(primitive(costs, Primitive::Rpc { remote: false })),
        String::new(),
    );
    put(
        "t2-rpc-remote",
        us(primitive(costs, Primitive::Rpc { remote: true })),
        String::new(),
    );
    put(
        "t2-cap-local",
        us(primitive(costs, Primitive::ExtraCap { remote: false })),
        String::new(),
    );
    put(
        "t2-cap-remote",
        us(primitive(costs, Primitive::ExtraCap { remote: true })),
        String::new(),
    );
    put(
        "t2-inline-local",
        ms(primitive(costs, Primitive::Inline1k { remote: false })),
        String::new(),
    );
    put(
        "t2-inline-remote",
        ms(primitive(costs, Primitive::Inline1k { remote: true })),
        String::new(),
    );
    put(
        "t2-page-local",
        ms(primitive(costs, Primitive::Page { remote: false })),
        String::new(),
    );
    put(
        "t2-page-remote",
        ms(primitive(costs, Primitive::Page { remote: true })),
        String::new(),
    );

    // The null process.
    let null = Synthetic::default();
    let p0 = px.mig_ms(null, Mode::Process)?;
    let t_rec = px.synthetic(null, Mode::Task)?;
    let t0 = ms(t_rec.total().unwrap_or(0));
    put("null-process", p0, String::new());
    put("null-task", t0, String::new());
    let th = ms(t_rec.phase(Phase::Threads));
    let caps = ms(t_rec.phase(Phase::Caps));
    put("split-threads", th, String::new());
    put("split-caps", caps, String::new());
    put(
        "split-as",
        t0 - th - caps,
        "the rest of the task migration time".into(),
    );
    put("struct-ms", p0 - t0, String::new());
    put("struct-pct", 100.0 * (p0 - t0) / p0, String::new());
    put(
        "abstract-17",
        100.0 * (p0 - t0) / t0,
        "(process - task) / task at f = 0".into(),
    );

    // Fig. 7 sweeps and the least-squares fits.
    let mut pts_p = Vec::new();
    let mut pts_t = Vec::new();
    for f in 0..=20u32 {
        let syn = Synthetic { files: f, ..null };
        let (p, t) = (px.mig_ms(syn, Mode::Process)?, px.mig_ms(syn, Mode::Task)?);
        figs.fig7_files.push((f as f64, p, t));
        pts_p.push((0.0, f as f64, p));
        pts_t.push((0.0, f as f64, t));
    }
    for s in (0..=4096u32).step_by(512) {
        let syn = Synthetic { pages: s, ..null };
        let (p, t) = (px.mig_ms(syn, Mode::Process)?, px.mig_ms(syn, Mode::Task)?);
        figs.fig7_pages.push((s as f64, p, t));
        if s > 0 {
            pts_p.push((s as f64, 0.0, p));
            pts_t.push((s as f64, 0.0, t));
        }
    }
    let fp = least_squares(&pts_p).ok_or("Fig. 7: singular fit")?;
    let ft = least_squares(&pts_t).ok_or("Fig. 7: singular fit")?;
    figs.fit_process = Some(fp);
    figs.fit_task = Some(ft);
    put("fig7-process-intercept", fp.intercept, String::new());
    put("fig7-task-intercept", ft.intercept, String::new());
    put("fig7-process-file", fp.per_file, String::new());
    put("fig7-task-file", ft.per_file, String::new());
    put("fig7-process-page", fp.per_page, String::new());
    put("fig7-task-page", ft.per_page, String::new());

    // Fig. 8: execution time less migration time vs pages touched after migration.
    let mut slope_pts = (Vec::new(), Vec::new());
    for k in [0u32, 128, 256, 512, 768, 1024] {
        let syn = Synthetic {
            pages: 1024,
            touch_after: k,
            ..null
        };
        let w = workload("synthetic", syn, shapes)?;
        let base = run(&w, None, px.cfg.clone(), costs, seed)?;
        let mut row = vec![ms(base.exec_time)];
        for mode in [Mode::Process, Mode::Task] {
            let o = run(
                &w,
                Some(Migration {
                    at: w.migrate_at,
                    dst: w.dst,
                    mode,
                }),
                px.cfg.clone(),
                costs,
                seed,
            )?;
            px.events += o.events;
            let m = o.migrations.first().and_then(|r| r.total()).unwrap_or(0);
            row.push(ms(o.exec_time) - ms(m));
        }
        figs.fig8.push((k as f64, row[0], row[1], row[2]));
        slope_pts.0.push((k as f64, 0.0, row[1]));
        slope_pts.1.push((k as f64, 0.0, row[0]));
    }
    let slope = |pts: &[(f64, f64, f64)]| {
        let n = pts.len() as f64;
        let (mx, my) = (
            pts.iter().map(|p| p.0).sum::<f64>() / n,
            pts.iter().map(|p| p.2).sum::<f64>() / n,
        );
        pts.iter().map(|p| (p.0 - mx) * (p.2 - my)).sum::<f64>()
            / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>()
    };
    let (sm, su) = (slope(&slope_pts.0), slope(&slope_pts.1));
    put(
        "fig8-cor",
        sm,
        format!("migrated {sm:.2} ms/page vs unmigrated {su:.2} ms/page: each touched page is a COR fault served by the source's pager"),
    );

    // Fig. 9 and Fig. 10.
    let (b, p, t, dp, dt) = px.degradation("gcc")?;
    figs.apps.push(("gcc".into(), b, p, t));
    put(
        "fig9-gcc-process",
        dp,
        format!("unmigrated {b:.0} ms, process {p:.0} ms"),
    );
    // The two assumptions of spec §11.10 this row rests on, each turned off in turn.
    let no_sharing = Config {
        cpu_contention: false,
        ..px.cfg.clone()
    };
    let at_d = Config {
        sms_both_ends: false,
        ..px.cfg.clone()
    };
    let (b0, _, t0, _, dt_alone) = px.degradation_with("gcc", no_sharing.clone())?;
    let alone = t0 - b0;
    let (_, _, _, _, dt_at_d) = px.degradation_with("gcc", at_d)?;
    put(
        "fig9-gcc-task",
        dt,
        format!(
            "unmigrated {b:.0} ms, task {t:.0} ms: the task penalty ({:.0} ms) is the residual dependency ({alone:.0} ms: as and ld created from S's PMA, their calls back to S) and S's processor time the task migration took from cc1 ({:.0} ms; R4 delays only process migration, so the task migration overlaps cc1's run while the driver waits); process penalty {:.0} ms. Without processor sharing {dt_alone:.1} %, with the pull's processing all at D {dt_at_d:.1} % (spec §11.10)",
            t - b,
            (t - b) - alone,
            p - b,
        ),
    );
    for name in ["gcc-cc1", "gcc-as"] {
        let (b, p, t, _, _) = px.degradation(name)?;
        figs.apps.push((name.into(), b, p, t));
    }
    let (b, p, t, dp, dt) = px.degradation("make")?;
    figs.apps.push(("make".into(), b, p, t));
    put(
        "fig10-make-process",
        dp,
        format!("unmigrated {b:.0} ms, process {p:.0} ms"),
    );
    let jobs = shapes
        .workloads
        .get("make")
        .and_then(|m| m.get("jobs"))
        .map(|j| j.value)
        .unwrap_or(1.0)
        .max(1.0);
    let mut sweep: Vec<u32> = MAKE_SWEEP.to_vec();
    sweep.push(jobs as u32);
    sweep.sort_unstable();
    sweep.dedup();
    let make_sizes = px.make_sizes(&sweep)?;
    // Among the counts the 3 % calibration can be kept at, the largest task degradation
    // and the first count in the target band, 25 % of the paper's value (what a chosen job
    // count could give).
    let paper_make_task = paper_value("fig10-make-task")?;
    let fitted: Vec<&MakeSize> = make_sizes.iter().filter(|m| m.fitted).collect();
    let best = fitted
        .iter()
        .max_by(|a, b| a.task_pct.total_cmp(&b.task_pct))
        .map(|m| format!("{:.1} % ({} jobs)", m.task_pct, m.jobs))
        .unwrap_or_else(|| "none".into());
    let band = fitted
        .iter()
        .find(|m| m.task_pct >= 0.75 * paper_make_task)
        .map(|m| format!("from {} jobs", m.jobs))
        .unwrap_or_else(|| "at no job count simulated".into());
    let most = fitted.iter().map(|m| m.jobs).max().unwrap_or(0);
    // "A Make process for huge compilations": a cc1 computing at least as long as Fig. 9's
    // single gcc's (itself calibrated) bounds what a plausible job count gives.
    let gcc_cc1 = cc1_ms(shapes, "gcc")?;
    let huge = fitted
        .iter()
        .filter(|m| m.cc1_compute_ms >= gcc_cc1)
        .max_by(|a, b| a.task_pct.total_cmp(&b.task_pct))
        .map(|m| format!("{:.1} % ({} jobs)", m.task_pct, m.jobs))
        .unwrap_or_else(|| "none".into());
    // The compilation running when make is migrated stays on S with its processes; only
    // the later ones pay the residual dependency (the gcc driver is make's program 1).
    let make_w = workload("make", Synthetic::default(), shapes)?;
    let after = px.forks_after_migration(&make_w, Mode::Task, 1)?.max(1) as f64;
    // Without processor sharing the task penalty is the residual dependency alone; the rest
    // is the processor the pull took from the compilation running on S (spec §11.10).
    let (b0, _, t0, _, _) = px.degradation_with("make", no_sharing)?;
    let per_job = (t0 - b0) / after;
    let overlap = (t - b) - (t0 - b0);
    put(
        "fig10-make-task",
        dt,
        format!(
            "unmigrated {b:.0} ms, task {t:.0} ms: {per_job:.0} ms of residual dependency per compilation started after the migration (5 processes created from S's PMA on D, their calls back to S) x {after:.0} such compilations ({jobs:.0} in all, assumed; the paper gives no count), and {overlap:.0} ms of S's processor the pull took from the compilation running there. Simulated with other job counts, cc1 re-fitted to the 3 % each time (table below): the 3 % can be kept up to {most} jobs (beyond, a cc1 computing nothing still degrades less), the task degradation is at most {best}, and within 25 % of 50 % {band}; with compilations whose cc1 computes at least as long as Fig. 9's gcc's ({gcc_cc1:.0} ms; the paper's make is 'for huge compilations') it is at most {huge}. So the gap is the process-management traffic per compilation: docs/reproducing-the-paper.md shows `--set W.cpp_calls=350` (cpp's calls, which no number of Fig. 9 constrains) for gcc, make and small-make closing it, not adopted",
        ),
    );
    put(
        "fig10-make-direction",
        dt - dp,
        format!("process {dp:.1} % < task {dt:.1} %"),
    );
    put(
        "abstract-50",
        dt - dp,
        format!(
            "task minus process degradation of make: fig10-make-task less the calibrated 3 %, so it stands or falls with that row; read literally (run time saved over task migration's run time) the paper's own 50 % and 3 % give {:.0} %, here {:.0} %",
            100.0 * (1.50 - 1.03) / 1.50,
            100.0 * (t - p) / t
        ),
    );
    let (b, p, t, dp, dt) = px.degradation("troff")?;
    figs.apps.push(("troff".into(), b, p, t));
    put(
        "fig10-troff",
        (dt - dp).abs(),
        format!("process {dp:.1} %, task {dt:.1} %"),
    );
    let (b, p, t, dp, dt) = px.degradation("small-make")?;
    figs.apps.push(("small-make".into(), b, p, t));
    put(
        "fig10-locality-process",
        dp,
        format!("unmigrated {b:.0} ms, process {p:.0} ms"),
    );
    put(
        "fig10-locality-task",
        dt,
        format!("task {dt:.1} % vs process {dp:.1} %"),
    );

    let mut rows = Vec::new();
    for c in claims() {
        let (v, note) = sim
            .get(c.id.as_str())
            .cloned()
            .ok_or_else(|| format!("no simulated value for claim {}", c.id))?;
        let (rel, mut ok) = target_ok(&c.target, c.paper, v);
        if c.target == "dir" {
            ok = match c.id.as_str() {
                "fig8-cor" => sm > su + 1.0,
                "fig10-make-direction" => v > 0.0,
                "fig10-troff" => v < 3.0,
                "fig10-locality-process" => v < 0.0,
                "fig10-locality-task" => {
                    let dp = sim["fig10-locality-process"].0;
                    v > 0.0 && v > dp
                }
                _ => false,
            };
        }
        if c.id == "fig10-make-task" || c.id == "abstract-50" {
            ok = ok && sim["fig10-make-direction"].0 > 0.0;
        }
        rows.push(Row {
            id: c.id,
            claim: c.claim,
            paper: c.paper,
            simulated: v,
            rel_error: rel,
            role: c.role,
            target: c.target,
            ok,
            note,
        });
    }
    Ok(Report {
        profile: costs.name.clone(),
        rows,
        figures: figs,
        make_sizes,
        events: px.events,
    })
}

/// spec §11.2 Calibration: with every calibrated parameter at zero, measure what the counted
/// messages alone cost, then solve for each calibrated parameter so that its paper total is
/// reproduced. Returns the parameter values in µs, by profile key.
pub fn calibrate(profile: &Profile, shapes: &Shapes) -> Result<BTreeMap<String, f64>, String> {
    let mut zero = profile.clone();
    for p in zero.params.values_mut() {
        if p.kind == Kind::Calibrated {
            p.value = 0.0;
        }
    }
    let paper: BTreeMap<String, f64> = claims()
        .into_iter()
        .filter_map(|c| Some((c.id, c.paper?)))
        .collect();
    let c0 = Costs::from_profile(&zero)?;
    let mut px = Paper::new(c0, shapes.clone(), 1);
    let null = Synthetic::default();
    let t = px.synthetic(null, Mode::Task)?;
    let p = px.synthetic(null, Mode::Process)?;
    let f10 = Synthetic { files: 10, ..null };
    let t10 = px.synthetic(f10, Mode::Task)?;
    let p10 = px.synthetic(f10, Mode::Process)?;
    let tot = |r: &crate::stats::MigRecord| ms(r.total().unwrap_or(0)) * 1000.0; // µs
    let ph = |r: &crate::stats::MigRecord, x| ms(r.phase(x)) * 1000.0;
    let w0 = workload("synthetic", null, shapes)?.programs[0].clone();
    let (threads, rights, ports, regions, pages) = (
        w0.threads as f64,
        w0.send_rights as f64,
        w0.ports as f64,
        w0.regions as f64,
        w0.resident_pages as f64,
    );
    let g = |k: &str| paper[k] * 1000.0;
    let mut out = BTreeMap::new();
    let thread = (g("split-threads") - ph(&t, Phase::Threads)) / threads;
    let task_file = (tot(&t10) - tot(&t)) / 10.0;
    let right = (g("fig7-task-file") - task_file) / 2.0;
    let port = (g("split-caps") - ph(&t, Phase::Caps) - rights * right) / ports;
    let cor = g("fig7-task-page");
    let rest = tot(&t) - ph(&t, Phase::Threads) - ph(&t, Phase::Caps);
    let region = (g("split-as") - rest - pages * cor) / regions;
    let calibrated_task =
        threads * thread + rights * right + ports * port + regions * region + pages * cor;
    let install = g("null-process") - tot(&p) - calibrated_task;
    let proc_file = (tot(&p10) - tot(&p)) / 10.0;
    let token = g("fig7-process-file") - g("fig7-task-file") - (proc_file - task_file);
    let creation = g("t1-master") - px.creation_ms(0, None)? * 1000.0;
    out.insert("thread_migrate".into(), thread);
    out.insert("send_right_migrate".into(), right);
    out.insert("port_migrate".into(), port);
    out.insert("region_migrate".into(), region);
    out.insert("cor_page".into(), cor);
    out.insert("proc_install".into(), install);
    out.insert("token_reattach".into(), token);
    out.insert("creation_cpu".into(), creation);
    Ok(out)
}

/// The upper end of `Paper::refit_cc1`'s range: two minutes of compute per compilation.
pub const CC1_COMPUTE_MAX_MS: f64 = 120_000.0;

/// What `Paper::refit_cc1` found.
#[derive(Clone, Debug)]
pub enum Refit {
    Fitted(Shapes),
    /// No compute time gives the goal: the shapes at the closest end of the range, and the
    /// degradation they give.
    Unreachable(Shapes, f64),
}

/// The calibrated workload sizes (spec §11.6): each workload's cc1 compute time and the
/// paper claim, a process-migration degradation, it is fitted to.
pub const CALIBRATED_SIZES: [(&str, &str); 2] =
    [("gcc", "fig9-gcc-process"), ("make", "fig10-make-process")];

/// The paper's value of claim `id`.
pub fn paper_value(id: &str) -> Result<f64, String> {
    claims()
        .into_iter()
        .find(|c| c.id == id)
        .and_then(|c| c.paper)
        .ok_or_else(|| format!("data/paper.toml: no value for {id}"))
}

/// `w`'s calibrated cc1 compute time in `shapes`.
fn cc1_ms(shapes: &Shapes, w: &str) -> Result<f64, String> {
    shapes
        .workloads
        .get(w)
        .and_then(|m| m.get("cc1_compute_ms"))
        .map(|p| p.value)
        .ok_or_else(|| format!("workloads: missing {w}.cc1_compute_ms"))
}

/// The job counts `osfmig paper` simulates make with besides the assumed one.
pub const MAKE_SWEEP: [u32; 8] = [1, 2, 4, 6, 7, 8, 12, 32];

/// One make size of the job-count sweep (`Paper::make_sizes`).
#[derive(Clone, Debug, Serialize)]
pub struct MakeSize {
    pub jobs: u32,
    /// Whether cc1's compute time could be fitted to the 3 % process row; if not, it is the
    /// end of the range closest to it and `process_pct` shows how far off that is.
    pub fitted: bool,
    pub cc1_compute_ms: f64,
    pub unmigrated_ms: f64,
    pub process_pct: f64,
    pub task_pct: f64,
}

impl Paper {
    /// spec §11.6 Re-fits `w`'s calibrated cc1 compute time in `shapes` by bisection so that
    /// process migration degrades `w` by `goal` %. Returns the shapes with the fitted value,
    /// or `Unreachable` with the closest end of the range (0 ms or `CC1_COMPUTE_MAX_MS`) when
    /// no compute time gives `goal`. A calibrated size stays a calibration when an assumed
    /// size around it changes (`refit_workloads`, `make_with_jobs`).
    pub fn refit_cc1(&mut self, shapes: &Shapes, w: &str, goal: f64) -> Result<Refit, String> {
        cc1_ms(shapes, w)?;
        let mut degradation = |compute: f64| -> Result<(Shapes, f64), String> {
            let mut s = shapes.clone();
            if let Some(p) = s
                .workloads
                .get_mut(w)
                .and_then(|m| m.get_mut("cc1_compute_ms"))
            {
                p.value = compute;
            }
            let wl = workload(w, Synthetic::default(), &s)?;
            let b = self.exec_ms(&wl, None)?;
            let p = self.exec_ms(&wl, Some(Mode::Process))?;
            Ok((s, 100.0 * (p - b) / b))
        };
        // The degradation falls as cc1 computes longer (the one migration's cost is spread
        // over a longer run), so a fit exists only when the two ends straddle the goal.
        let (mut lo, mut hi) = (0.0f64, CC1_COMPUTE_MAX_MS);
        let (s_lo, d_lo) = degradation(lo)?;
        if d_lo < goal {
            return Ok(Refit::Unreachable(s_lo, d_lo));
        }
        let (s_hi, d_hi) = degradation(hi)?;
        if d_hi > goal {
            return Ok(Refit::Unreachable(s_hi, d_hi));
        }
        for _ in 0..32 {
            let mid = (lo + hi) / 2.0;
            if degradation(mid)?.1 > goal {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        // Whole milliseconds, as the data file records it.
        Ok(Refit::Fitted(degradation(((lo + hi) / 2.0).round())?.0))
    }

    /// spec §11.6 Re-fits the calibrated size of every workload in `changed` (whose assumed
    /// parameters were overridden in `self.shapes`), so that a calibration stays one.
    /// Returns a line per re-fit; an error when no compute time reproduces the figure.
    pub fn refit_workloads(
        &mut self,
        changed: &std::collections::BTreeSet<String>,
    ) -> Result<Vec<String>, String> {
        let mut notes = Vec::new();
        for (w, id) in CALIBRATED_SIZES {
            if !changed.contains(w) {
                continue;
            }
            let goal = paper_value(id)?;
            let before = cc1_ms(&self.shapes, w)?;
            let shapes = self.shapes.clone();
            match self.refit_cc1(&shapes, w, goal)? {
                Refit::Fitted(s) => self.shapes = s,
                Refit::Unreachable(s, d) => {
                    return Err(format!(
                        "no {w}.cc1_compute_ms keeps {id} at {goal} % (the closest, {:.0} ms, gives {d:.2} %)",
                        cc1_ms(&s, w)?
                    ))
                }
            }
            notes.push(format!(
                "{w}.cc1_compute_ms re-fitted to {id} = {goal} %: {before:.0} -> {:.0} ms",
                cc1_ms(&self.shapes, w)?
            ));
        }
        Ok(notes)
    }

    /// spec §11.6 make with `jobs` compilations instead of the assumed 6 (the paper gives
    /// no count): the job count set in `self.shapes` and cc1's compute time re-fitted so
    /// that process migration still degrades make 3 % (Fig. 10), or the closest it can come.
    pub fn make_with_jobs(&mut self, jobs: u32) -> Result<Refit, String> {
        let mut s = self.shapes.clone();
        s.set("make", "jobs", jobs as f64)?;
        self.refit_cc1(&s, "make", paper_value("fig10-make-process")?)
    }

    /// spec §11.9 How `fig10-make-task` depends on make's job count, which the paper does
    /// not give: each count simulated with cc1's time re-fitted to the 3 % process row.
    pub fn make_sizes(&mut self, jobs: &[u32]) -> Result<Vec<MakeSize>, String> {
        jobs.iter()
            .map(|&n| {
                let (s, fitted) = match self.make_with_jobs(n)? {
                    Refit::Fitted(s) => (s, true),
                    Refit::Unreachable(s, _) => (s, false),
                };
                let (b, p, t) = self.app(&workload("make", Synthetic::default(), &s)?)?;
                Ok(MakeSize {
                    jobs: n,
                    fitted,
                    cc1_compute_ms: cc1_ms(&s, "make")?,
                    unmigrated_ms: b,
                    process_pct: 100.0 * (p - b) / b,
                    task_pct: 100.0 * (t - b) / b,
                })
            })
            .collect()
    }
}
