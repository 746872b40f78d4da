//! `osfmig paper` (spec §11.9): reproduces the paper with the reference implementation and
//! prints every row with its error. Exit status 0 only when every accuracy target holds.

use std::fmt::Write as _;
use std::path::Path;

use osfmig_refimpl::paper::{reproduce_with, Report};
use osfmig_refimpl::timing::{Costs, Profile};
use serde_json::json;

use crate::cli::{overrides_text, Error, PaperArgs};
use crate::report::emit;

pub fn run(args: &PaperArgs) -> Result<u8, Error> {
    let profile = match &args.profile {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Error::Usage(format!("--profile {}: {e}", p.display())))?;
            Profile::parse(&text).map_err(Error::Usage)?
        }
        None => Profile::i386(),
    };
    let costs = Costs::from_profile(&profile).map_err(Error::Usage)?;
    let cfg = args.processor.apply(osfmig_refimpl::paper::Paper::cfg());
    let (shapes, overrides) = args.shapes.shapes(&costs, args.seed, &cfg)?;
    let report = reproduce_with(&costs, &shapes, args.seed, cfg).map_err(Error::Runtime)?;
    if let Some(dir) = &args.plots {
        write_plots(dir, &report)?;
    }
    if args.json {
        let rows: Vec<_> = report
            .rows
            .iter()
            .map(|r| {
                json!({"id": r.id, "claim": r.claim, "paper": r.paper, "simulated": r.simulated,
                       "rel_error": r.rel_error, "role": r.role, "target": r.target, "ok": r.ok,
                       "note": r.note})
            })
            .collect();
        let obj = json!({"profile": report.profile, "ok": report.ok(), "rows": rows,
                         "make_sizes": report.make_sizes, "overrides": overrides});
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&obj).unwrap_or_default()
        ));
    } else {
        emit(&table(&report, &overrides));
    }
    Ok(if report.ok() { 0 } else { 1 })
}

fn target_text(t: &str) -> &str {
    match t {
        "rel2" => "<=2%",
        "rel5" => "<=5%",
        "rel10" => "<=10%",
        "rel25" => "<=25%",
        "abs001" => "+-0.01",
        _ => "direction",
    }
}

pub fn table(r: &Report, overrides: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "osfmig paper: the reference implementation against the paper (profile {})\n",
        r.profile
    );
    // A table run with other assumptions must say so before any row.
    s.push_str(&overrides_text(overrides));
    let _ = writeln!(
        s,
        "{:<24} {:>9} {:>11} {:>8}  {:<10} {:<9} {:<4}  claim",
        "id", "paper", "simulated", "error", "role", "target", "ok"
    );
    for row in &r.rows {
        let _ = writeln!(
            s,
            "{:<24} {:>9} {:>11.3} {:>8}  {:<10} {:<9} {:<4}  {}",
            row.id,
            row.paper
                .map(|p| format!("{p}"))
                .unwrap_or_else(|| "-".into()),
            row.simulated,
            row.rel_error
                .map(|e| format!("{:.1}%", e * 100.0))
                .unwrap_or_else(|| "-".into()),
            row.role,
            target_text(&row.target),
            if row.ok { "ok" } else { "MISS" },
            row.claim
        );
        if !row.note.is_empty() {
            let _ = writeln!(s, "{:<24} {}", "", row.note);
        }
    }
    let misses: Vec<&str> = r
        .rows
        .iter()
        .filter(|x| !x.ok)
        .map(|x| x.id.as_str())
        .collect();
    let _ = writeln!(
        s,
        "\n{} rows, {} within target, {} missed{}",
        r.rows.len(),
        r.rows.len() - misses.len(),
        misses.len(),
        if misses.is_empty() {
            String::new()
        } else {
            format!(
                ": {} (see docs/reproducing-the-paper.md for why)",
                misses.join(", ")
            )
        }
    );
    if !r.make_sizes.is_empty() {
        let _ = writeln!(
            s,
            "\nfig10-make-task by make's job count (the paper gives none; cc1's compute time re-fitted to the 3 % process row at each count):"
        );
        let _ = writeln!(
            s,
            "{:>6} {:>12} {:>14} {:>9} {:>9}",
            "jobs", "cc1 ms", "unmigrated ms", "process", "task"
        );
        for m in &r.make_sizes {
            let _ = writeln!(
                s,
                "{:>6} {:>12.0} {:>14.0} {:>8.1}% {:>8.1}%{}",
                m.jobs,
                m.cc1_compute_ms,
                m.unmigrated_ms,
                m.process_pct,
                m.task_pct,
                if m.fitted {
                    ""
                } else {
                    "  (3 % not reachable: cc1 at the end of its range)"
                }
            );
        }
    }
    let _ = writeln!(s, "simulated events: {}", r.events);
    s
}

/// A named, coloured series of points; `true` draws it dashed (the paper's values).
type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>, bool);
/// One bar group: workload, simulated process and task degradation, the paper's (if any).
type Bars = Vec<(String, f64, f64, Option<f64>, Option<f64>)>;

