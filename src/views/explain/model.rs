//! What `residence explain` shows of one (person, city): decision, the
//! pledge and hukou rows, spells, evidence, a 24-month grid, the routes to
//! eligibility and the rows that did not count.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::columns::{day, ints, lists, strs};
use super::gather::Found;
use super::routes::{RouteParams, routes};
use crate::pipeline::SourceKind;
use crate::rules::date::from_epoch_days;
use crate::rules::decision::{Basis, Status};
use crate::rules::reason::Reason;
use crate::views::Run;

/// One (person, city), as the JSON shows it: SPEC §9's keys, in its order;
/// what only the text shows is skipped.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The canonical 18-character ID number.
    pub person_id: String,
    /// The city (`XXXX00`); `None` when the person has only filtered or rejected rows.
    pub city: Option<String>,
    /// The run's decision date, `YYYY-MM-DD`.
    pub as_of: String,
    /// `eligible`, `pending`, `inactive` or `not_applicable`; `None` without a decision.
    pub status: Option<String>,
    /// `evidence`, `pledge` or `none`; `None` without a decision.
    pub basis: Option<String>,
    /// `eligible`: the day the six months were complete.
    pub eligible_since: Option<String>,
    /// `pending`: the day it would be eligible if evidence goes on.
    pub eligible_on: Option<String>,
    /// The person's accepted pledge rows in the city (`counts`: signed
    /// within the validity; `used`: the one the decision uses).
    pub pledge: Vec<DeclarationView>,
    /// The person's accepted hukou row (any city), if any.
    pub hukou: Option<DeclarationView>,
    /// Whole months of the last spell; 0 without a decision.
    pub months_of_evidence: u32,
    /// Every spell in the city, earliest first.
    pub spells: Vec<SpellView>,
    /// The first `--limit` evidence rows in the city.
    pub evidence: Vec<EvidenceView>,
    /// All evidence rows in the city.
    pub evidence_total: usize,
    /// The 24 months up to the as-of date's, oldest first.
    pub months: Vec<MonthView>,
    /// `pending` and `inactive`: each way to become eligible, earliest first.
    pub routes: Vec<RouteView>,
    /// The first `--limit` filtered rows (every city), by source, file and line.
    pub filtered: Vec<RowView>,
    /// All the person's filtered rows.
    pub filtered_total: usize,
    /// The first `--limit` rejected rows, by source, file and line.
    pub rejected: Vec<RowView>,
    /// All the person's rejected rows.
    pub rejected_total: usize,
    /// The run explained (text only).
    #[serde(skip)]
    pub run_id: String,
    /// The counting pledge's `declared_since` (text only).
    #[serde(skip)]
    pub pledge_since: Option<String>,
    /// The division of the latest evidence (text only).
    #[serde(skip)]
    pub county: Option<String>,
    /// Days of the last spell covered by a strong source (text only).
    #[serde(skip)]
    pub strong_days: u32,
}

/// An accepted pledge or hukou row, as `explain` shows it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct DeclarationView {
    /// The pledge's city, or the hukou city.
    pub city: String,
    /// Pledge: the day declared.
    pub declared_since: Option<String>,
    /// Pledge: the signing day.
    pub signed_date: Option<String>,
    /// Pledge: signed within `pledge_valid_days` of the as-of; hukou: true.
    pub counts: bool,
    /// The decision uses this row (the counting pledge; hukou in the city).
    pub used: bool,
    /// The input file, relative to the data root.
    pub input_file: String,
    /// 1-based line of the record's first line in that file.
    pub line: i64,
}

/// A route to eligibility (SPEC §9).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct RouteView {
    /// `pledge`, `extend` or `join`.
    pub kind: &'static str,
    /// The periods evidence must reach or cover.
    pub missing: Vec<PeriodView>,
    /// The day the person would be eligible from, `YYYY-MM-DD`.
    pub eligible: String,
}

/// A period of a route, both days included.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct PeriodView {
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD`.
    pub end: String,
}

/// One spell, as `explain` shows it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SpellView {
    /// 1 = earliest.
    pub spell_no: u32,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD`.
    pub end: String,
    /// Whole months (SPEC §6).
    pub months: u32,
    /// Days inside the union of its intervals.
    pub covered_days: u32,
    /// Evidence intervals merged into it.
    pub evidence_count: u32,
    /// Sorted distinct source names of its evidence.
    pub sources: Vec<String>,
}

