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

/// Lines over labelled points (runs over time), one per series.
pub(super) fn lines(
    labels: &[String],
    series: &[(String, Vec<f64>)],
    width: u32,
    percent: bool,
) -> String {
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    // A line's legend names it even when it is alone.
    let top = legend_height(&names, f64::from(width)).max(26.0) + 12.0;
    let height = 190.0 + top;
    let (left, bottom) = (56.0, 40.0);
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0, f64::max)
        .max(if percent { 0.01 } else { 1.0 });
    let n = labels.len().max(2) as f64 - 1.0;
    let plot_w = f64::from(width) - left - 20.0;
    let plot_h = height - bottom - top;
    let mut s = open(width, height);
    legend(&mut s, &names, &PALETTE, f64::from(width));
    if percent {
        axis_percent(&mut s, left, top, plot_h, max, f64::from(width) - 20.0);
    } else {
        axis(&mut s, left, top, plot_h, max, f64::from(width) - 20.0);
    }
    let x_of = |i: usize| {
        if labels.len() < 2 {
            left + plot_w / 2.0
        } else {
            left + i as f64 / n * plot_w
        }
    };
    for (k, (_, values)) in series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), top + plot_h - v / max * plot_h))
            .collect();
        let colour = PALETTE[k % PALETTE.len()];
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            points.join(" ")
        );
        for p in &points {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(s, r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>"#);
        }
    }
    let every = labels.len().div_ceil(8).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == labels.len() {
            // The first and last labels end at the plot's edges, not past them.
            let anchor = match i {
                0 if labels.len() > 1 => "start",
                _ if i + 1 == labels.len() && labels.len() > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}" class="tick">{}</text>"#,
                x_of(i),
                height - bottom + 16.0,
                escape(l)
            );
        }
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

fn axis_percent(s: &mut String, left: f64, top: f64, plot_h: f64, max: f64, right: f64) {
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{:.1}%</text>"##,
            left - 6.0,
            y + 4.0,
            v * 100.0
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
    }
}