/// A minimal SVG line chart: series of (x, y) points, each with a name and colour.
fn svg_lines(title: &str, xlabel: &str, ylabel: &str, series: &[Series]) -> String {
    let (w, h, m) = (640.0, 420.0, 60.0);
    let pts = series.iter().flat_map(|s| s.2.iter().copied());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0f64, f64::MIN);
    for (x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    y1 *= 1.1;
    let sx = |x: f64| m + (x - x0) / (x1 - x0) * (w - 2.0 * m);
    let sy = |y: f64| h - m - (y - y0) / (y1 - y0) * (h - 2.0 * m);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/><text x="{}" y="20" text-anchor="middle" font-size="14">{title}</text>"#,
        w / 2.0
    );
    let _ = write!(
        s,
        r#"<line x1="{m}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{m}" y1="{m}" x2="{m}" y2="{}" stroke="black"/>"#,
        h - m,
        w - m,
        h - m,
        h - m
    );
    for i in 0..=4 {
        let fx = x0 + (x1 - x0) * i as f64 / 4.0;
        let fy = y0 + (y1 - y0) * i as f64 / 4.0;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{fx:.0}</text><text x="{}" y="{:.1}" text-anchor="end">{fy:.0}</text>"#,
            sx(fx),
            h - m + 16.0,
            m - 4.0,
            sy(fy) + 4.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{xlabel}</text><text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">{ylabel}</text>"#,
        w / 2.0,
        h - 20.0,
        h / 2.0,
        h / 2.0
    );
    for (i, (name, colour, p, dashed)) in series.iter().enumerate() {
        let path: Vec<String> = p
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let dash = if *dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{}"/>"#,
            path.join(" ")
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" fill="{colour}">{name}</text>"#,
            m + 10.0,
            m + 14.0 * i as f64
        );
    }
    s.push_str("</svg>\n");
    s
}

