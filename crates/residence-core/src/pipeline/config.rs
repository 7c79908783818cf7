//! The pipeline file (`pipelines/*.toml`): sources, header mappings and rule parameters.
//!
//! Paths in the file are relative to the file's own folder, so a pipeline runs
//! the same from any working directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::encoding::Encoding;
use super::source::SourceKind;
use crate::rules::division::{Division, parse_division};

/// Rule parameters of SPEC §6 and the quality gate of §8.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Whole months a spell needs for `eligible` (`min_months`, default 6).
    pub min_months: u32,
    /// Largest gap in days between intervals of one spell (`max_gap_days`, default 31).
    pub max_gap_days: u32,
    /// A spell is active when it ends at most this many days before as-of (default 62).
    pub recency_days: u32,
    /// A pledge counts for this many days after its signing (`pledge_valid_days`, default 365).
    pub pledge_valid_days: u32,
    /// City codes (`XXXX00`) in scope.
    pub jurisdictions: Vec<Division>,
    /// Rejects gate: the highest rejected share of a source's rows that passes (default 0.05).
    pub max_reject_rate: f64,
    /// Drift gate (SPEC §8): a source's rows may fall at most this share
    /// below the published night's (a source may set its own).
    pub max_row_drop: f64,
    /// Drift gate: a city's eligible persons may fall at most this share.
    pub max_eligible_drop: f64,
    /// Freshness: a source whose latest evidence is older than this many
    /// days before the as-of date is warned about.
    pub max_staleness_days: u32,
}

/// One source as the pipeline declares it.
#[derive(Clone, Debug)]
pub struct SourceConfig {
    /// Which feed of SPEC §4 it is; also its name in the file.
    pub kind: SourceKind,
    /// Folder under the data root.
    pub folder: String,
    /// The text encoding its files are in (`utf-8` unless set).
    pub encoding: Encoding,
    /// Overrides [`Params::max_reject_rate`] for this source.
    pub max_reject_rate: Option<f64>,
    /// Without a folder or rows the night fails the completeness gate.
    pub required: bool,
    /// Overrides [`Params::max_row_drop`] for this source.
    pub max_row_drop: Option<f64>,
    /// Header text per canonical field, indexed like [`SourceKind::fields`].
    pub headers: Vec<String>,
}

/// A loaded and checked pipeline file.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// The pipeline file as given on the command line.
    pub path: PathBuf,
    /// SHA-256 of the file's text, lowercase hex (for the manifest).
    pub sha256: String,
    /// The file's `name`, else its file stem.
    pub name: String,
    /// Feed root from the file (`data_dir`), resolved against its folder.
    pub data_dir: Option<PathBuf>,
    /// The gazetteer CSV (`gazetteer`), resolved against the file's folder.
    pub gazetteer: PathBuf,
    /// Rule and gate parameters, defaults filled in.
    pub params: Params,
    /// Declared sources, in source-name order.
    pub sources: Vec<SourceConfig>,
}

/// A pipeline file that cannot be used. Messages name the file, and the line and
/// column where the file says where.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The pipeline file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The file is not UTF-8 or not TOML of the pipeline's shape (unknown keys too).
    #[error("{path}: {message}")]
    Parse {
        /// The pipeline file.
        path: PathBuf,
        /// The TOML parser's message, or `not UTF-8 text`.
        message: String,
    },
    /// A value the pipeline cannot use (an unknown source, field or encoding, a
    /// share outside 0..=1, a jurisdiction that is not a city).
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The pipeline file.
        path: PathBuf,
        /// 1-based line of the value in the file.
        line: usize,
        /// 1-based column of the value, in characters.
        column: usize,
        /// What is wrong with it.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    name: Option<String>,
    data_dir: Option<String>,
    gazetteer: String,
    #[serde(default)]
    parameters: RawParams,
    sources: BTreeMap<Spanned<String>, RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawParams {
    min_months: Spanned<i64>,
    max_gap_days: Spanned<i64>,
    recency_days: Spanned<i64>,
    pledge_valid_days: Spanned<i64>,
    jurisdictions: Spanned<Vec<Spanned<String>>>,
    max_reject_rate: Spanned<f64>,
    max_row_drop: Spanned<f64>,
    max_eligible_drop: Spanned<f64>,
    max_staleness_days: Spanned<i64>,
}

