//! `residence report`: one self-contained HTML page about a run for the data
//! team (SPEC §9): decisions by status and basis per city and county,
//! evidence by source and month, rows by source and outcome with the top
//! reasons, months of evidence, strong evidence, changes since the
//! previous run, and eligible persons and reject rates across the retained
//! runs. Charts are inline SVG ([`super::svg`]); no script, nothing fetched.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;
use serde_json::Value;

use super::svg::{self, Bar, escape, thousands};
use super::{Run, ViewError, latest_divisions, texts};
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
    /// `--html`: the page to write.
    pub html: PathBuf,
}

/// Writes the report of the run to `opts.html` (owner-only: it names no
/// person, but it describes a population).
pub fn report(opts: &ReportOptions) -> Result<(), ViewError> {
    let run = Run::open(&opts.out, opts.run.as_deref())?;
    let page = render(&run, &opts.out)?;
    let mut f = crate::output::create_private(&opts.html)?;
    use std::io::Write;
    f.write_all(page.as_bytes())
        .map_err(crate::output::OutputError::io(&opts.html))?;
    Ok(())
}

fn manifest(dir: &Path) -> Result<Value, ViewError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|source| ViewError::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text)
        .map_err(|e| ViewError::NotFound(format!("{}: not a manifest: {e}", path.display())))
}

/// The gazetteer the run's pipeline names, for county names (none if the
/// pipeline file has moved: codes are shown instead).
fn gazetteer(m: &Value) -> Option<Gazetteer> {
    let path = m["pipeline"]["path"].as_str()?;
    let pipeline = crate::pipeline::load(Path::new(path)).ok()?;
    crate::ingest::gazetteer::load_gazetteer(&pipeline.gazetteer).ok()
}

fn place(g: Option<&Gazetteer>, code: &str) -> String {
    let name = parse_division(code).and_then(|d| g.and_then(|g| g.name(d)));
    match name {
        Some(n) => format!("{n} {code}"),
        None => code.to_owned(),
    }
}

