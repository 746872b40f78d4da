//! Message sequence charts (spec §8.4), drawn as SVG and written as Mermaid. A chart knows
//! lanes, rows and arrows only, not the model: a model path ([`crate::narrate::chart`]), a
//! trace and a timed refimpl run each fill one in. Rows are steps in order, or instants of a
//! time axis; an arrow runs from the row that sends a message to the row that receives it,
//! so an overtaking shows as two arrows that cross. The migration phases (a)-(e) of the
//! paper's §3.2 are bracketed from the rule IDs, and a crash ends its node's lanes.

use std::fmt::Write;

/// One step of a chart.
#[derive(Clone, Debug)]
pub struct Row {
    /// The step number, or the instant on a time axis.
    pub label: String,
    /// The rule ID and name (`R6 DetachAndSend`).
    pub rule: String,
    /// The lane that takes the step (none for a step of the environment).
    pub lane: Option<usize>,
    pub summary: String,
    /// A crash: the node's name, and the lanes it ends.
    pub crash: Option<String>,
    pub ends: Vec<usize>,
    /// Milliseconds from the start, on a chart with a time axis.
    pub time_ms: Option<f64>,
}

impl Row {
    pub fn new(label: String, rule: &str, lane: Option<usize>, summary: &str) -> Row {
        Row {
            label,
            rule: rule.to_string(),
            lane,
            summary: summary.to_string(),
            crash: None,
            ends: Vec::new(),
            time_ms: None,
        }
    }
}

/// One message.
#[derive(Clone, Debug)]
pub struct Arrow {
    pub from: usize,
    pub from_row: usize,
    pub to: usize,
    /// The row that receives it; `None` while it is in flight when the chart ends, or lost.
    pub to_row: Option<usize>,
    /// The row whose step destroyed it (a crash).
    pub lost_at: Option<usize>,
    pub label: String,
    /// The receiving step's rule ID (empty until received).
    pub rule: String,
}

/// A chart: lanes by name with the key they sort by, rows and arrows.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    pub title: String,
    lanes: Vec<(String, u32)>,
    pub rows: Vec<Row>,
    pub arrows: Vec<Arrow>,
}

/// A bracket over rows `first..=last`: one migration phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bracket {
    pub first: usize,
    pub last: usize,
    pub phase: char,
}

/// The paper's §3.2 phase a rule belongs to (spec §3.2.1-§3.2.6), by its ID.
pub fn phase_of(rule: &str) -> Option<char> {
    match rule.split_whitespace().next().unwrap_or("") {
        "R1" | "R2" | "R3" | "R4" | "R4'" | "R5" => Some('a'),
        "R6" | "R7" | "R8" | "R10" => Some('b'),
        "R9" | "R11" | "R12" => Some('c'),
        "R13" => Some('d'),
        "R14" => Some('e'),
        _ => None,
    }
}

/// What each phase is called in the paper's §3.2.
pub fn phase_name(p: char) -> &'static str {
    match p {
        'a' => "(a) freezing",
        'b' => "(b) detach and initiate",
        'c' => "(c) install and attach",
        'd' => "(d) inform the PM Master, restart",
        'e' => "(e) forward and clean up",
        _ => "",
    }
}

impl Chart {
    pub fn new(title: &str) -> Chart {
        Chart {
            title: title.to_string(),
            ..Chart::default()
        }
    }

