//! `residence report`: one self-contained HTML page about a run for the data
//! team (SPEC §9): a headline (eligible persons, the change since the
//! previous run), decisions by status and basis per city and county,
//! evidence by source and month, rows by source and outcome with the top
//! filtered and top rejected reasons apart, months of evidence, strong
//! evidence, changes since the previous run, and eligible persons and
//! reject rates across the retained runs on a time axis. It draws only from
//! manifests (the run's `aggregates`): kilobytes, whatever the night's size.
//! Charts are inline SVG ([`super::svg`]); no script, nothing fetched.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Months, NaiveDate};

use super::svg::{self, Bar, escape, thousands};
use super::{Run, ViewError, refuse_inside};
use crate::output::aggregates::MONTHS_TOP;
use crate::output::manifest::{Counts, Manifest};
use crate::output::publish;
use crate::pipeline::SourceKind;
use crate::rules::address::Gazetteer;
use crate::rules::decision::{Basis, Status};
use crate::rules::division::parse_division;
use crate::rules::reason::Reason;

/// What `residence report` is asked for.
pub struct ReportOptions {
    /// The output root (`--out`).
    pub out: PathBuf,
    /// `--run`: a run id; `None` for the run `latest` points at.
    pub run: Option<String>,
    /// `--html`: the page to write (never inside the output root).
    pub html: PathBuf,
}

/// Writes the report of the run to `opts.html` (owner-only: it names no
/// person, but it describes a population).
pub fn report(opts: &ReportOptions) -> Result<(), ViewError> {
    refuse_inside(&opts.out, &opts.html, "--html")?;
    let run = Run::open(&opts.out, opts.run.as_deref())?;
    let page = render(&run, &opts.out);
    let mut f = crate::output::create_private(&opts.html)?;
    use std::io::Write;
    f.write_all(page.as_bytes())
        .map_err(crate::output::OutputError::io(&opts.html))?;
    Ok(())
}

/// The gazetteer the run's pipeline names, for county names (none if the
/// pipeline file has moved: codes are shown instead).
fn gazetteer(m: &Manifest) -> Option<Gazetteer> {
    let pipeline = crate::pipeline::load(Path::new(&m.pipeline.path)).ok()?;
    crate::ingest::gazetteer::load_gazetteer(&pipeline.gazetteer).ok()
}

fn place(g: Option<&Gazetteer>, code: &str) -> String {
    let name = parse_division(code).and_then(|d| g.and_then(|g| g.name(d)));
    match name {
        Some(n) => format!("{n} {code}"),
        None => code.to_owned(),
    }
}

/// The status × basis combinations, in a fixed order with labels.
fn decision_kinds() -> Vec<(String, String)> {
    let mut kinds = Vec::new();
    for s in Status::ALL {
        for b in Basis::ALL {
            let valid = match s {
                Status::Eligible | Status::Pending => b != Basis::None,
                Status::Inactive | Status::NotApplicable => b == Basis::None,
            };
            if valid {
                kinds.push((
                    format!("{}/{}", s.as_str(), b.as_str()),
                    format!("{} {}/{}", s.chinese(), s.as_str(), b.as_str()),
                ));
            }
        }
    }
    kinds
}

/// The page, from the run's manifest and the retained runs' manifests.
fn render(run: &Run, out: &Path) -> String {
    let m = &run.manifest;
    let g = gazetteer(m);
    let mut page = String::new();
    head(&mut page, run);
    decisions(&mut page, m, g.as_ref());
    evidence_by_month(&mut page, run.as_of, m);
    rows_by_outcome(&mut page, m);
    months_and_strong(&mut page, m);
    changes(&mut page, m);
    trends(&mut page, out, g.as_ref());
    page.push_str("</main></body></html>\n");
    page
}

fn section(page: &mut String, title_zh: &str, title_en: &str, note: &str) {
    let _ = write!(
        page,
        "<section><h2>{} <span class=\"en\">{}</span></h2>",
        escape(title_zh),
        escape(title_en)
    );
    if !note.is_empty() {
        let _ = write!(page, "<p class=\"note\">{}</p>", escape(note));
    }
}

/// All sources' counts added up.
fn totals(m: &Manifest) -> Counts {
    let mut t = Counts::default();
    for s in m.sources.values() {
        t.rows += s.counts.rows;
        t.accepted += s.counts.accepted;
        for (r, n) in &s.counts.filtered {
            *t.filtered.entry(r.clone()).or_default() += n;
        }
        for (r, n) in &s.counts.rejected {
            *t.rejected.entry(r.clone()).or_default() += n;
        }
    }
    t
}