fn ints(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<i64>, ViewError> {
    let c = df
        .column(name)
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(ViewError::parquet(path))?;
    let c = c.i64().map_err(ViewError::parquet(path))?;
    Ok(c.iter().map(|v| v.unwrap_or(0)).collect())
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

fn render(run: &Run, out: &Path) -> Result<String, ViewError> {
    let m = manifest(&run.dir)?;
    let g = gazetteer(&m);
    let mut page = String::new();
    head(&mut page, run, &m);
    decisions(&mut page, run, &m, g.as_ref())?;
    evidence_by_month(&mut page, run)?;
    rows_by_outcome(&mut page, &m);
    months_and_strong(&mut page, run)?;
    changes(&mut page, run)?;
    trends(&mut page, out, g.as_ref())?;
    page.push_str("</main></body></html>\n");
    Ok(page)
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

fn head(page: &mut String, run: &Run, m: &Value) {
    let _ = write!(
        page,
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>residence · {}</title><style>
body{{font-family:"Noto Sans CJK SC","Noto Sans SC","WenQuanYi Micro Hei","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f7f9;color:#1d2329}}
main{{max-width:1100px;margin:0 auto;padding:24px}}
h1{{font-size:24px;margin:0 0 4px}} h2{{font-size:18px;margin:0 0 8px}} .en{{color:#6b7480;font-weight:normal;font-size:14px}}
section{{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:16px 20px;margin:16px 0}}
table{{border-collapse:collapse;font-size:13px;margin:8px 0}} td,th{{border-bottom:1px solid #eceef0;padding:3px 10px;text-align:right}}
th{{background:#f0f2f4}} td:first-child,th:first-child,td.text,th.text{{text-align:left}}
.note{{color:#6b7480;font-size:13px;margin:0 0 8px}} .bad{{color:#b3261e;font-weight:bold}} .good{{color:#1e7b34;font-weight:bold}}
.kpi{{display:inline-block;margin:8px 24px 8px 0}} .kpi b{{display:block;font-size:22px}}
svg text{{font-size:12px;fill:#1d2329}} svg .tick{{font-size:11px;fill:#6b7480}} svg .value{{font-size:11px;fill:#444}} svg .legend{{font-size:12px}}
</style></head><body><main>"#,
        escape(&run.run_id)
    );
    let status = m["status"].as_str().unwrap_or("");
    let class = if status == "succeeded" { "good" } else { "bad" };
    let _ = write!(
        page,
        "<h1>居住证据夜间运行报告 <span class=\"en\">residence run report</span></h1>\
         <p>run <b>{}</b> · 判定日期 as of <b>{}</b> · 状态 status <span class=\"{class}\">{}</span> · {}</p>",
        escape(&run.run_id),
        run.as_of,
        escape(status),
        escape(m["publication"].as_str().unwrap_or(""))
    );
    let total = |k: &str| -> u64 {
        m["sources"]
            .as_object()
            .map(|s| {
                s.values()
                    .map(|v| match &v[k] {
                        Value::Object(o) => o.values().filter_map(Value::as_u64).sum(),
                        v => v.as_u64().unwrap_or(0),
                    })
                    .sum()
            })
            .unwrap_or(0)
    };
    for (zh, en, n) in [
        ("输入行", "rows", total("rows")),
        ("已计入", "accepted", total("accepted")),
        ("未计入", "filtered", total("filtered")),
        ("被拒", "rejected", total("rejected")),
    ] {
        let _ = write!(
            page,
            "<span class=\"kpi\">{zh} <span class=\"en\">{en}</span><b>{}</b></span>",
            thousands(n)
        );
    }
    let failures = m["gate"]["failures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !failures.is_empty() {
        page.push_str("<p class=\"bad\">质量门未通过 quality gate failed:</p><ul>");
        for f in failures {
            let _ = write!(
                page,
                "<li>{} {}: {}</li>",
                escape(f["check"].as_str().unwrap_or("")),
                escape(f["subject"].as_str().unwrap_or("")),
                escape(f["message"].as_str().unwrap_or(""))
            );
        }
        page.push_str("</ul>");
    }
    if let Some(w) = m["warnings"].as_array().filter(|w| !w.is_empty()) {
        page.push_str("<details><summary>警告 warnings (");
        let _ = write!(page, "{})</summary><ul>", w.len());
        for w in w {
            let _ = write!(page, "<li>{}</li>", escape(w.as_str().unwrap_or("")));
        }
        page.push_str("</ul></details>");
    }
}

fn decisions(
    page: &mut String,
    run: &Run,
    m: &Value,
    g: Option<&Gazetteer>,
) -> Result<(), ViewError> {
    let kinds = decision_kinds();
    let labels: Vec<&str> = kinds.iter().map(|(_, l)| l.as_str()).collect();
    section(
        page,
        "各市判定结果",
        "decisions by status × basis, per city",
        "One bar per city in scope; each colour a status and basis.",
    );
    let mut city_bars = Vec::new();
    for (city, c) in m["cities"].as_object().into_iter().flatten() {
        city_bars.push(Bar {
            label: place(g, city),
            values: kinds
                .iter()
                .map(|(k, _)| c["persons"][k].as_f64().unwrap_or(0.0))
                .collect(),
        });
    }
    page.push_str(&svg::bars(&city_bars, &labels, 1050));
    page.push_str("</section>");

    // Per county: the county of each person's latest evidence.
    let path = run.dir.join("eligibility.parquet");
    let e = run.read(
        "eligibility.parquet",
        Some(&["city", "person_id", "status", "basis"]),
    )?;
    let (cities, people) = (texts(&e, "city", &path)?, texts(&e, "person_id", &path)?);
    let (status, basis) = (texts(&e, "status", &path)?, texts(&e, "basis", &path)?);
    let keys: Vec<(Option<String>, Option<String>)> = cities.iter().cloned().zip(people).collect();
    let divisions = latest_divisions(run, &keys)?;
    let mut by_county: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for i in 0..e.height() {
        let county = match (&divisions[i], &cities[i]) {
            (Some(d), _) => parse_division(d).map_or(d.clone(), |d| {
                if d.is_county_level() {
                    d.to_string()
                } else {
                    format!("{}", d.city())
                }
            }),
            (None, Some(c)) => format!("{c} (pledge only)"),
            _ => continue,
        };
        let kind = format!(
            "{}/{}",
            status[i].as_deref().unwrap_or(""),
            basis[i].as_deref().unwrap_or("")
        );
        let row = by_county
            .entry(county)
            .or_insert_with(|| vec![0.0; kinds.len()]);
        if let Some(k) = kinds.iter().position(|(key, _)| *key == kind) {
            row[k] += 1.0;
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
    Ok(())
}

/// The 24 months up to the as-of date's, as first days.
fn last_months(as_of: NaiveDate) -> Vec<NaiveDate> {
    let last = as_of.with_day(1).unwrap_or(as_of);
    (0..24u32).rev().map(|b| last - Months::new(b)).collect()
}

fn evidence_by_month(page: &mut String, run: &Run) -> Result<(), ViewError> {
    let path = run.dir.join("evidence.parquet");
    let df = run.read("evidence.parquet", Some(&["source", "start"]))?;
    let sources = texts(&df, "source", &path)?;
    let starts = ints(&df, "start", &path)?;
    let months = last_months(run.as_of);
    let first = crate::rules::date::to_epoch_days(months[0]);
    let kinds: Vec<SourceKind> = SourceKind::ALL
        .into_iter()
        .filter(|s| !matches!(s, SourceKind::Pledge | SourceKind::Hukou))
        .collect();
    let mut grid = vec![vec![0.0; kinds.len()]; months.len()];
    let mut before = 0u64;
    for (s, &start) in sources.iter().zip(&starts) {
        if start < i64::from(first) {
            before += 1;
            continue;
        }
        let d = crate::rules::date::from_epoch_days(start as i32);
        let m = (d.year() - months[0].year()) * 12 + d.month() as i32 - months[0].month() as i32;
        let k = s
            .as_deref()
            .and_then(SourceKind::from_name)
            .and_then(|s| kinds.iter().position(|&k| k == s));
        if let (Ok(m), Some(k)) = (usize::try_from(m), k)
            && m < months.len()
        {
            grid[m][k] += 1.0;
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
    let bars: Vec<Bar> = months
        .iter()
        .zip(grid)
        .map(|(m, values)| Bar {
            label: format!("{:04}-{:02}", m.year(), m.month()),
            values,
        })
        .collect();
    page.push_str(&svg::bars(&bars, &label_refs, 1050));
    page.push_str("</section>");
    Ok(())
}

fn rows_by_outcome(page: &mut String, m: &Value) {
    section(
        page,
        "各来源行的去向",
        "rows by source and outcome",
        "Accepted, filtered and rejected rows per feed, and each feed's most frequent reasons.",
    );
    let mut bars = Vec::new();
    let mut table = String::from(
        "<table><tr><th>来源 source</th><th>行 rows</th><th>已计入 accepted</th><th>未计入 filtered</th><th>被拒 rejected</th><th>拒绝率 reject rate</th><th class=\"text\">主要原因 top reasons</th></tr>",
    );
    for (name, s) in m["sources"].as_object().into_iter().flatten() {
        let sum = |v: &Value| -> u64 {
            v.as_object()
                .map_or(0, |o| o.values().filter_map(Value::as_u64).sum())
        };
        let (accepted, filtered, rejected) = (
            s["accepted"].as_u64().unwrap_or(0),
            sum(&s["filtered"]),
            sum(&s["rejected"]),
        );
        let label =
            SourceKind::from_name(name).map_or(name.clone(), |k| format!("{} {name}", k.chinese()));
        bars.push(Bar {
            label: label.clone(),
            values: vec![accepted as f64, filtered as f64, rejected as f64],
        });
        let mut reasons: Vec<(String, u64)> = Vec::new();
        for kind in ["filtered", "rejected"] {
            for (r, n) in s[kind].as_object().into_iter().flatten() {
                reasons.push((r.clone(), n.as_u64().unwrap_or(0)));
            }
        }
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let top: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|(r, n)| {
                let zh = Reason::from_code(r).map_or("", |r| r.words().1);
                format!("{r} {zh} ({})", thousands(*n))
            })
            .collect();
        let rate = s["reject_rate"].as_f64().unwrap_or(0.0);
        let limit = s["max_reject_rate"].as_f64().unwrap_or(1.0);
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{:.2}%</td><td class=\"text\">{}</td></tr>",
            escape(&label),
            thousands(s["rows"].as_u64().unwrap_or(0)),
            thousands(accepted),
            thousands(filtered),
            thousands(rejected),
            if rate > limit { "bad" } else { "" },
            rate * 100.0,
            escape(&top.join(" · "))
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

fn months_and_strong(page: &mut String, run: &Run) -> Result<(), ViewError> {
    let path = run.dir.join("eligibility.parquet");
    let e = run.read(
        "eligibility.parquet",
        Some(&[
            "months_of_evidence",
            "strong_days",
            "covered_days",
            "spell_start",
            "status",
        ]),
    )?;
    let months = ints(&e, "months_of_evidence", &path)?;
    let strong = ints(&e, "strong_days", &path)?;
    let covered = ints(&e, "covered_days", &path)?;
    let status = texts(&e, "status", &path)?;
    let has_spell: Vec<bool> = e
        .column("spell_start")
        .map_err(ViewError::parquet(&path))?
        .is_not_null()
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    const TOP: usize = 36;
    let mut histogram = vec![0.0; TOP + 1];
    for (i, &mo) in months.iter().enumerate() {
        if has_spell[i] {
            histogram[(mo.max(0) as usize).min(TOP)] += 1.0;
        }
    }
    section(
        page,
        "证据月数分布",
        "months of evidence",
        "People with a last spell, by its whole months; the last column is 36 or more. Six months qualify.",
    );
    let labels: Vec<String> = (0..=TOP)
        .map(|i| {
            if i == TOP {
                format!("{TOP}+")
            } else {
                i.to_string()
            }
        })
        .collect();
    page.push_str(&svg::columns(&labels, &histogram, 1050, 3));
    page.push_str("</section>");

    // How much of each last spell official registrations cover.
    let mut kinds = [[0.0f64; 3]; 2];
    for i in 0..e.height() {
        if !has_spell[i] {
            continue;
        }
        let row = usize::from(status[i].as_deref() != Some("eligible"));
        let k = if strong[i] == 0 {
            0
        } else if strong[i] >= covered[i] {
            2
        } else {
            1
        };
        kinds[row][k] += 1.0;
    }
    section(
        page,
        "强证据占比",
        "strong evidence (strong_days)",
        "Strong sources: social insurance, registered leases, school and employment registrations, labour contracts, business licences. People whose last spell rests on bills, phones and shopping alone have no strong days.",
    );
    let bars = [
        Bar {
            label: "符合条件 eligible".to_owned(),
            values: kinds[0].to_vec(),
        },
        Bar {
            label: "其他 other statuses".to_owned(),
            values: kinds[1].to_vec(),
        },
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
    let eligible: f64 = kinds[0].iter().sum();
    if eligible > 0.0 {
        let _ = write!(
            page,
            "<p>{:.1}% of eligible people rest on weak sources only · 符合条件者中仅有弱证据的占 {:.1}%</p>",
            kinds[0][0] / eligible * 100.0,
            kinds[0][0] / eligible * 100.0
        );
    }
    page.push_str("</section>");
    Ok(())
}

fn changes(page: &mut String, run: &Run) -> Result<(), ViewError> {
    let path = run.dir.join("changes.parquet");
    let m = manifest(&run.dir)?;
    let previous = m["previous_run"]["as_of"].as_str().map(str::to_owned);
    section(
        page,
        "与上次运行相比的变化",
        "changes since the previous run",
        &match &previous {
            Some(d) => format!("Against the run published before this one (as of {d})."),
            None => "No earlier run was published: nothing to compare with.".to_owned(),
        },
    );
    if path.exists() {
        let c = run.read("changes.parquet", None)?;
        let col = |name: &str| texts(&c, name, &path);
        let (status_before, basis_before) = (col("previous_status")?, col("previous_basis")?);
        let (status_now, basis_now) = (col("status")?, col("basis")?);
        let words =
            |status: &Option<String>, basis: &Option<String>, none: &str| match (status, basis) {
                (Some(s), Some(b)) => format!(
                    "{} {s}/{b}",
                    Status::from_name(s).map_or("", Status::chinese)
                ),
                _ => none.to_owned(),
            };
        let mut moves: BTreeMap<(String, String), u64> = BTreeMap::new();
        for i in 0..c.height() {
            *moves
                .entry((
                    words(&status_before[i], &basis_before[i], "新增 new"),
                    words(&status_now[i], &basis_now[i], "移出 gone"),
                ))
                .or_default() += 1;
        }
        if moves.is_empty() {
            page.push_str("<p>无变化 no decision changed.</p>");
        } else {
            page.push_str("<table><tr><th>之前 before</th><th class=\"text\">现在 now</th><th>人数 persons</th></tr>");
            for ((b, a), n) in moves {
                let _ = write!(
                    page,
                    "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td></tr>",
                    escape(&b),
                    escape(&a),
                    thousands(n)
                );
            }
            page.push_str("</table>");
        }
    }
    page.push_str("</section>");
    Ok(())
}

fn trends(page: &mut String, out: &Path, g: Option<&Gazetteer>) -> Result<(), ViewError> {
    let mut labels = Vec::new();
    let mut eligible: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut rates: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let runs = publish::complete_runs(out);
    for (i, id) in runs.iter().enumerate() {
        let Ok(m) = manifest(&out.join("runs").join(id)) else {
            continue;
        };
        labels.push(format!(
            "{} {}",
            m["as_of"].as_str().unwrap_or("?"),
            if m["status"] == "succeeded" { "" } else { "*" }
        ));
        for (city, c) in m["cities"].as_object().into_iter().flatten() {
            let v = eligible
                .entry(city.clone())
                .or_insert_with(|| vec![f64::NAN; i]);
            v.resize(i, f64::NAN);
            v.push(c["eligible"].as_f64().unwrap_or(0.0));
        }
        for (source, s) in m["sources"].as_object().into_iter().flatten() {
            let v = rates
                .entry(source.clone())
                .or_insert_with(|| vec![f64::NAN; i]);
            v.resize(i, f64::NAN);
            v.push(s["reject_rate"].as_f64().unwrap_or(0.0));
        }
    }
    let n = labels.len();
    let fill = |v: &mut Vec<f64>| {
        v.resize(n, f64::NAN);
        for x in v.iter_mut() {
            if x.is_nan() {
                *x = 0.0;
            }
        }
    };
    section(
        page,
        "历次运行趋势",
        "across the retained runs",
        "Eligible persons per city and reject rate per feed in every run kept under runs/, oldest first (* not published).",
    );
    let series: Vec<(String, Vec<f64>)> = eligible
        .into_iter()
        .map(|(city, mut v)| {
            fill(&mut v);
            (
                format!("符合条件人数 eligible persons · {}", place(g, &city)),
                v,
            )
        })
        .collect();
    page.push_str(&svg::lines(&labels, &series, 1050, false));
    page.push_str("<p class=\"note\">拒绝率 reject rate per feed 各来源</p>");
    let series: Vec<(String, Vec<f64>)> = rates
        .into_iter()
        .map(|(source, mut v)| {
            fill(&mut v);
            let name =
                SourceKind::from_name(&source).map_or(source.clone(), |k| k.chinese().to_owned());
            (name, v)
        })
        .collect();
    page.push_str(&svg::lines(&labels, &series, 1050, true));
    page.push_str("</section>");
    Ok(())
}
