//! `residence explain`'s text: labels in Chinese and English, one line of
//! month cells, aligned for a terminal (a CJK character takes two columns).

use std::fmt::Write as _;

use super::model::{DeclarationView, Explanation, RowView, basis_words, status_words};
use crate::pipeline::SourceKind;

/// Columns a string takes in a terminal: two for CJK and full-width
/// characters, one for the rest.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `s` padded with spaces to `columns` terminal columns.
fn pad(s: &str, columns: usize) -> String {
    format!("{s}{}", " ".repeat(columns.saturating_sub(width(s))))
}

/// Label column of the text view.
const LABEL: usize = 28;

fn label(zh: &str, en: &str) -> String {
    pad(&format!("{zh} {en}"), LABEL)
}

fn source_letters(sources: &[String]) -> String {
    sources
        .iter()
        .filter_map(|s| SourceKind::from_name(s))
        .map(SourceKind::letter)
        .collect()
}

/// The text view of a person's explanations (one per city).
pub(super) fn render(typed: &str, views: &[Explanation]) -> String {
    let mut out = String::new();
    let first = &views[0];
    let _ = writeln!(
        out,
        "residence explain · run {} · 判定日期 as of {}",
        first.run_id, first.as_of
    );
    if typed == first.person_id {
        let _ = writeln!(out, "{}{}", label("身份证号", "ID number"), typed);
    } else {
        let _ = writeln!(
            out,
            "{}{} (18-character form 十八位 {})",
            label("身份证号", "ID number"),
            typed,
            first.person_id
        );
    }
    for v in views {
        out.push('\n');
        city(&mut out, v);
    }
    rows(
        &mut out,
        "未计入 filtered rows",
        &first.filtered,
        first.filtered_total,
    );
    rows(
        &mut out,
        "被拒 rejected rows",
        &first.rejected,
        first.rejected_total,
    );
    out
}

fn city(out: &mut String, v: &Explanation) {
    let _ = writeln!(
        out,
        "{}{}",
        label("城市", "city"),
        v.city
            .as_deref()
            .unwrap_or("— (no city decided for 无判定城市)")
    );
    match (&v.status, &v.basis) {
        (Some(status), Some(basis)) => {
            let _ = writeln!(
                out,
                "{}{status} {} · basis 依据 {basis} {}",
                label("决定", "decision"),
                status_words(status),
                basis_words(basis)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{}none: no accepted evidence or counting pledge 无已计入证据或有效承诺",
                label("决定", "decision")
            );
        }
    }
    if let Some(d) = &v.eligible_since {
        let _ = writeln!(out, "{}{d}", label("符合条件起", "eligible since"));
    }
    if let Some(d) = &v.eligible_on {
        let note = if d.as_str() <= v.as_of.as_str() {
            "(already, once evidence reaching it arrives 相应证据到达即符合)"
        } else {
            "(if the evidence goes on 如证据持续)"
        };
        let _ = writeln!(out, "{}{d} {note}", label("预计符合", "eligible on"));
    }
    for p in &v.pledge {
        declaration(out, label("承诺", "pledge"), p);
    }
    if let Some(h) = &v.hukou {
        declaration(out, label("户籍", "hukou"), h);
    }
    if let Some(c) = &v.county {
        let _ = writeln!(out, "{}{c}", label("区县", "county"));
    }
    if let Some(s) = v.spells.last() {
        let _ = writeln!(
            out,
            "{}{} – {} · {} months 个月 · {} days covered 覆盖天数 · {} by strong sources 强证据天数 · {} rows 条",
            label("最后时段", "last spell"),
            s.start,
            s.end,
            s.months,
            s.covered_days,
            v.strong_days,
            s.evidence_count
        );
    }
    routes(out, v);
    grid(out, v);
    if !v.spells.is_empty() {
        let _ = writeln!(out, "时段 spells");
        for s in &v.spells {
            let _ = writeln!(
                out,
                "  {:>2}  {} – {}  {:>2} months  {:>4} days  {:>3} rows  {}",
                s.spell_no,
                s.start,
                s.end,
                s.months,
                s.covered_days,
                s.evidence_count,
                s.sources.join(", ")
            );
        }
    }
    if !v.evidence.is_empty() {
        let _ = writeln!(out, "证据 evidence ({} rows 条)", v.evidence_total);
        for e in &v.evidence {
            let _ = writeln!(
                out,
                "  {} – {}  {:<17} {:<20} {}  {}:{}",
                e.start, e.end, e.source, e.record_id, e.division, e.input_file, e.line
            );
        }
        more(out, v.evidence_total, v.evidence.len());
    }
}