/// One evidence row, as `explain` shows it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct EvidenceView {
    /// The feed's name.
    pub source: String,
    /// The record id (`order_id` for shopping).
    pub record_id: String,
    /// The division as given, or resolved from the address.
    pub division: String,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, clipped to as-of, `YYYY-MM-DD`.
    pub end: String,
    /// The input file, relative to the data root.
    pub input_file: String,
    /// 1-based line of the record's first line in that file.
    pub line: i64,
}

/// One month of the 24-month grid.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct MonthView {
    /// `YYYY-MM`.
    pub month: String,
    /// An evidence interval of the city touches the month.
    pub covered: bool,
    /// The sources of those intervals, sorted.
    pub sources: Vec<String>,
}

/// A filtered or rejected row of the person.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct RowView {
    /// The feed's name.
    pub source: String,
    /// The input file, relative to the data root.
    pub input_file: String,
    /// 1-based line of the record's first line in that file.
    pub line: i64,
    /// The reason's code (`not_filed`).
    pub reason: String,
    /// The reason in words, English then Chinese.
    pub reason_words: String,
    /// The reason in Chinese.
    pub reason_words_zh: String,
    /// The record id; `None` for rejected rows and rows without one.
    pub record_id: Option<String>,
    /// Filtered rows: the interval's start, when parsed.
    pub start: Option<String>,
    /// Filtered rows: the interval's end, when parsed.
    pub end: Option<String>,
    /// Filtered rows: the city, when known.
    pub city: Option<String>,
    /// Rejected rows: what was wrong.
    pub detail: Option<String>,
}

/// The rule parameters explain needs, from the run's manifest.
#[derive(Clone, Copy, Debug)]
pub(super) struct Params {
    pub(super) routes: RouteParams,
    pub(super) limit: usize,
}

pub(super) fn params(run: &Run, limit: usize) -> Params {
    let p = &run.manifest.parameters;
    Params {
        routes: RouteParams {
            min_months: p.min_months,
            recency_days: p.recency_days,
        },
        limit,
    }
}

/// The rows of `df` in `city` (all when `None`).
fn in_city(df: &DataFrame, city: Option<&str>) -> Vec<usize> {
    let Some(want) = city else {
        return (0..df.height()).collect();
    };
    // Compared in place: a person may have a million rows.
    match df.column("city").ok().and_then(|c| c.str().ok()) {
        Some(cities) => cities
            .iter()
            .enumerate()
            .filter(|(_, c)| *c == Some(want))
            .map(|(i, _)| i)
            .collect(),
        None => Vec::new(),
    }
}

