//! Building one output column from the engine's values: identifiers as text,
//! dates as DATE, counts as INT32, `sources` as a LIST of text.

use chrono::NaiveDate;
use polars::prelude::*;
use polars_arrow::array::{
    DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8Array, Utf8ViewArray,
};
use polars_arrow::datatypes::IntegerType;

use crate::pipeline::SourceKind;
use crate::rules::date::to_epoch_days;
use crate::rules::id::PersonId;

/// Person ids as their 18-character canonical text; `None` is null.
pub(super) fn person_column(
    name: &str,
    people: impl ExactSizeIterator<Item = Option<PersonId>>,
) -> Column {
    let mut b = StringChunkedBuilder::new(name.into(), people.len());
    // Sorted outputs repeat each person over consecutive rows: build the text once.
    let mut last: Option<(PersonId, [u8; 18])> = None;
    for p in people {
        let Some(p) = p else {
            b.append_null();
            continue;
        };
        let canonical = match last {
            Some((q, text)) if q == p => text,
            _ => {
                let text = p.canonical();
                last = Some((p, text));
                text
            }
        };
        // The canonical form is ASCII digits and X.
        b.append_value(std::str::from_utf8(&canonical).unwrap_or_default());
    }
    b.finish().into_column()
}

/// Six-digit division or city codes as text; `None` is null.
pub(super) fn code_column(name: &str, codes: impl ExactSizeIterator<Item = Option<u32>>) -> Column {
    let mut b = StringChunkedBuilder::new(name.into(), codes.len());
    for c in codes {
        match c {
            Some(c) => b.append_value(std::str::from_utf8(&six_digits(c)).unwrap_or_default()),
            None => b.append_null(),
        }
    }
    b.finish().into_column()
}

/// A division or city code as its six digits, by hand: `format!` per row
/// was a visible share of the run.
pub(super) fn six_digits(code: u32) -> [u8; 6] {
    let mut digits = [b'0'; 6];
    let mut v = code;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    digits
}

pub(super) fn six_digit_text(code: u32) -> String {
    String::from_utf8_lossy(&six_digits(code)).into_owned()
}

pub(super) fn date_column(name: &str, dates: impl Iterator<Item = Option<NaiveDate>>) -> Column {
    let days: Int32Chunked = dates.map(|d| d.map(to_epoch_days)).collect();
    days.with_name(name.into()).into_date().into_column()
}

pub(super) fn int_column(name: &str, values: impl Iterator<Item = u32>) -> Column {
    let v: Vec<i32> = values
        .map(|x| i32::try_from(x).unwrap_or(i32::MAX))
        .collect();
    Int32Chunked::from_vec(name.into(), v).into_column()
}

pub(super) fn line_column(name: &str, values: impl Iterator<Item = u32>) -> Column {
    let v: Vec<i64> = values.map(i64::from).collect();
    Int64Chunked::from_vec(name.into(), v).into_column()
}

/// Text; `None` is null.
pub(super) fn str_column<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    let v: StringChunked = values.collect();
    v.with_name(name.into()).into_column()
}

pub(super) fn sources_column(name: &str, masks: impl ExactSizeIterator<Item = u16>) -> Column {
    let n = masks.len();
    let mut b = ListStringChunkedBuilder::new(name.into(), n, n * 2);
    for m in masks {
        b.append_values_iter(SourceKind::names_in(m));
    }
    b.finish().into_column()
}

/// A text column of one row group from per-row codes and the text of a code:
/// dictionary values in order of first appearance (as polars' own cast
/// orders them), keys per row. Like polars, a column whose values are
/// mostly distinct is written plain.
pub(super) fn dictionary_column<K: Copy + Eq + std::hash::Hash>(
    codes: &[K],
    text: impl Fn(&K) -> String,
) -> PolarsResult<ArrayRef> {
    let mut index: hashbrown::HashMap<K, u32> = hashbrown::HashMap::new();
    let mut distinct: Vec<K> = Vec::new();
    // Runs of one code are the rule (one city per partition, a person's
    // rows together): look the table up only when the code changes.
    let mut last: Option<(K, u32)> = None;
    let keys: Vec<u32> = codes
        .iter()
        .map(|&c| match last {
            Some((code, k)) if code == c => k,
            _ => {
                let k = *index.entry(c).or_insert_with(|| {
                    distinct.push(c);
                    (distinct.len() - 1) as u32
                });
                last = Some((c, k));
                k
            }
        })
        .collect();
    let values: Vec<String> = distinct.iter().map(text).collect();
    if keys.len() > 128 && values.len() * 4 > keys.len() * 3 {
        let mut plain = MutableBinaryViewArray::<str>::with_capacity(keys.len());
        for &k in &keys {
            plain.push_value(values[k as usize].as_str());
        }
        return Ok(Utf8ViewArray::from(plain).boxed());
    }
    let values = Utf8ViewArray::from_slice_values(&values);
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    Ok(DictionaryArray::try_new(dtype, PrimitiveArray::from_vec(keys), values.boxed())?.boxed())
}

