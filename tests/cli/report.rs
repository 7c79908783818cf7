//! `residence report`: one self-contained HTML page about a run (the
//! rendering is checked in Chromium by tests/report/screenshot.sh in CI).

use crate::support::*;

#[test]
fn the_report_is_one_self_contained_page() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let dir = run_ok(&default_pipeline(), None, &out, &[]);
    // A second night, so there are changes and a trend.
    let pipeline = default_pipeline();
    let o = residence(&[
        "run",
        "--pipeline",
        pipeline.to_str().expect("utf-8"),
        "--as-of",
        "2026-12-31",
        "--out",
        out.to_str().expect("utf-8"),
        "--max-reject-rate",
        "1",
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let html = tmp.path().join("report.html");
    let o = residence(&[
        "report",
        "--out",
        out.to_str().expect("utf-8"),
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let page = std::fs::read_to_string(&html).expect("report");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(r#"<meta charset="utf-8">"#));
    // Self-contained: no script, nothing fetched.
    for banned in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!page.contains(banned), "the page holds {banned}");
    }
    // Every section, as inline SVG, with Chinese labels.
    for heading in [
        "各市判定结果",
        "各县（市、区）判定结果",
        "各来源每月证据",
        "各来源行的去向",
        "证据月数分布",
        "强证据占比",
        "与上次运行相比的变化",
        "历次运行趋势",
    ] {
        assert!(page.contains(heading), "no section {heading}");
    }
    assert!(page.matches("<svg").count() >= 8);
    assert!(
        page.contains("丰泽区 350503"),
        "county names from the gazetteer"
    );
    // The figures are the run's: the second night's rows, from its manifest.
    let second = out.join(std::fs::read_link(out.join("latest")).expect("latest"));
    let m = read_manifest(&second);
    let rows: u64 = m["sources"]
        .as_object()
        .expect("sources")
        .values()
        .map(|s| s["rows"].as_u64().expect("rows"))
        .sum();
    assert_eq!(rows, 709);
    assert!(page.contains("<b>709</b>"), "the rows figure");
    // The headline: eligible persons now and the change since the last run,
    // from the manifest's cities.
    let (now, before): (u64, u64) = m["cities"]
        .as_object()
        .expect("cities")
        .values()
        .map(|c| {
            (
                c["eligible"].as_u64().expect("eligible"),
                c["previous_eligible"].as_u64().expect("previous"),
            )
        })
        .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    let change = now as i64 - before as i64;
    assert!(
        page.contains(&format!("eligible persons <b>{now}</b>")),
        "headline"
    );
    let sign = if change >= 0 { "+" } else { "−" };
    assert!(
        page.contains(&format!("{sign}{}", change.unsigned_abs())),
        "the change since the last run ({change})"
    );
    // Values printed on the bars: each city's status × basis counts.
    for (_, c) in m["cities"].as_object().expect("cities") {
        for (kind, n) in c["persons"].as_object().expect("persons") {
            let n = n.as_u64().expect("n");
            if n >= 10 {
                assert!(
                    page.contains(&format!("class=\"inbar\">{n}</text>")),
                    "{kind}: {n} on its bar"
                );
            }
        }
    }
    // Filtered and rejected reasons apart: the most frequent rejected
    // reason of social insurance shows in the rejected column.
    assert!(page.contains("top filtered reasons") && page.contains("top rejected reasons"));
    let si = &m["sources"]["social_insurance"]["rejected"];
    let (top, _) = si
        .as_object()
        .expect("rejected")
        .iter()
        .max_by_key(|(r, n)| (n.as_u64(), std::cmp::Reverse((*r).clone())))
        .expect("a rejected reason");
    assert!(page.contains(top.as_str()), "{top}");
    // Months of evidence: the histogram's counts are the manifest's.
    let months = m["aggregates"]["months_of_evidence"]
        .as_array()
        .expect("histogram");
    let with_spell: u64 = months.iter().map(|v| v.as_u64().expect("n")).sum();
    assert!(with_spell > 30, "{with_spell} people with a spell");
    // Both retained runs appear in the trend.
    assert!(page.contains("2026-11-27") && page.contains("2026-12-31"));
    // A run named with --run: the first one.
    let first_id = dir.file_name().expect("id").to_str().expect("utf-8");
    let o = residence(&[
        "report",
        "--out",
        out.to_str().expect("utf-8"),
        "--run",
        first_id,
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    let page = std::fs::read_to_string(&html).expect("report");
    assert!(page.contains(first_id));
    assert!(page.contains("No earlier run was published"));
    // No person is named.
    assert!(id_numbers_in(&page).is_empty());
}