impl Default for RawParams {
    // The spec's defaults (SPEC §6).
    fn default() -> Self {
        RawParams {
            min_months: Spanned::new(0..0, 6),
            max_gap_days: Spanned::new(0..0, 31),
            recency_days: Spanned::new(0..0, 62),
            pledge_valid_days: Spanned::new(0..0, 365),
            jurisdictions: Spanned::new(0..0, vec![Spanned::new(0..0, "350500".to_owned())]),
            max_reject_rate: Spanned::new(0..0, 0.05),
            // SPEC §8.
            max_row_drop: Spanned::new(0..0, 0.5),
            max_eligible_drop: Spanned::new(0..0, 0.2),
            max_staleness_days: Spanned::new(0..0, 45),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    folder: Option<String>,
    encoding: Option<Spanned<String>>,
    max_reject_rate: Option<Spanned<f64>>,
    required: Option<bool>,
    max_row_drop: Option<Spanned<f64>>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, String>,
}

impl Pipeline {
    /// Checks the pipeline file `path` whose bytes are `bytes` (the caller
    /// read them: the core does no I/O). Relative paths in it are resolved
    /// against `path`'s folder.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Pipeline, PipelineError> {
        let text = std::str::from_utf8(bytes).map_err(|_| PipelineError::Parse {
            path: path.to_owned(),
            message: "not UTF-8 text".to_owned(),
        })?;
        let sha256 = crate::digest::sha256_hex(text.as_bytes());
        Pipeline::parse_text(path, text, sha256)
    }

    fn parse_text(path: &Path, text: &str, sha256: String) -> Result<Pipeline, PipelineError> {
        // One line: the position, the key, then the parser's message
        // without its snippet and in words (`expected a whole number in 1..120`).
        let raw: RawPipeline = toml::from_str(text).map_err(|e| {
            let start = e.span().map_or(0, |s| s.start);
            let (line, column) = line_col(text, start);
            let key = text[..start.min(text.len())]
                .rsplit('\n')
                .next()
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim())
                .filter(|k| !k.is_empty());
            let range = RANGES
                .iter()
                .find(|(k, _)| Some(*k) == key)
                .map(|(_, r)| *r);
            let message = e
                .message()
                .trim()
                .replace('\n', " ")
                .replace(
                    "expected i64",
                    &format!("expected a whole number in {}", range.unwrap_or("range")),
                )
                .replace("expected f64", "expected a number in [0, 1]");
            PipelineError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message: match key {
                    Some(k) => format!("{k}: {message}"),
                    None => message,
                },
            }
        })?;
        let invalid = |span: std::ops::Range<usize>, message: String| {
            let (line, column) = line_col(text, span.start);
            PipelineError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        };
        let base = path.parent().unwrap_or(Path::new(""));