/// Eligible persons of the run, and of the run before it when every city
/// has that figure.
fn eligible_now_and_before(m: &Manifest) -> (u64, Option<u64>) {
    let now = m.cities.values().map(|c| c.eligible).sum();
    let before = m
        .cities
        .values()
        .map(|c| c.previous_eligible)
        .sum::<Option<u64>>()
        .filter(|_| m.previous_run.is_some());
    (now, before)
}

fn head(page: &mut String, run: &Run) {
    let m = &run.manifest;
    let _ = write!(
        page,
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>residence · {}</title><style>{STYLE}</style></head><body><main>"#,
        escape(&run.run_id)
    );
    let class = if m.status.as_str() == "succeeded" {
        "good"
    } else {
        "bad"
    };
    let _ = write!(
        page,
        "<h1>居住证据夜间运行报告 <span class=\"en\">residence run report</span></h1>\
         <p>run <b>{}</b> · 判定日期 as of <b>{}</b> · 状态 status <span class=\"{class}\">{}</span> · {}</p>",
        escape(&run.run_id),
        run.as_of,
        escape(m.status.as_str()),
        escape(&m.publication)
    );
    // The headline: eligible persons now, and the change since the last run.
    let (now, before) = eligible_now_and_before(m);
    let change = match (before, &m.previous_run) {
        (Some(b), Some(p)) => {
            let d = now as i64 - b as i64;
            let (class, sign) = match d.signum() {
                1 => ("up", "+"),
                -1 => ("down", "−"),
                _ => ("", "±"),
            };
            let pct = if b > 0 {
                format!(
                    " ({sign}{:.1}%)",
                    d.unsigned_abs() as f64 / b as f64 * 100.0
                )
            } else {
                String::new()
            };
            format!(
                " <span class=\"{class}\">{sign}{}{pct}</span> since the run of 较上次 {}",
                thousands(d.unsigned_abs()),
                escape(&p.as_of)
            )
        }
        _ => " · no earlier run to compare with 无可比较的上次运行".to_owned(),
    };
    let _ = write!(
        page,
        "<p class=\"headline\">符合条件 eligible persons <b>{}</b>{change}</p>",
        thousands(now)
    );
    let t = totals(m);
    for (zh, en, n) in [
        ("输入行", "rows", t.rows),
        ("已计入", "accepted", t.accepted),
        ("未计入", "filtered", t.filtered.values().sum()),
        ("被拒", "rejected", t.rejected_total()),
    ] {
        let _ = write!(
            page,
            "<span class=\"kpi\">{zh} <span class=\"en\">{en}</span><b>{}</b></span>",
            thousands(n)
        );
    }
    if !m.gate.failures.is_empty() {
        page.push_str("<p class=\"bad\">质量门未通过 quality gate failed:</p><ul>");
        for f in &m.gate.failures {
            let _ = write!(
                page,
                "<li>{} {}: {}</li>",
                escape(&f.check),
                escape(&f.subject),
                escape(&f.message)
            );
        }
        page.push_str("</ul>");
    }
    if !m.warnings.is_empty() {
        page.push_str("<details><summary>警告 warnings (");
        let _ = write!(page, "{})</summary><ul>", m.warnings.len());
        for w in &m.warnings {
            let _ = write!(page, "<li>{}</li>", escape(w));
        }
        page.push_str("</ul></details>");
    }
}