/// "… N more" after a page of rows.
fn more(out: &mut String, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(
            out,
            "  … {} more 另有 {} 条 (--limit to show more)",
            total - shown,
            total - shown
        );
    }
}

fn declaration(out: &mut String, label: String, d: &DeclarationView) {
    let dates = match (&d.declared_since, &d.signed_date) {
        (Some(since), Some(signed)) => {
            format!("declared since 声明居住起 {since} · signed 签署 {signed} · ")
        }
        _ => format!("city 城市 {} · ", d.city),
    };
    let state = match (d.used, d.counts) {
        (true, _) => "used by the decision 判定所依据",
        (false, true) => "counts 有效",
        (false, false) => "expired, does not count 已过期，不计入",
    };
    let _ = writeln!(out, "{label}{dates}{state} · {}:{}", d.input_file, d.line);
}

/// The routes to eligibility, earliest first.
fn routes(out: &mut String, v: &Explanation) {
    for (i, r) in v.routes.iter().enumerate() {
        let head = if i == 0 {
            label("途径", "routes")
        } else {
            label("", "")
        };
        let when = if r.eligible.as_str() <= v.as_of.as_str() {
            format!(
                "eligible from 自 {} (as soon as that evidence arrives 证据到达即符合)",
                r.eligible
            )
        } else {
            format!("eligible from 自 {}", r.eligible)
        };
        let what = match r.kind {
            "pledge" => "the counting pledge, nothing missing 有效承诺，无需更多证据".to_owned(),
            kind => {
                let periods: Vec<String> = r
                    .missing
                    .iter()
                    .map(|m| format!("{} – {}", m.start, m.end))
                    .collect();
                let words = if kind == "join" {
                    "evidence covering 需证据覆盖"
                } else {
                    "evidence reaching 需证据延续"
                };
                format!("{words} {}", periods.join(", "))
            }
        };
        let _ = writeln!(out, "{head}{}: {what}; {when}", r.kind);
    }
}

/// Two header lines (years, months) and one line of cells, four columns
/// each: the letters of the sources that touch the month, or `·`.
fn grid(out: &mut String, v: &Explanation) {
    const CELL: usize = 4;
    let mut years = label("", "");
    let mut months = label("月份", "month");
    let mut cells = label("来源", "sources");
    for (i, m) in v.months.iter().enumerate() {
        let (year, month) = m.month.split_at(4);
        // The year over each January, and over the first month unless a
        // January follows at once (the two would touch).
        let next_is_january = v
            .months
            .get(i + 1)
            .is_some_and(|n| n.month.ends_with("-01"));
        let marked = month == "-01" || (i == 0 && !next_is_january);
        years.push_str(&pad(if marked { year } else { "" }, CELL));
        months.push_str(&pad(&month[1..], CELL));
        let letters = source_letters(&m.sources);
        let cell = match letters.len() {
            0 => "·".to_owned(),
            1..=3 => letters,
            _ => format!("{}+", &letters[..2]),
        };
        cells.push_str(&pad(&cell, CELL));
    }
    for line in [years, months, cells] {
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let used: std::collections::BTreeSet<&str> = v
        .months
        .iter()
        .flat_map(|m| m.sources.iter().map(String::as_str))
        .collect();
    if !used.is_empty() {
        let legend: Vec<String> = used
            .iter()
            .filter_map(|s| SourceKind::from_name(s))
            .map(|s| format!("{} {} {}", s.letter(), s.chinese(), s.name()))
            .collect();
        let _ = writeln!(out, "{}{}", label("", ""), legend.join(" · "));
    }
}

fn rows(out: &mut String, title: &str, rows: &[RowView], total: usize) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title} ({total})");
    for r in rows {
        let dates = match (&r.start, &r.end) {
            (Some(s), Some(e)) => format!("  {s} – {e}"),
            (Some(s), None) => format!("  {s} –"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {}:{}  {}  {}{}",
            r.input_file,
            r.line,
            r.reason,
            r.record_id.as_deref().unwrap_or(""),
            dates
        );
        let _ = writeln!(out, "      {} · {}", r.reason_words, r.reason_words_zh);
        if let Some(d) = &r.detail {
            let _ = writeln!(out, "      {d}");
        }
    }
    more(out, total, rows.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("月份 month"), 10);
        assert_eq!(width("（１）"), 6);
        assert_eq!(pad("证据", 6), "证据  ");
    }
}