    /// The index of the lane called `name`, added with sort key `key` if new.
    pub fn lane(&mut self, name: &str, key: u32) -> usize {
        match self.lanes.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.lanes.push((name.to_string(), key));
                self.lanes.len() - 1
            }
        }
    }

    pub fn push_row(&mut self, row: Row) -> usize {
        self.rows.push(row);
        self.rows.len() - 1
    }

    pub fn push_arrow(&mut self, from: usize, from_row: usize, to: usize, label: &str) -> usize {
        self.arrows.push(Arrow {
            from,
            from_row,
            to,
            to_row: None,
            lost_at: None,
            label: label.to_string(),
            rule: String::new(),
        });
        self.arrows.len() - 1
    }

    /// The lanes in drawing order: by key, then by name.
    fn order(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.lanes.len()).collect();
        v.sort_by(|&a, &b| {
            (self.lanes[a].1, &self.lanes[a].0).cmp(&(self.lanes[b].1, &self.lanes[b].0))
        });
        v
    }

    /// The phases bracketed: a migration starts at R1 and moves forward through (a)-(e) as
    /// its rules fire; a rule of an earlier phase (an R2 enqueue while the task is pulled)
    /// stays inside the current bracket. R8 (reinstated after a refusal) and R10 (abandon)
    /// end the migration in (b); an R1 after (e) or after such an end starts the next one.
    pub fn brackets(&self) -> Vec<Bracket> {
        let mut out: Vec<Bracket> = Vec::new();
        let mut open: Option<Bracket> = None;
        let mut ended = true;
        for (k, r) in self.rows.iter().enumerate() {
            let Some(p) = phase_of(&r.rule) else {
                continue;
            };
            let id = r.rule.split_whitespace().next().unwrap_or("");
            match open.as_mut() {
                Some(b) if p > b.phase => {
                    out.push(b.clone());
                    open = Some(Bracket {
                        first: k,
                        last: k,
                        phase: p,
                    });
                }
                Some(b) if !(ended && id == "R1") => b.last = k,
                _ => {
                    if let Some(b) = open.take() {
                        out.push(b);
                    }
                    open = Some(Bracket {
                        first: k,
                        last: k,
                        phase: p,
                    });
                }
            }
            ended = matches!(id, "R8" | "R10" | "R14");
        }
        out.extend(open);
        out
    }

    /// The chart in Mermaid's `sequenceDiagram` syntax: a message is written where it is
    /// received (Mermaid draws messages level), a local step as a note over its lane, the
    /// phases as shaded `rect` blocks with their name.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("sequenceDiagram\n");
        let _ = writeln!(out, "    title {}", mermaid_text(&self.title));
        let order = self.order();
        for &i in &order {
            let _ = writeln!(
                out,
                "    participant L{i} as {}",
                mermaid_text(&self.lanes[i].0)
            );
        }
        let brackets = self.brackets();
        let first_lane = order.first().copied().unwrap_or(0);
        let last_lane = order.last().copied().unwrap_or(0);
        for (k, r) in self.rows.iter().enumerate() {
            if let Some(b) = brackets.iter().find(|b| b.first == k) {
                let _ = writeln!(out, "    rect rgba(120, 140, 255, 0.10)");
                let _ = writeln!(
                    out,
                    "    Note over L{first_lane},L{last_lane}: phase {}",
                    phase_name(b.phase)
                );
            }
            let at = match &r.time_ms {
                Some(t) => format!("{t:.1} ms "),
                None => format!("{}. ", r.label),
            };
            let received: Vec<&Arrow> =
                self.arrows.iter().filter(|a| a.to_row == Some(k)).collect();
            for a in &received {
                let _ = writeln!(
                    out,
                    "    L{}->>L{}: {at}{} {}",
                    a.from,
                    a.to,
                    mermaid_text(short_rule(&a.rule)),
                    mermaid_text(&a.label)
                );
            }
            for a in self.arrows.iter().filter(|a| a.lost_at == Some(k)) {
                let _ = writeln!(
                    out,
                    "    L{}-xL{}: {} lost",
                    a.from,
                    a.to,
                    mermaid_text(&a.label)
                );
            }
            if let Some(node) = &r.crash {
                let lanes: Vec<String> = r.ends.iter().map(|i| format!("L{i}")).collect();
                let _ = writeln!(
                    out,
                    "    Note over {}: {at}{} CRASH of {}",
                    lanes.join(","),
                    mermaid_text(&r.rule),
                    mermaid_text(node)
                );
            } else if received.is_empty() {
                if let Some(l) = r.lane {
                    let _ = writeln!(out, "    Note over L{l}: {at}{}", mermaid_text(&r.rule));
                }
            }
            if brackets.iter().any(|b| b.last == k) {
                let _ = writeln!(out, "    end");
            }
        }
        for a in self
            .arrows
            .iter()
            .filter(|a| a.to_row.is_none() && a.lost_at.is_none())
        {
            let _ = writeln!(
                out,
                "    L{}--)L{}: {} (in flight at the end)",
                a.from,
                a.to,
                mermaid_text(&a.label)
            );
        }
        out
    }

    /// The chart as a standalone SVG document: lanes left to right with their names on top,
    /// one row per step (or a time axis), the step's number and rule on the left, its summary
    /// on the right, phases bracketed in the left margin, crashes marked with a red cross.
    pub fn svg(&self) -> String {
        const LANE_W: f64 = 150.0;
        const ROW_H: f64 = 26.0;
        const TOP: f64 = 70.0;
        const LEFT: f64 = 200.0;
        let order = self.order();
        let x_of = |lane: usize| -> f64 {
            let pos = order.iter().position(|&l| l == lane).unwrap_or(0);
            LEFT + LANE_W * (pos as f64 + 0.5)
        };
        let timed = self.rows.iter().all(|r| r.time_ms.is_some()) && !self.rows.is_empty();
        let t_max = self
            .rows
            .iter()
            .filter_map(|r| r.time_ms)
            .fold(0.0f64, f64::max);
        let body_h = ROW_H * (self.rows.len() as f64 + 1.0);
        let y_of = |row: usize| -> f64 {
            match (timed, self.rows.get(row).and_then(|r| r.time_ms)) {
                (true, Some(t)) if t_max > 0.0 => TOP + ROW_H + (body_h - ROW_H) * t / t_max,
                _ => TOP + ROW_H * (row as f64 + 1.0),
            }
        };
        let end_y = TOP + body_h + ROW_H;
        let summary_x = LEFT + LANE_W * order.len() as f64 + 10.0;
        let summary_w = self
            .rows
            .iter()
            .map(|r| r.summary.chars().count())
            .max()
            .unwrap_or(0) as f64
            * 6.2;
        let width = summary_x + summary_w.max(300.0) + 10.0;
        let height = end_y + 20.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">"#
        );
        let _ = writeln!(
            s,
            r##"<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f3b73"/></marker></defs>"##
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="10" y="20" font-size="14" font-weight="bold">{}</text>"#,
            xml(&self.title)
        );
        // Phase brackets in the left margin, over bands of alternating tint; a bracket too
        // short for the phase's name carries its letter only.
        for (k, b) in self.brackets().iter().enumerate() {
            let (y0, y1) = (y_of(b.first) - ROW_H / 2.0, y_of(b.last) + ROW_H / 2.0);
            let tint = if k % 2 == 0 { "#eef0ff" } else { "#e4f4ea" };
            let _ = writeln!(
                s,
                r##"<rect x="4" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="{tint}" stroke="none"/>"##,
                width - 8.0,
                y1 - y0
            );
            let name = phase_name(b.phase);
            let label = if (y1 - y0) > 6.0 * name.len() as f64 {
                name.to_string()
            } else {
                format!("({})", b.phase)
            };
            let _ = writeln!(
                s,
                r##"<path d="M16,{y0:.1} h-8 v{:.1} h8" fill="none" stroke="#5060c0" stroke-width="1.5"/><text x="14" y="{:.1}" fill="#5060c0" font-size="10" transform="rotate(-90 14 {:.1})" text-anchor="middle">{}</text>"##,
                y1 - y0 - 2.0,
                (y0 + y1) / 2.0,
                (y0 + y1) / 2.0,
                xml(&label)
            );
        }
        // Lanes: a header and a lifeline, dashed after the crash that ends it.
        for (pos, &l) in order.iter().enumerate() {
            let x = LEFT + LANE_W * (pos as f64 + 0.5);
            let _ = writeln!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="22" rx="4" fill="#dde6f7" stroke="#1f3b73"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{}</text>"##,
                x - LANE_W / 2.0 + 8.0,
                TOP - 30.0,
                LANE_W - 16.0,
                TOP - 15.0,
                xml(&self.lanes[l].0)
            );
            let crash_row = self.rows.iter().position(|r| r.ends.contains(&l));
            let y_crash = crash_row.map(y_of).unwrap_or(end_y);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{y_crash:.1}" stroke="#1f3b73"/>"##,
                TOP - 8.0
            );
            if crash_row.is_some() {
                let _ = writeln!(
                    s,
                    r##"<line x1="{x:.1}" y1="{y_crash:.1}" x2="{x:.1}" y2="{end_y:.1}" stroke="#aaaaaa" stroke-dasharray="4 4"/>"##
                );
            }
        }
        // Rows: number and rule on the left, summary on the right, a box for a local step.
        for (k, r) in self.rows.iter().enumerate() {
            let y = y_of(k);
            let at = match r.time_ms {
                Some(t) => format!("{t:.1} ms"),
                None => format!("{}.", r.label),
            };
            let _ = writeln!(
                s,
                r##"<text x="24" y="{:.1}">{}</text><text x="80" y="{:.1}" fill="#333333">{}</text><text x="{summary_x:.1}" y="{:.1}" fill="#444444">{}</text>"##,
                y + 4.0,
                xml(&at),
                y + 4.0,
                xml(&r.rule),
                y + 4.0,
                xml(&r.summary)
            );
            let receives = self.arrows.iter().any(|a| a.to_row == Some(k));
            if let Some(node) = &r.crash {
                for &l in &r.ends {
                    let x = x_of(l);
                    let _ = writeln!(
                        s,
                        r##"<path d="M{:.1},{:.1} l16,16 m0,-16 l-16,16" stroke="#c0392b" stroke-width="3"/>"##,
                        x - 8.0,
                        y - 8.0
                    );
                }
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" fill="#c0392b" font-weight="bold">crash of {}</text>"##,
                    r.ends.first().map(|&l| x_of(l)).unwrap_or(LEFT) + 12.0,
                    y - 8.0,
                    xml(node)
                );
            } else if let (Some(l), false) = (r.lane, receives) {
                let x = x_of(l);
                let _ = writeln!(
                    s,
                    r##"<g><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="16" rx="3" fill="#fff7d6" stroke="#b08900"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"##,
                    xml(&r.summary),
                    x - 22.0,
                    y - 8.0,
                    44.0,
                    y + 4.0,
                    xml(short_rule(&r.rule))
                );
            }
        }
        // Arrows: from the sending row to the receiving row; lost ones end in a cross, ones
        // still in flight at the end are dashed to the bottom.
        for a in &self.arrows {
            let (x0, y0) = (x_of(a.from), y_of(a.from_row));
            let x1 = x_of(a.to);
            let (y1, style) = match (a.to_row, a.lost_at) {
                (Some(r), _) => (y_of(r), r##"stroke="#1f3b73" marker-end="url(#head)""##),
                (None, Some(r)) => (y_of(r), r##"stroke="#c0392b" stroke-dasharray="3 3""##),
                (None, None) => (end_y, r##"stroke="#777777" stroke-dasharray="6 3""##),
            };
            let label = if a.rule.is_empty() {
                a.label.clone()
            } else {
                format!("{} {}", short_rule(&a.rule), a.label)
            };
            if a.from == a.to {
                let _ = writeln!(
                    s,
                    r##"<path d="M{x0:.1},{y0:.1} C{:.1},{y0:.1} {:.1},{y1:.1} {x1:.1},{y1:.1}" fill="none" {style}/>"##,
                    x0 + 40.0,
                    x0 + 40.0
                );
            } else {
                let _ = writeln!(
                    s,
                    r##"<line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}" {style}/>"##
                );
            }
            // A label sits halfway along an arrow within one row, and near the sender on a
            // longer one, where arrows that cross further down do not overprint it.
            let f = if (y1 - y0).abs() > ROW_H * 1.5 {
                0.3
            } else {
                0.5
            };
            let (mx, my) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f - 3.0);
            let _ = writeln!(
                s,
                r##"<text x="{mx:.1}" y="{my:.1}" text-anchor="middle" font-size="10" fill="#1f3b73" stroke="white" stroke-width="3" paint-order="stroke">{}</text>"##,
                xml(&label)
            );
            if a.to_row.is_none() {
                if let Some(r) = a.lost_at {
                    let y = y_of(r);
                    let _ = writeln!(
                        s,
                        r##"<path d="M{:.1},{:.1} l8,8 m0,-8 l-8,8" stroke="#c0392b" stroke-width="2"/>"##,
                        x1 - 4.0,
                        y - 4.0
                    );
                }
            }
        }
        let _ = writeln!(
            s,
            r##"<text x="10" y="{:.1}" fill="#666666">Arrows run from the step that sends a message to the step that receives it: crossing arrows overtake. Red dashes: lost in a crash; grey dashes: in flight at the end.</text>"##,
            end_y + 14.0
        );
        s.push_str("</svg>\n");
        s
    }
}