pub(super) fn explanation(
    run: &Run,
    id: &str,
    city: Option<&str>,
    found: &Found,
    p: Params,
) -> Explanation {
    let as_of = run.as_of;
    // The decision.
    let e = &found.eligibility;
    let row = in_city(e, city).first().copied();
    let get = |name: &str| row.and_then(|i| strs(e, name)[i].clone());
    let num = |name: &str| row.map_or(0, |i| ints(e, name)[i]) as u32;
    let status = get("status");
    let pledge_since = get("pledge_since");

    // Spells in this city.
    let s = &found.spells;
    let (sources, spell_starts, spell_ends) =
        (lists(s, "sources"), strs(s, "start"), strs(s, "end"));
    let (no, months, covered, count) = (
        ints(s, "spell_no"),
        ints(s, "months"),
        ints(s, "covered_days"),
        ints(s, "evidence_count"),
    );
    let mut spells: Vec<SpellView> = in_city(s, city)
        .into_iter()
        .map(|i| SpellView {
            spell_no: no[i] as u32,
            start: spell_starts[i].clone().unwrap_or_default(),
            end: spell_ends[i].clone().unwrap_or_default(),
            months: months[i] as u32,
            covered_days: covered[i] as u32,
            evidence_count: count[i] as u32,
            sources: sources[i].clone(),
        })
        .collect();
    spells.sort_by_key(|s| s.spell_no);

    // Evidence in this city: all of it for the grid, the first page shown.
    let v = &found.evidence;
    let rows = in_city(v, city);
    let grid = month_grid(as_of, v, &rows);
    let page: Vec<usize> = rows.iter().copied().take(p.limit).collect();
    let evidence = evidence_views(v, &page);

    let routes = match status.as_deref().and_then(Status::from_name) {
        Some(Status::Pending | Status::Inactive) => {
            let spans: Vec<(NaiveDate, NaiveDate)> = spells
                .iter()
                .filter_map(|s| Some((day(&s.start)?, day(&s.end)?)))
                .collect();
            let pledge = pledge_since.as_deref().and_then(day);
            routes(as_of, p.routes, &spans, pledge)
                .into_iter()
                .map(|r| RouteView {
                    kind: r.kind.as_str(),
                    missing: r
                        .missing
                        .iter()
                        .map(|m| PeriodView {
                            start: m.start.to_string(),
                            end: m.end.to_string(),
                        })
                        .collect(),
                    eligible: r.eligible.to_string(),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let (pledge, hukou) = declarations(&found.declarations, city, status.as_deref(), &pledge_since);
    // Both files are sorted by source, file and line, and their row groups
    // are read in order: the first page is the first rows.
    let page = |df: &DataFrame| df.head(Some(p.limit));
    let filtered = row_views(&page(&found.filtered), as_of, false);
    let rejected = row_views(&page(&found.rejects), as_of, true);
    Explanation {
        person_id: id.to_owned(),
        city: city.map(str::to_owned),
        as_of: as_of.to_string(),
        status,
        basis: get("basis"),
        eligible_since: get("eligible_since"),
        eligible_on: get("eligible_on"),
        pledge,
        hukou,
        months_of_evidence: num("months_of_evidence"),
        spells,
        evidence,
        evidence_total: rows.len(),
        months: grid,
        routes,
        filtered_total: found.filtered.height(),
        filtered,
        rejected_total: found.rejects.height(),
        rejected,
        run_id: run.run_id.clone(),
        pledge_since,
        county: get("county"),
        strong_days: num("strong_days"),
    }
}

/// Evidence rows `rows` of `v` as shown.
fn evidence_views(v: &DataFrame, rows: &[usize]) -> Vec<EvidenceView> {
    let idx: Vec<IdxSize> = rows.iter().map(|&i| i as IdxSize).collect();
    let Ok(page) = v.take(&IdxCa::from_vec("rows".into(), idx)) else {
        return Vec::new();
    };
    let (source, record, division, start, end, file) = (
        strs(&page, "source"),
        strs(&page, "record_id"),
        strs(&page, "division"),
        strs(&page, "start"),
        strs(&page, "end"),
        strs(&page, "input_file"),
    );
    let line = ints(&page, "line");
    (0..page.height())
        .map(|i| EvidenceView {
            source: source[i].clone().unwrap_or_default(),
            record_id: record[i].clone().unwrap_or_default(),
            division: division[i].clone().unwrap_or_default(),
            start: start[i].clone().unwrap_or_default(),
            end: end[i].clone().unwrap_or_default(),
            input_file: file[i].clone().unwrap_or_default(),
            line: line[i],
        })
        .collect()
}

/// The person's pledge rows in `city` and hukou row (any city).
fn declarations(
    d: &DataFrame,
    city: Option<&str>,
    status: Option<&str>,
    pledge_since: &Option<String>,
) -> (Vec<DeclarationView>, Option<DeclarationView>) {
    let (source, cities, since, signed, file) = (
        strs(d, "source"),
        strs(d, "city"),
        strs(d, "declared_since"),
        strs(d, "signed_date"),
        strs(d, "input_file"),
    );
    let line = ints(d, "line");
    let counts: Vec<bool> = d
        .column("counts")
        .ok()
        .and_then(|c| {
            c.bool()
                .ok()
                .map(|b| b.iter().map(|v| v.unwrap_or(false)).collect())
        })
        .unwrap_or_else(|| vec![false; d.height()]);
    let view = |i: usize| DeclarationView {
        city: cities[i].clone().unwrap_or_default(),
        declared_since: since[i].clone(),
        signed_date: signed[i].clone(),
        counts: counts[i],
        used: false,
        input_file: file[i].clone().unwrap_or_default(),
        line: line[i],
    };
    let mut pledges: Vec<DeclarationView> = (0..d.height())
        .filter(|&i| source[i].as_deref() == Some("pledge") && cities[i].as_deref() == city)
        .map(view)
        .collect();
    // The pledge the decision uses: the latest signed of those that count,
    // on a tie the later row (rows are in file and line order).
    if pledge_since.is_some()
        && let Some(used) = pledges
            .iter()
            .enumerate()
            .filter(|(_, r)| r.counts && &r.declared_since == pledge_since)
            .max_by(|(_, a), (_, b)| a.signed_date.cmp(&b.signed_date))
            .map(|(i, _)| i)
    {
        pledges[used].used = true;
    }
    let hukou = (0..d.height())
        .find(|&i| source[i].as_deref() == Some("hukou"))
        .map(|i| {
            let mut h = view(i);
            h.used = status == Some(Status::NotApplicable.as_str());
            h
        });
    (pledges, hukou)
}

/// The 24 months up to the as-of date's, each with the sources of the
/// evidence intervals (rows `rows` of `v`) that touch it.
fn month_grid(as_of: NaiveDate, v: &DataFrame, rows: &[usize]) -> Vec<MonthView> {
    let last = as_of.with_day(1).unwrap_or(as_of);
    let first_month = last - Months::new(23);
    let month_no = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
    let base = month_no(first_month);
    let epoch = |c: &str| -> Vec<Option<i32>> {
        v.column(c)
            .ok()
            .and_then(|c| c.cast(&DataType::Int32).ok())
            .and_then(|c| c.i32().ok().map(|a| a.iter().collect()))
            .unwrap_or_else(|| vec![None; v.height()])
    };
    let (starts, ends) = (epoch("start"), epoch("end"));
    let sources = v.column("source").ok().and_then(|c| c.str().ok().cloned());
    let mut cells: Vec<u16> = vec![0; 24];
    let kinds = SourceKind::ALL;
    for &i in rows {
        let (Some(s), Some(e)) = (starts[i], ends[i]) else {
            continue;
        };
        let (s, e) = (from_epoch_days(s), from_epoch_days(e));
        let bit = sources
            .as_ref()
            .and_then(|c| c.get(i))
            .and_then(SourceKind::from_name)
            .map_or(0, SourceKind::bit);
        let (from, to) = ((month_no(s) - base).max(0), (month_no(e) - base).min(23));
        for m in from..=to {
            cells[m as usize] |= bit;
        }
    }
    (0..24u32)
        .map(|k| {
            let first = first_month + Months::new(k);
            let sources: Vec<String> = kinds
                .iter()
                .filter(|s| cells[k as usize] & s.bit() != 0)
                .map(|s| s.name().to_owned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            MonthView {
                month: format!("{:04}-{:02}", first.year(), first.month()),
                covered: !sources.is_empty(),
                sources,
            }
        })
        .collect()
}

fn row_views(df: &DataFrame, as_of: NaiveDate, rejected: bool) -> Vec<RowView> {
    let (source, file, reason, record, start, end, city, detail) = (
        strs(df, "source"),
        strs(df, "input_file"),
        strs(df, "reason"),
        strs(df, "record_id"),
        strs(df, "start"),
        strs(df, "end"),
        strs(df, "city"),
        strs(df, "detail"),
    );
    let line = ints(df, "line");
    let mut rows: Vec<RowView> = (0..df.height())
        .map(|i| {
            let code = reason[i].clone().unwrap_or_default();
            let r = Reason::from_code(&code);
            let (mut en, zh) = r.map_or(("", ""), Reason::words);
            // A lease that started in time but was filed after the as-of
            // date: say so, it is the usual question.
            let filed_late = r == Some(Reason::AfterAsOf)
                && source[i].as_deref() == Some(SourceKind::Lease.name())
                && start[i]
                    .as_deref()
                    .and_then(day)
                    .is_some_and(|s| s <= as_of);
            let zh = if filed_late {
                en = "registered (filed) after the as-of date; it counts once filed";
                "判定日之后才登记备案，备案后计入"
            } else {
                zh
            };
            RowView {
                source: source[i].clone().unwrap_or_default(),
                input_file: file[i].clone().unwrap_or_default(),
                line: line[i],
                reason: code,
                reason_words: en.to_owned(),
                reason_words_zh: zh.to_owned(),
                record_id: record[i].clone(),
                start: start[i].clone(),
                end: end[i].clone(),
                city: city[i].clone(),
                detail: if rejected { detail[i].clone() } else { None },
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.source, &a.input_file, a.line).cmp(&(&b.source, &b.input_file, b.line))
    });
    rows
}

/// The Chinese words of a status and basis, for the text view.
pub(super) fn status_words(status: &str) -> &'static str {
    Status::from_name(status).map_or("", Status::chinese)
}

pub(super) fn basis_words(basis: &str) -> &'static str {
    Basis::from_name(basis).map_or("", Basis::chinese)
}
