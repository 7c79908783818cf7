//! Reading one column of a person's rows as plain values, whatever its Parquet type.

use chrono::NaiveDate;
use polars::prelude::*;

pub(super) fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name)
        .ok()
        .and_then(|c| c.cast(&DataType::String).ok())
        .map(|c| {
            c.str()
                .map(|s| s.iter().map(|v| v.map(str::to_owned)).collect())
                .unwrap_or_default()
        })
        .unwrap_or_else(|| vec![None; df.height()])
}

pub(super) fn ints(df: &DataFrame, name: &str) -> Vec<i64> {
    df.column(name)
        .ok()
        .and_then(|c| c.cast(&DataType::Int64).ok())
        .map(|c| {
            c.i64()
                .map(|s| s.iter().map(|v| v.unwrap_or(0)).collect())
                .unwrap_or_default()
        })
        .unwrap_or_else(|| vec![0; df.height()])
}

pub(super) fn lists(df: &DataFrame, name: &str) -> Vec<Vec<String>> {
    let Ok(c) = df.column(name) else {
        return vec![Vec::new(); df.height()];
    };
    (0..df.height())
        .map(|i| match c.get(i) {
            Ok(AnyValue::List(s)) => s
                .str()
                .map(|s| s.iter().flatten().map(str::to_owned).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        })
        .collect()
}

pub(super) fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