/// The rule's ID alone (`R6` of `R6 DetachAndSend`).
fn short_rule(rule: &str) -> &str {
    rule.split_whitespace().next().unwrap_or(rule)
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Mermaid reads `;` and `#` as syntax in message text: they are replaced.
fn mermaid_text(s: &str) -> String {
    s.replace(';', ",").replace('#', "no. ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(rules: &[&str]) -> Chart {
        let mut c = Chart::new("t");
        let l = c.lane("PMA@node1", 1);
        for (k, r) in rules.iter().enumerate() {
            c.push_row(Row::new(format!("{}", k + 1), r, Some(l), ""));
        }
        c
    }

    // Reference: spec §3.2 (the phases (a)-(e) follow the rules that fire).
    #[test]
    fn phases_move_forward_and_a_late_enqueue_stays_inside() {
        let c = rows(&[
            "EM1 Syscall",
            "R1 StartMigration",
            "R3 Suspend",
            "R5 Frozen",
            "R6 DetachAndSend",
            "R9 Accept",
            "R2 Enqueue",
            "R12 InstallAndReattach",
            "R13 InformPMMAndRestart",
            "R14 ForwardAndCleanUp",
            "R1 StartMigration",
        ]);
        let got: Vec<(usize, usize, char)> = c
            .brackets()
            .iter()
            .map(|b| (b.first, b.last, b.phase))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 3, 'a'),
                (4, 4, 'b'),
                (5, 7, 'c'),
                (8, 8, 'd'),
                (9, 9, 'e'),
                (10, 10, 'a')
            ]
        );
    }

    // Reference: spec §3.2.2 (a refusal, R8, ends the migration in phase (b)).
    #[test]
    fn a_refusal_ends_the_migration() {
        let c = rows(&[
            "R1 StartMigration",
            "R6 DetachAndSend",
            "R7 Refuse",
            "R8 Reinstate",
            "R1 StartMigration",
        ]);
        let phases: Vec<char> = c.brackets().iter().map(|b| b.phase).collect();
        assert_eq!(phases, vec!['a', 'b', 'a']);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(xml("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        assert_eq!(mermaid_text("x;y#1"), "x,yno. 1");
    }
}