        let mut jurisdictions = Vec::new();
        if raw.parameters.jurisdictions.get_ref().is_empty() {
            return Err(invalid(
                raw.parameters.jurisdictions.span(),
                "jurisdictions is empty: expected a non-empty list of 6-digit city codes"
                    .to_owned(),
            ));
        }
        for j in raw.parameters.jurisdictions.get_ref() {
            match parse_division(j.get_ref()) {
                Some(d) if d.city() == d => jurisdictions.push(d),
                _ => {
                    return Err(invalid(
                        j.span(),
                        format!(
                            "jurisdiction {:?} is not a city code (six digits ending in 00)",
                            j.get_ref()
                        ),
                    ));
                }
            }
        }
        let share = |key: &str, r: &Spanned<f64>| {
            let v = *r.get_ref();
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(invalid(
                    r.span(),
                    format!("{key} {v} is not between 0 and 1"),
                ))
            }
        };
        // SPEC §2's ranges (RANGES says them in words).
        let ranged = |key: &str, v: &Spanned<i64>, lo: u32, hi: u32| {
            let n = *v.get_ref();
            u32::try_from(n)
                .ok()
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(|| invalid(v.span(), format!("{key} {n} is outside {lo}..{hi}")))
        };
        let p = &raw.parameters;
        let rate = |r: &Spanned<f64>| share("max_reject_rate", r);
        let drop = |r: &Spanned<f64>| share("max_row_drop", r);
        let params = Params {
            min_months: ranged("min_months", &p.min_months, 1, 120)?,
            max_gap_days: ranged("max_gap_days", &p.max_gap_days, 0, 3660)?,
            recency_days: ranged("recency_days", &p.recency_days, 0, 3660)?,
            pledge_valid_days: ranged("pledge_valid_days", &p.pledge_valid_days, 1, 3660)?,
            jurisdictions,
            max_reject_rate: rate(&raw.parameters.max_reject_rate)?,
            max_row_drop: drop(&raw.parameters.max_row_drop)?,
            max_eligible_drop: share("max_eligible_drop", &raw.parameters.max_eligible_drop)?,
            max_staleness_days: ranged("max_staleness_days", &p.max_staleness_days, 1, 3660)?,
        };

        let mut sources = Vec::new();
        for (name, src) in &raw.sources {
            let kind = SourceKind::from_name(name.get_ref()).ok_or_else(|| {
                invalid(
                    name.span(),
                    format!(
                        "unknown source {:?} (known: {})",
                        name.get_ref(),
                        SourceKind::ALL.map(SourceKind::name).join(", ")
                    ),
                )
            })?;
            let encoding = match &src.encoding {
                None => Encoding::Utf8,
                Some(e) => Encoding::from_label(e.get_ref()).ok_or_else(|| {
                    invalid(
                        e.span(),
                        format!("unknown encoding {:?} (use utf-8 or gb18030)", e.get_ref()),
                    )
                })?,
            };
            let mut headers: Vec<String> = kind.fields().iter().map(|f| f.name.into()).collect();
            for (field, header) in &src.columns {
                let idx = kind.field_index(field.get_ref()).ok_or_else(|| {
                    invalid(
                        field.span(),
                        format!(
                            "source {kind} has no field {:?} (fields: {})",
                            field.get_ref(),
                            kind.fields()
                                .iter()
                                .map(|f| f.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
                headers[idx] = header.trim().to_owned();
            }
            sources.push(SourceConfig {
                kind,
                folder: src.folder.clone().unwrap_or_else(|| kind.name().to_owned()),
                encoding,
                max_reject_rate: src.max_reject_rate.as_ref().map(rate).transpose()?,
                required: src.required.unwrap_or(kind.required_by_default()),
                max_row_drop: src.max_row_drop.as_ref().map(drop).transpose()?,
                headers,
            });
        }
        sources.sort_by_key(|s| s.kind);

        Ok(Pipeline {
            path: path.to_owned(),
            sha256,
            name: raw.name.unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }),
            data_dir: raw.data_dir.map(|d| base.join(d)),
            gazetteer: base.join(raw.gazetteer),
            params,
            sources,
        })
    }

    /// The declared source of this kind; `None` when the pipeline does not declare it.
    pub fn source(&self, kind: SourceKind) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.kind == kind)
    }

    /// A source's reject-rate limit: its own, else the pipeline's.
    pub fn max_reject_rate(&self, source: &SourceConfig) -> f64 {
        source
            .max_reject_rate
            .unwrap_or(self.params.max_reject_rate)
    }

    /// A source's row-drift limit: its own, else the pipeline's.
    pub fn max_row_drop(&self, source: &SourceConfig) -> f64 {
        source.max_row_drop.unwrap_or(self.params.max_row_drop)
    }
}

