//! Static SVG charts for the run report: horizontal bars, stacked bars,
//! vertical columns and lines, drawn as text (no script, no fonts or files
//! fetched). Labels may be Chinese; the page names CJK fonts.

use std::fmt::Write as _;

/// The charts' colours, in order of series.
pub(super) const PALETTE: [&str; 10] = [
    "#2f6db5", "#e07b2a", "#3a9a5b", "#c4463a", "#8a63b8", "#8c6d4f", "#d16fa8", "#7f7f7f",
    "#b5b82e", "#2fb0c0",
];

/// Escapes text for SVG and HTML.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A count with thousands separators (`1,234,567`).
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One bar of a horizontal chart: a label and one value per series.
pub(super) struct Bar {
    pub label: String,
    pub values: Vec<f64>,
}

/// Horizontal bars, one per row, stacked by series; the total at the end.
pub(super) fn bars(bars: &[Bar], series: &[&str], width: u32) -> String {
    bars_in(bars, series, &PALETTE, width)
}

/// [`bars`] in the given colours (one per series).
pub(super) fn bars_in(bars: &[Bar], series: &[&str], colours: &[&str], width: u32) -> String {
    let label_w = 210.0;
    let row_h = 22.0;
    let legend_h = legend_height(series, f64::from(width));
    let height = legend_h + row_h * bars.len().max(1) as f64 + 8.0;
    let series = if series.len() < 2 { &[][..] } else { series };
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(1.0);
    let plot_w = f64::from(width) - label_w - 90.0;
    let mut s = open(width, height);
    legend(&mut s, series, colours, f64::from(width));
    for (i, b) in bars.iter().enumerate() {
        let y = legend_h + i as f64 * row_h;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="label">{}</text>"#,
            label_w - 8.0,
            y + 15.0,
            escape(&b.label)
        );
        let mut x = label_w;
        for (k, v) in b.values.iter().enumerate() {
            let w = v / max * plot_w;
            if w > 0.0 {
                let _ = write!(
                    s,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    y + 3.0,
                    row_h - 6.0,
                    colours[k % colours.len()],
                    escape(series.get(k).copied().unwrap_or("")),
                    thousands(*v as u64)
                );
                // The value on the segment, when it fits.
                let text = thousands(*v as u64);
                if b.values.len() > 1 && w >= text_width(&text) + 6.0 {
                    let _ = write!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="inbar">{text}</text>"#,
                        x + w / 2.0,
                        y + 15.0
                    );
                }
            }
            x += w;
        }
        let total: f64 = b.values.iter().sum();
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" class="value">{}</text>"#,
            x + 6.0,
            y + 15.0,
            thousands(total as u64)
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical columns with a label under each (a histogram, months).
pub(super) fn columns(labels: &[String], values: &[f64], width: u32, every: usize) -> String {
    let height = 200.0;
    let (left, bottom, top) = (50.0, 36.0, 12.0);
    let max = values.iter().copied().fold(0.0, f64::max).max(1.0);
    let n = values.len().max(1) as f64;
    let step = (f64::from(width) - left - 10.0) / n;
    let plot_h = height - bottom - top;
    let mut s = open(width, height);
    axis(&mut s, left, top, plot_h, max, f64::from(width) - 10.0);
    for (i, v) in values.iter().enumerate() {
        let h = v / max * plot_h;
        let x = left + i as f64 * step;
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{}: {}</title></rect>"#,
            x + step * 0.12,
            top + plot_h - h,
            step * 0.76,
            PALETTE[0],
            escape(labels.get(i).map_or("", String::as_str)),
            thousands(*v as u64)
        );
        if *v > 0.0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="value">{}</text>"#,
                x + step / 2.0,
                top + plot_h - h - 3.0,
                compact(*v)
            );
        }
        if i % every.max(1) == 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"#,
                x + step / 2.0,
                height - bottom + 16.0,
                escape(labels.get(i).map_or("", String::as_str))
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A count in at most four characters (`950`, `12k`, `3.4M`), for values
/// printed over narrow columns.
pub(super) fn compact(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{:.1}M", v / 1e6),
        v if v >= 1e4 => format!("{:.0}k", v / 1e3),
        v if v >= 1e3 => format!("{:.1}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

/// Lines over points in time, one per series: `days[i]` places point `i`
/// on an axis proportional to dates (runs 30 days apart are 30 times as
/// far apart as runs a day apart). The y axis spans the values' own range
/// with a margin, not from zero, so a change shows; each point's value is
/// printed beside it when there are few.
pub(super) fn time_lines(
    days: &[i64],
    labels: &[String],
    series: &[(String, Vec<f64>)],
    width: u32,
    percent: bool,
) -> String {
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    let top = legend_height(&names, f64::from(width)).max(26.0) + 12.0;
    let height = 190.0 + top;
    let (left, bottom) = (64.0, 40.0);
    let values = || {
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .filter(|v| v.is_finite())
    };
    let (lo, hi) = (
        values().fold(f64::INFINITY, f64::min),
        values().fold(f64::NEG_INFINITY, f64::max),
    );
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.15).max(if percent { 0.001 } else { 1.0 });
    let (y_min, y_max) = ((lo - pad).max(0.0), hi + pad);
    let (first, last) = (
        days.iter().copied().min().unwrap_or(0),
        days.iter().copied().max().unwrap_or(0),
    );
    let plot_w = f64::from(width) - left - 30.0;
    let plot_h = height - bottom - top;
    let x_of = |d: i64| {
        if last == first {
            left + plot_w / 2.0
        } else {
            left + (d - first) as f64 / (last - first) as f64 * plot_w
        }
    };
    let y_of = |v: f64| top + plot_h - (v - y_min) / (y_max - y_min) * plot_h;
    let mut s = open(width, height);
    legend(&mut s, &names, &PALETTE, f64::from(width));
    let right = f64::from(width) - 30.0;
    for i in 0..=4 {
        let v = y_min + (y_max - y_min) * f64::from(i) / 4.0;
        let y = y_of(v);
        let tick = if percent {
            format!("{:.2}%", v * 100.0)
        } else {
            thousands(v.round() as u64)
        };
        let _ = write!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{tick}</text>"##,
            left - 6.0,
            y + 4.0,
        );
    }
    let show_values = days.len() <= 12;
    for (k, (_, values)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<(f64, f64, f64)> = values
            .iter()
            .zip(days)
            .filter(|(v, _)| v.is_finite())
            .map(|(&v, &d)| (x_of(d), y_of(v), v))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (x, y, v) in &points {
            let _ = write!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}"/>"#
            );
            if show_values {
                let text = if percent {
                    format!("{:.2}%", v * 100.0)
                } else {
                    thousands(v.round() as u64)
                };
                let _ = write!(
                    s,
                    r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" class="value">{text}</text>"#,
                    y - 7.0
                );
            }
        }
    }
    // Date ticks: every run's date unless they would overlap.
    let mut last_x = f64::NEG_INFINITY;
    for (i, (d, l)) in days.iter().zip(labels).enumerate() {
        let x = x_of(*d);
        let is_last = i + 1 == days.len();
        if x - last_x < 80.0 && !is_last {
            continue;
        }
        let anchor = if days.len() > 1 && x <= left + 1.0 {
            "start"
        } else if days.len() > 1 && x >= left + plot_w - 1.0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#999"/><text x="{x:.1}" y="{:.1}" text-anchor="{anchor}" class="tick">{}</text>"##,
            top + plot_h,
            top + plot_h + 4.0,
            height - bottom + 16.0,
            escape(l)
        );
        last_x = x;
    }
    s.push_str("</svg>");
    s
}