/// A text column straight from concatenated bytes and the end of each
/// value in them (`ends` relative to `bytes`' start); `present[i]` false
/// makes row `i` null. One copy of the bytes and one UTF-8 check for the
/// whole column, instead of a view and a check per value.
pub(super) fn text_column(
    bytes: &[u8],
    ends: impl ExactSizeIterator<Item = u32>,
    present: Option<&[bool]>,
) -> PolarsResult<ArrayRef> {
    let mut offsets = Vec::with_capacity(ends.len() + 1);
    offsets.push(0i64);
    offsets.extend(ends.map(i64::from));
    let validity = present.map(|p| p.iter().copied().collect());
    Ok(Utf8Array::<i64>::try_new(
        ArrowDataType::LargeUtf8,
        offsets.try_into()?,
        bytes.to_vec().into(),
        validity,
    )?
    .boxed())
}

/// [`dictionary_column`] for codes that may be missing (null).
pub(super) fn nullable_dictionary_column<K: Copy + Eq + std::hash::Hash>(
    codes: &[Option<K>],
    text: impl Fn(&K) -> String,
) -> PolarsResult<ArrayRef> {
    let mut index: hashbrown::HashMap<K, u32> = hashbrown::HashMap::new();
    let mut distinct: Vec<K> = Vec::new();
    let mut last: Option<(K, u32)> = None;
    let keys: Vec<Option<u32>> = codes
        .iter()
        .map(|c| {
            let c = (*c)?;
            Some(match last {
                Some((code, k)) if code == c => k,
                _ => {
                    let k = *index.entry(c).or_insert_with(|| {
                        distinct.push(c);
                        (distinct.len() - 1) as u32
                    });
                    last = Some((c, k));
                    k
                }
            })
        })
        .collect();
    let values: Vec<String> = distinct.iter().map(text).collect();
    if keys.len() > 128 && values.len() * 4 > keys.len() * 3 {
        let mut plain = MutableBinaryViewArray::<str>::with_capacity(keys.len());
        for k in &keys {
            plain.push(k.map(|k| values[k as usize].as_str()));
        }
        return Ok(Utf8ViewArray::from(plain).boxed());
    }
    let values = Utf8ViewArray::from_slice_values(&values);
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    Ok(DictionaryArray::try_new(dtype, PrimitiveArray::from(keys), values.boxed())?.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(array: &ArrayRef) -> Vec<String> {
        let series = Series::from_arrow("x".into(), array.clone()).expect("series");
        let series = series.cast(&DataType::String).expect("as text");
        series
            .str()
            .expect("text")
            .iter()
            .map(|v| v.unwrap_or("<null>").to_owned())
            .collect()
    }

    #[test]
    fn dictionary_values_come_in_order_of_first_appearance() {
        let codes = [5u32, 5, 3, 5, 7, 3];
        let array = dictionary_column(&codes, |c| format!("v{c}")).expect("column");
        let dict = array
            .as_any()
            .downcast_ref::<DictionaryArray<u32>>()
            .expect("a dictionary");
        assert_eq!(dict.keys().values().as_slice(), &[0, 0, 1, 0, 2, 1]);
        assert_eq!(texts(&array), ["v5", "v5", "v3", "v5", "v7", "v3"]);
    }

    #[test]
    fn text_columns_from_bytes() {
        let array = text_column(
            b"abcde",
            [1, 1, 3, 5].into_iter(),
            Some(&[true, false, true, true]),
        )
        .expect("column");
        assert_eq!(texts(&array), ["a", "<null>", "bc", "de"]);
        let array = text_column("泉州x".as_bytes(), [6, 7].into_iter(), None).expect("column");
        assert_eq!(texts(&array), ["泉州", "x"]);
        // A cut inside a character is an error, not a wrong value.
        assert!(text_column("泉".as_bytes(), [1, 3].into_iter(), None).is_err());
    }

    #[test]
    fn missing_codes_are_null() {
        let codes = [Some(5u32), None, Some(5), Some(7)];
        let array = nullable_dictionary_column(&codes, |c| format!("v{c}")).expect("column");
        assert_eq!(texts(&array), ["v5", "<null>", "v5", "v7"]);
        let codes: Vec<Option<u32>> = (0..200).map(|i| (i % 10 != 0).then_some(i)).collect();
        let array = nullable_dictionary_column(&codes, |c| c.to_string()).expect("column");
        assert!(array.as_any().downcast_ref::<Utf8ViewArray>().is_some());
        assert_eq!(&texts(&array)[..3], ["<null>", "1", "2"]);
    }

    #[test]
    fn mostly_distinct_text_is_written_plain() {
        let codes: Vec<u32> = (0..200).collect();
        let array = dictionary_column(&codes, |c| c.to_string()).expect("column");
        assert!(array.as_any().downcast_ref::<Utf8ViewArray>().is_some());
        assert_eq!(texts(&array)[199], "199");
        // Few rows are always a dictionary, as polars does.
        let array = dictionary_column(&codes[..100], |c| c.to_string()).expect("column");
        assert!(
            array
                .as_any()
                .downcast_ref::<DictionaryArray<u32>>()
                .is_some()
        );
    }
}