/// The page's style sheet.
const STYLE: &str = r#"
body{font-family:"Noto Sans CJK SC","Noto Sans SC","WenQuanYi Micro Hei","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f7f9;color:#1d2329}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:0 0 8px} .en{color:#6b7480;font-weight:normal;font-size:14px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:16px 20px;margin:16px 0}
table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border-bottom:1px solid #eceef0;padding:3px 10px;text-align:right}
th{background:#f0f2f4} td:first-child,th:first-child,td.text,th.text{text-align:left}
.note{color:#6b7480;font-size:13px;margin:0 0 8px} .bad{color:#b3261e;font-weight:bold} .good{color:#1e7b34;font-weight:bold}
.kpi{display:inline-block;margin:8px 24px 8px 0} .kpi b{display:block;font-size:22px}
.headline{font-size:20px;margin:12px 0} .headline b{font-size:34px} .up{color:#1e7b34} .down{color:#b3261e}
svg text{font-size:12px;fill:#1d2329} svg .inbar{font-size:11px;fill:#fff} svg .tick{font-size:11px;fill:#6b7480} svg .value{font-size:11px;fill:#444} svg .legend{font-size:12px}
"#;

fn decisions(page: &mut String, m: &Manifest, g: Option<&Gazetteer>) {
    let kinds = decision_kinds();
    let labels: Vec<&str> = kinds.iter().map(|(_, l)| l.as_str()).collect();
    section(
        page,
        "各市判定结果",
        "decisions by status × basis, per city",
        "One bar per city in scope; each colour a status and basis.",
    );
    let city_bars: Vec<Bar> = m
        .cities
        .iter()
        .map(|(city, c)| Bar {
            label: place(g, city),
            values: kinds
                .iter()
                .map(|(k, _)| c.persons.get(k).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect();
    page.push_str(&svg::bars(&city_bars, &labels, 1050));
    page.push_str("</section>");

    // Per county: the county of each person's latest evidence.
    let mut by_county: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for cell in &m.aggregates.decisions {
        let county = match &cell.county {
            Some(d) => parse_division(d).map_or(d.clone(), |d| {
                if d.is_county_level() {
                    d.to_string()
                } else {
                    format!("{}", d.city())
                }
            }),
            None => format!("{} (pledge only)", cell.city),
        };
        let kind = format!("{}/{}", cell.status, cell.basis);
        let row = by_county
            .entry(county)
            .or_insert_with(|| vec![0.0; kinds.len()]);
        if let Some(k) = kinds.iter().position(|(key, _)| *key == kind) {
            row[k] += cell.persons as f64;
        }
    }
    section(
        page,
        "各县（市、区）判定结果",
        "decisions per county",
        "The county of each person's latest evidence (people known only by a pledge stand apart).",
    );
    let county_bars: Vec<Bar> = by_county
        .into_iter()
        .map(|(county, values)| Bar {
            label: if county.contains(' ') {
                county
            } else {
                place(g, &county)
            },
            values,
        })
        .collect();
    page.push_str(&svg::bars(&county_bars, &labels, 1050));
    page.push_str("</section>");
}

/// The 24 months up to the as-of date's, as first days.
fn last_months(as_of: NaiveDate) -> Vec<NaiveDate> {
    let last = as_of.with_day(1).unwrap_or(as_of);
    (0..24u32).rev().map(|b| last - Months::new(b)).collect()
}

fn evidence_by_month(page: &mut String, as_of: NaiveDate, m: &Manifest) {
    let months = last_months(as_of);
    let labels_m: Vec<String> = months
        .iter()
        .map(|d| format!("{:04}-{:02}", d.year(), d.month()))
        .collect();
    let kinds: Vec<SourceKind> = SourceKind::ALL
        .into_iter()
        .filter(|s| !matches!(s, SourceKind::Pledge | SourceKind::Hukou))
        .collect();
    let mut grid = vec![vec![0.0; kinds.len()]; months.len()];
    let mut before = 0u64;
    for (source, by_month) in &m.aggregates.evidence_by_month {
        let k = SourceKind::from_name(source).and_then(|s| kinds.iter().position(|&k| k == s));
        for (month, &n) in by_month {
            match labels_m.iter().position(|l| l == month) {
                Some(i) => {
                    if let Some(k) = k {
                        grid[i][k] += n as f64;
                    }
                }
                None if month.as_str() < labels_m[0].as_str() => before += n,
                None => {}
            }
        }
    }
    section(
        page,
        "各来源每月证据",
        "evidence rows by source and month",
        &format!(
            "Accepted evidence by the month it starts, the last 24 months; {} rows start earlier.",
            thousands(before)
        ),
    );
    let labels: Vec<String> = kinds
        .iter()
        .map(|k| format!("{} {}", k.chinese(), k.name()))
        .collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let bars: Vec<Bar> = labels_m
        .into_iter()
        .zip(grid)
        .map(|(label, values)| Bar { label, values })
        .collect();
    page.push_str(&svg::bars(&bars, &label_refs, 1050));
    page.push_str("</section>");
}

/// The `n` most frequent reasons, with their Chinese words and counts.
fn top_reasons(counts: &BTreeMap<String, u64>, n: usize) -> String {
    let mut reasons: Vec<(&String, u64)> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| (r, *n))
        .collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = reasons
        .iter()
        .take(n)
        .map(|(r, n)| {
            let zh = Reason::from_code(r).map_or("", |r| r.words().1);
            format!("{r} {zh} ({})", thousands(*n))
        })
        .collect();
    if top.is_empty() {
        "—".to_owned()
    } else {
        top.join(" · ")
    }
}

fn rows_by_outcome(page: &mut String, m: &Manifest) {
    section(
        page,
        "各来源行的去向",
        "rows by source and outcome",
        "Accepted, filtered and rejected rows per feed; filtered rows were set aside by the rules, rejected rows are faults in the feed — their top reasons apart.",
    );
    let mut bars = Vec::new();
    let mut table = String::from(
        "<table><tr><th>来源 source</th><th>行 rows</th><th>已计入 accepted</th><th>未计入 filtered</th><th>被拒 rejected</th><th>拒绝率 reject rate</th><th class=\"text\">主要未计入原因 top filtered reasons</th><th class=\"text\">主要被拒原因 top rejected reasons</th></tr>",
    );
    for (name, s) in &m.sources {
        let c = &s.counts;
        let (filtered, rejected) = (c.filtered.values().sum::<u64>(), c.rejected_total());
        let label =
            SourceKind::from_name(name).map_or(name.clone(), |k| format!("{} {name}", k.chinese()));
        bars.push(Bar {
            label: label.clone(),
            values: vec![c.accepted as f64, filtered as f64, rejected as f64],
        });
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{:.2}%</td><td class=\"text\">{}</td><td class=\"text\">{}</td></tr>",
            escape(&label),
            thousands(c.rows),
            thousands(c.accepted),
            thousands(filtered),
            thousands(rejected),
            if s.reject_rate > s.max_reject_rate {
                "bad"
            } else {
                ""
            },
            s.reject_rate * 100.0,
            escape(&top_reasons(&c.filtered, 3)),
            escape(&top_reasons(&c.rejected, 3))
        );
    }
    table.push_str("</table>");
    page.push_str(&svg::bars_in(
        &bars,
        &["已计入 accepted", "未计入 filtered", "被拒 rejected"],
        &["#2f6db5", "#e0a72a", "#c4463a"],
        1050,
    ));
    page.push_str(&table);
    page.push_str("</section>");
}

fn months_and_strong(page: &mut String, m: &Manifest) {
    let a = &m.aggregates;
    let histogram: Vec<f64> = a.months_of_evidence.iter().map(|&n| n as f64).collect();
    section(
        page,
        "证据月数分布",
        "months of evidence",
        &format!(
            "People with a last spell, by its whole months; the last column is {MONTHS_TOP} or more. Six months qualify."
        ),
    );
    let labels: Vec<String> = (0..histogram.len())
        .map(|i| {
            if i == MONTHS_TOP {
                format!("{MONTHS_TOP}+")
            } else {
                i.to_string()
            }
        })
        .collect();
    page.push_str(&svg::columns(&labels, &histogram, 1050, 3));
    page.push_str("</section>");

    // How much of each last spell official registrations cover.
    section(
        page,
        "强证据占比",
        "strong evidence (strong_days)",
        "Strong sources: social insurance, registered leases, school and employment registrations, labour contracts, business licences. People whose last spell rests on bills, phones and shopping alone have no strong days.",
    );
    let row = |label: &str, r: [u64; 3]| Bar {
        label: label.to_owned(),
        values: r.iter().map(|&n| n as f64).collect(),
    };
    let bars = [
        row("符合条件 eligible", a.strong[0]),
        row("其他 other statuses", a.strong[1]),
    ];
    page.push_str(&svg::bars_in(
        &bars,
        &[
            "无强证据 weak sources only",
            "部分强证据 partly strong",
            "全部强证据 all strong",
        ],
        &["#c4463a", "#e0a72a", "#3a9a5b"],
        1050,
    ));
    let eligible: u64 = a.strong[0].iter().sum();
    if eligible > 0 {
        let share = a.strong[0][0] as f64 / eligible as f64 * 100.0;
        let _ = write!(
            page,
            "<p>{share:.1}% of eligible people rest on weak sources only · 符合条件者中仅有弱证据的占 {share:.1}%</p>"
        );
    }
    page.push_str("</section>");
}

fn changes(page: &mut String, m: &Manifest) {
    section(
        page,
        "与上次运行相比的变化",
        "changes since the previous run",
        &match &m.previous_run {
            Some(p) => format!(
                "Against the run published before this one (as of {}).",
                p.as_of
            ),
            None => "No earlier run was published: nothing to compare with.".to_owned(),
        },
    );
    let words = |pair: &Option<String>, none: &str| match pair {
        Some(p) => {
            let status = p.split('/').next().unwrap_or("");
            format!(
                "{} {p}",
                Status::from_name(status).map_or("", Status::chinese)
            )
        }
        None => none.to_owned(),
    };
    if m.previous_run.is_some() {
        if m.aggregates.changes.is_empty() {
            page.push_str("<p>无变化 no decision changed.</p>");
        } else {
            page.push_str("<table><tr><th>之前 before</th><th class=\"text\">现在 now</th><th>人数 persons</th></tr>");
            for c in &m.aggregates.changes {
                let _ = write!(
                    page,
                    "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td></tr>",
                    escape(&words(&c.before, "新增 new")),
                    escape(&words(&c.now, "移出 gone")),
                    thousands(c.persons)
                );
            }
            page.push_str("</table>");
        }
    }
    page.push_str("</section>");
}

/// Reject-rate lines drawn: the feeds with the highest rates, not all ten.
const TOP_RATES: usize = 5;

fn trends(page: &mut String, out: &Path, g: Option<&Gazetteer>) {
    let mut runs: Vec<Manifest> = publish::complete_runs(out)
        .iter()
        .filter_map(|id| Manifest::read(&out.join("runs").join(id).join("manifest.json")).ok())
        .filter(|m| m.as_of_date().is_some())
        .collect();
    runs.sort_by(|a, b| (&a.as_of, &a.run_id).cmp(&(&b.as_of, &b.run_id)));
    let days: Vec<i64> = runs
        .iter()
        .filter_map(Manifest::as_of_date)
        .map(|d| i64::from(d.num_days_from_ce()))
        .collect();
    let labels: Vec<String> = runs
        .iter()
        .map(|m| {
            let mark = if m.status.as_str() == "succeeded" {
                ""
            } else {
                " *"
            };
            format!("{}{mark}", m.as_of)
        })
        .collect();
    let series_of = |get: &dyn Fn(&Manifest) -> BTreeMap<String, f64>| {
        let mut all: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (i, m) in runs.iter().enumerate() {
            for (k, v) in get(m) {
                let line = all.entry(k).or_insert_with(|| vec![f64::NAN; runs.len()]);
                line[i] = v;
            }
        }
        all
    };
    section(
        page,
        "历次运行趋势",
        "across the retained runs",
        "Eligible persons per city and the reject rates of the five feeds with the highest, in every run kept under runs/, on a time axis by as-of date (* not published). The y axes span the values, not from zero.",
    );
    let eligible = series_of(&|m| {
        m.cities
            .iter()
            .map(|(c, e)| (c.clone(), e.eligible as f64))
            .collect()
    });
    let series: Vec<(String, Vec<f64>)> = eligible
        .into_iter()
        .map(|(city, v)| {
            (
                format!("符合条件人数 eligible persons · {}", place(g, &city)),
                v,
            )
        })
        .collect();
    page.push_str(&svg::time_lines(&days, &labels, &series, 1050, false));
    let rates = series_of(&|m| {
        m.sources
            .iter()
            .map(|(s, e)| (s.clone(), e.reject_rate))
            .collect()
    });
    let mut ranked: Vec<(String, Vec<f64>)> = rates.into_iter().collect();
    let peak = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
    };
    ranked.sort_by(|a, b| peak(&b.1).total_cmp(&peak(&a.1)).then(a.0.cmp(&b.0)));
    ranked.truncate(TOP_RATES);
    let _ = write!(
        page,
        "<p class=\"note\">拒绝率 reject rate: the {TOP_RATES} feeds with the highest 拒绝率最高的{TOP_RATES}个来源</p>"
    );
    let series: Vec<(String, Vec<f64>)> = ranked
        .into_iter()
        .map(|(source, v)| {
            let name = SourceKind::from_name(&source)
                .map_or(source.clone(), |k| format!("{} {source}", k.chinese()));
            (name, v)
        })
        .collect();
    page.push_str(&svg::time_lines(&days, &labels, &series, 1050, true));
    page.push_str("</section>");
}