fn open(width: u32, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0}" viewBox="0 0 {width} {height:.0}" role="img">"#
    )
}

/// Pixels a label takes at the charts' font size: CJK characters are
/// about twice as wide as Latin ones.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 12.5 } else { 7.0 })
        .sum()
}

/// Where each legend entry goes: (x, row), wrapping to keep within `width`.
fn legend_places(series: &[&str], width: f64) -> Vec<(f64, usize)> {
    let mut places = Vec::new();
    let (mut x, mut row) = (10.0, 0);
    for name in series {
        let w = 30.0 + text_width(name);
        if x > 10.0 && x + w > width - 10.0 {
            x = 10.0;
            row += 1;
        }
        places.push((x, row));
        x += w;
    }
    places
}

/// The height the legend of `series` takes (none for a single series).
fn legend_height(series: &[&str], width: f64) -> f64 {
    if series.len() < 2 {
        return 0.0;
    }
    let rows = legend_places(series, width).last().map_or(0, |p| p.1) + 1;
    rows as f64 * 20.0 + 6.0
}

fn legend(s: &mut String, series: &[&str], colours: &[&str], width: f64) {
    if series.is_empty() {
        return;
    }
    for (k, (name, (x, row))) in series.iter().zip(legend_places(series, width)).enumerate() {
        let y = row as f64 * 20.0;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            y + 4.0,
            colours[k % colours.len()],
            x + 16.0,
            y + 14.0,
            escape(name)
        );
    }
}

/// A left axis with a few round ticks and grid lines up to `max`.
fn axis(s: &mut String, left: f64, top: f64, plot_h: f64, max: f64, right: f64) {
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            left - 6.0,
            y + 4.0,
            thousands(v.round() as u64)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_counts_grouped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
    }

    #[test]
    fn bars_are_as_wide_as_their_share() {
        let svg = bars(
            &[
                Bar {
                    label: "泉州市".into(),
                    values: vec![30.0, 10.0],
                },
                Bar {
                    label: "x".into(),
                    values: vec![20.0, 0.0],
                },
            ],
            &["eligible", "pending"],
            600,
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(">泉州市</text>"));
        // The longest bar spans the plot (600 - 210 - 90 = 300): 30 of 40 is 225.
        assert!(svg.contains(r#"width="225.0""#), "{svg}");
        assert!(svg.contains(r#"width="75.0""#), "{svg}");
        assert!(svg.contains(">40</text>"));
        // Each segment wide enough shows its value.
        assert!(svg.contains(r#"class="inbar">30</text>"#), "{svg}");
        assert!(svg.contains(r#"class="inbar">10</text>"#), "{svg}");
    }

    #[test]
    fn time_axis_is_proportional_to_dates() {
        // Runs on days 0, 30 and 31: the second point is 30/31 of the way.
        let svg = time_lines(
            &[0, 30, 31],
            &["a".into(), "b".into(), "c".into()],
            &[("eligible".into(), vec![100.0, 110.0, 120.0])],
            1000,
            false,
        );
        let plot_w = 1000.0 - 64.0 - 30.0;
        let x = 64.0 + 30.0 / 31.0 * plot_w;
        assert!(svg.contains(&format!(r#"cx="{x:.1}""#)), "{svg}");
        // The y axis starts near the smallest value, not at zero.
        assert!(!svg.contains(r#"class="tick">0</text>"#), "{svg}");
        assert!(svg.contains(">110</text>"), "values printed: {svg}");
    }
}