/// The whole-number parameters and their ranges (SPEC §2), for messages.
const RANGES: [(&str, &str); 5] = [
    ("min_months", "1..120"),
    ("max_gap_days", "0..3660"),
    ("recency_days", "0..3660"),
    ("pledge_valid_days", "1..3660"),
    ("max_staleness_days", "1..3660"),
];

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Pipeline, PipelineError> {
        Pipeline::parse(Path::new("pipelines/p.toml"), text.as_bytes())
    }

    #[test]
    fn defaults_and_mapping() {
        let p = parse(
            r#"
gazetteer = "../sample-data/divisions.csv"
data_dir = "../sample-data"
[sources.lease.columns]
tenant_id_number = " 承租人身份证号 "
[sources.social_insurance]
encoding = "GB18030"
max_reject_rate = 0.1
"#,
        )
        .unwrap();
        assert_eq!(p.params.min_months, 6);
        assert_eq!(
            p.params.jurisdictions,
            vec![Division::new_unchecked(350500)]
        );
        assert_eq!(
            p.gazetteer,
            Path::new("pipelines/../sample-data/divisions.csv")
        );
        assert_eq!(
            p.data_dir.as_deref(),
            Some(Path::new("pipelines/../sample-data"))
        );
        let kinds: Vec<_> = p.sources.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [SourceKind::Lease, SourceKind::SocialInsurance]);
        let lease = p.source(SourceKind::Lease).unwrap();
        assert_eq!(lease.headers[1], "承租人身份证号");
        assert_eq!(lease.headers[0], "record_id");
        let si = p.source(SourceKind::SocialInsurance).unwrap();
        assert_eq!(si.encoding, Encoding::Gb18030);
        assert_eq!(si.max_reject_rate, Some(0.1));
        assert!(si.required && lease.required);
        assert_eq!(
            (p.params.max_row_drop, p.params.max_eligible_drop),
            (0.5, 0.2)
        );
        assert_eq!(p.params.max_staleness_days, 45);
        assert_eq!(p.max_row_drop(lease), 0.5);
    }

    #[test]
    fn required_and_drift_per_source() {
        let p = parse(
            r#"
gazetteer = "g.csv"
[parameters]
max_row_drop = 0.3
[sources.pledge]
[sources.hukou]
required = true
[sources.lease]
required = false
max_row_drop = 0.9
[sources.utility]
"#,
        )
        .unwrap();
        let required = |k| p.source(k).unwrap().required;
        assert!(!required(SourceKind::Pledge));
        assert!(required(SourceKind::Hukou));
        assert!(!required(SourceKind::Lease));
        assert!(required(SourceKind::Utility));
        assert_eq!(p.max_row_drop(p.source(SourceKind::Lease).unwrap()), 0.9);
        assert_eq!(p.max_row_drop(p.source(SourceKind::Utility).unwrap()), 0.3);
        let err = parse("gazetteer = \"g\"\n[sources.lease]\nmax_row_drop = 2\n").unwrap_err();
        assert!(
            err.to_string()
                .contains(":3:16: max_row_drop 2 is not between 0 and 1"),
            "{err}"
        );
    }

    #[test]
    fn unknown_field_names_line_and_column() {
        let err = parse("gazetteer = \"g.csv\"\n[sources.lease.columns]\ntenant_id = \"x\"\n")
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("pipelines/p.toml:3:1: source lease has no field \"tenant_id\""),
            "{msg}"
        );
    }

    #[test]
    fn unknown_source_and_bad_jurisdiction() {
        let err = parse("gazetteer = \"g\"\n[sources.water]\n").unwrap_err();
        assert!(
            err.to_string().contains(":2:10: unknown source \"water\""),
            "{err}"
        );
        let err = parse(
            "gazetteer = \"g\"\n[parameters]\njurisdictions = [\"350502\"]\n[sources.lease]\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains(":3:18: jurisdiction \"350502\""),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_is_a_parse_error_with_position() {
        let err = parse("gazetteer = \"g\"\nmin_month = 3\n[sources.lease]\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("pipelines/p.toml:2:1: "), "{msg}");
        assert!(msg.contains("min_month"), "{msg}");
        assert!(!msg.contains('\n'), "one line: {msg}");
    }

    #[test]
    fn parameters_outside_their_range_name_the_key_and_the_range() {
        for (line, want) in [
            ("min_months = 0", ":3:14: min_months 0 is outside 1..120"),
            (
                "min_months = 4294967295",
                "min_months 4294967295 is outside 1..120",
            ),
            (
                "max_staleness_days = 4294967295",
                "max_staleness_days 4294967295 is outside 1..3660",
            ),
            ("max_gap_days = -1", "max_gap_days -1 is outside 0..3660"),
            (
                "pledge_valid_days = 0",
                "pledge_valid_days 0 is outside 1..3660",
            ),
            (
                "recency_days = 3661",
                "recency_days 3661 is outside 0..3660",
            ),
            ("jurisdictions = []", ":3:17: jurisdictions is empty"),
        ] {
            let text = format!("gazetteer = \"g\"\n[parameters]\n{line}\n[sources.lease]\n");
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(want), "{line}: {err}");
        }
        let err = parse("gazetteer = \"g\"\n[parameters]\nmin_months = \"six\"\n[sources.lease]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                ":3:14: min_months: invalid type: string \"six\", expected a whole number in 1..120"
            ),
            "{err}"
        );
        let ok = "gazetteer = \"g\"\n[parameters]\nmin_months = 120\nmax_gap_days = 0\n[sources.lease]\n";
        assert_eq!(parse(ok).unwrap().params.min_months, 120);
    }
}