fn write_plots(dir: &Path, r: &Report) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Runtime(format!("--plots {}: {e}", dir.display())))?;
    let f = &r.figures;
    let paper_p = |s: f64, files: f64| 1450.0 + 0.02 * s + 81.0 * files; // the paper's fits, for comparison only
    let paper_t = |s: f64, files: f64| 1240.0 + 0.02 * s + 36.0 * files;
    let files = svg_lines(
        "Fig. 7 (above): migration time vs open files",
        "open files f",
        "ms",
        &[
            (
                "process (simulated)",
                "#c00",
                f.fig7_files.iter().map(|p| (p.0, p.1)).collect(),
                false,
            ),
            (
                "task (simulated)",
                "#00c",
                f.fig7_files.iter().map(|p| (p.0, p.2)).collect(),
                false,
            ),
            (
                "process (paper fit)",
                "#c00",
                f.fig7_files
                    .iter()
                    .map(|p| (p.0, paper_p(0.0, p.0)))
                    .collect(),
                true,
            ),
            (
                "task (paper fit)",
                "#00c",
                f.fig7_files
                    .iter()
                    .map(|p| (p.0, paper_t(0.0, p.0)))
                    .collect(),
                true,
            ),
        ],
    );
    let pages = svg_lines(
        "Fig. 7 (below): migration time vs pages allocated",
        "pages s",
        "ms",
        &[
            (
                "process (simulated)",
                "#c00",
                f.fig7_pages.iter().map(|p| (p.0, p.1)).collect(),
                false,
            ),
            (
                "task (simulated)",
                "#00c",
                f.fig7_pages.iter().map(|p| (p.0, p.2)).collect(),
                false,
            ),
            (
                "process (paper fit)",
                "#c00",
                f.fig7_pages
                    .iter()
                    .map(|p| (p.0, paper_p(p.0, 0.0)))
                    .collect(),
                true,
            ),
            (
                "task (paper fit)",
                "#00c",
                f.fig7_pages
                    .iter()
                    .map(|p| (p.0, paper_t(p.0, 0.0)))
                    .collect(),
                true,
            ),
        ],
    );
    let fig8 = svg_lines(
        "Fig. 8: execution time less migration time vs pages touched after migration",
        "pages touched",
        "ms",
        &[
            (
                "unmigrated",
                "#080",
                f.fig8.iter().map(|p| (p.0, p.1)).collect(),
                false,
            ),
            (
                "process migration",
                "#c00",
                f.fig8.iter().map(|p| (p.0, p.2)).collect(),
                false,
            ),
            (
                "task migration",
                "#00c",
                f.fig8.iter().map(|p| (p.0, p.3)).collect(),
                true,
            ),
        ],
    );
    let deg = |ids: &[&str]| -> Bars {
        f.apps
            .iter()
            .filter(|a| ids.contains(&a.0.as_str()))
            .map(|a| {
                let paper = |id: &str| r.rows.iter().find(|x| x.id == id).and_then(|x| x.paper);
                let (pp, pt) = match a.0.as_str() {
                    "gcc" => (paper("fig9-gcc-process"), paper("fig9-gcc-task")),
                    "make" => (paper("fig10-make-process"), paper("fig10-make-task")),
                    _ => (None, None),
                };
                (
                    a.0.clone(),
                    100.0 * (a.2 - a.1) / a.1,
                    100.0 * (a.3 - a.1) / a.1,
                    pp,
                    pt,
                )
            })
            .collect()
    };
    let bars = |title: &str, d: Bars| {
        let (w, h, m) = (640.0, 420.0, 60.0);
        let ymax = d
            .iter()
            .flat_map(|x| [x.1, x.2, x.3.unwrap_or(0.0), x.4.unwrap_or(0.0)])
            .fold(5.0f64, f64::max)
            * 1.15;
        let ymin = d.iter().flat_map(|x| [x.1, x.2]).fold(0.0f64, f64::min) * 1.15;
        let sy = |y: f64| h - m - (y - ymin) / (ymax - ymin) * (h - 2.0 * m);
        let mut s = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/><text x="{}" y="20" text-anchor="middle" font-size="14">{title}</text><text x="{}" y="38" text-anchor="middle">degradation % (solid: simulated, outlined: paper) — red process, blue task</text>"#,
            w / 2.0,
            w / 2.0
        );
        let _ = write!(
            s,
            r#"<line x1="{m}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="black"/>"#,
            sy(0.0),
            w - m,
            sy(0.0)
        );
        let slot = (w - 2.0 * m) / d.len().max(1) as f64;
        for (i, (name, p, t, pp, pt)) in d.iter().enumerate() {
            let x = m + slot * i as f64 + 10.0;
            let bw = (slot - 20.0) / 4.0;
            let mut bar = |k: f64, v: f64, colour: &str, filled: bool| {
                let (y, hh) = if v >= 0.0 {
                    (sy(v), sy(0.0) - sy(v))
                } else {
                    (sy(0.0), sy(v) - sy(0.0))
                };
                let fill = if filled { colour } else { "none" };
                let _ = write!(
                    s,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{bw:.1}" height="{hh:.1}" fill="{fill}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{v:.0}</text>"#,
                    x + k * bw,
                    x + k * bw + bw / 2.0,
                    y - 3.0
                );
            };
            bar(0.0, *p, "#c00", true);
            if let Some(v) = pp {
                bar(1.0, *v, "#c00", false);
            }
            bar(2.0, *t, "#00c", true);
            if let Some(v) = pt {
                bar(3.0, *v, "#00c", false);
            }
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{name}</text>"#,
                x + 2.0 * bw,
                h - m + 16.0
            );
        }
        s.push_str("</svg>\n");
        s
    };
    let fig9 = bars(
        "Fig. 9: small applications",
        deg(&["gcc", "gcc-cc1", "gcc-as"]),
    );
    let fig10 = bars(
        "Fig. 10: make, text formatting, small make to the file server's node",
        deg(&["make", "troff", "small-make"]),
    );
    // fig10-make-task against make's job count, which the paper does not give: the
    // counts at which the 3 % calibration holds, those at which it cannot, and the paper's
    // figure across them.
    let sizes = &r.make_sizes;
    let paper_make = r
        .rows
        .iter()
        .find(|x| x.id == "fig10-make-task")
        .and_then(|x| x.paper);
    let make_jobs = svg_lines(
        "Fig. 10: make vs its job count (cc1 re-fitted to 3 % process)",
        "jobs",
        "%",
        &[
            (
                "task (simulated, 3 % kept)",
                "#00c",
                sizes
                    .iter()
                    .filter(|m| m.fitted)
                    .map(|m| (m.jobs as f64, m.task_pct))
                    .collect(),
                false,
            ),
            (
                "task (simulated, 3 % not reachable)",
                "#00c",
                sizes
                    .iter()
                    .filter(|m| !m.fitted)
                    .map(|m| (m.jobs as f64, m.task_pct))
                    .collect(),
                true,
            ),
            (
                "process (simulated)",
                "#c00",
                sizes
                    .iter()
                    .map(|m| (m.jobs as f64, m.process_pct))
                    .collect(),
                false,
            ),
            (
                "task (paper, nearly 50 %)",
                "#000",
                paper_make
                    .map(|v| sizes.iter().map(|m| (m.jobs as f64, v)).collect())
                    .unwrap_or_default(),
                true,
            ),
        ],
    );
    for (name, body) in [
        ("fig10-make-jobs.svg", make_jobs),
        ("fig7-files.svg", files),
        ("fig7-pages.svg", pages),
        ("fig8.svg", fig8),
        ("fig9.svg", fig9),
        ("fig10.svg", fig10),
    ] {
        std::fs::write(dir.join(name), body)
            .map_err(|e| Error::Runtime(format!("--plots: {e}")))?;
    }
    Ok(())
}
