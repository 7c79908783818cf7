//! Matching a feed's header row to the pipeline's canonical fields (SPEC §4 "Header").

use crate::pipeline::{Column, SourceConfig};

/// For each canonical field, the column that holds it (`None`: absent, reads as empty).
pub type Mapping = Vec<Option<usize>>;

/// Why a header cannot be read: names the column the file lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumn {
    /// The header text the pipeline maps the field to.
    pub header: String,
    /// The canonical field it would hold.
    pub field: &'static str,
}

/// Maps header names (already trimmed) to canonical fields. Extra columns are
/// ignored; of a repeated name the first counts.
pub fn map_header(names: &[String], source: &SourceConfig) -> Result<Mapping, MissingColumn> {
    let fields = source.kind.fields();
    let column = |header: &String| names.iter().position(|n| n == header);
    let mut mapping = Vec::with_capacity(fields.len());
    for (field, header) in fields.iter().zip(&source.headers) {
        let col = column(header);
        let missing = col.is_none()
            && match field.column {
                Column::Required => true,
                Column::Optional => false,
                // Only a pair lacking both columns is a header error (SPEC §4);
                // it is reported at its second column, as rows are.
                Column::Paired { partner } => {
                    let p = source
                        .kind
                        .field_index(partner)
                        .expect("partners are fields");
                    p < mapping.len() && column(&source.headers[p]).is_none()
                }
            };
        if missing {
            return Err(MissingColumn {
                header: header.clone(),
                field: field.name,
            });
        }
        mapping.push(col);
    }
    Ok(mapping)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::SourceKind;
    use crate::reader::Encoding;

    fn config(kind: SourceKind) -> SourceConfig {
        SourceConfig {
            kind,
            folder: kind.name().to_owned(),
            encoding: Encoding::Utf8,
            max_reject_rate: None,
            required: kind.required_by_default(),
            max_row_drop: None,
            headers: kind.fields().iter().map(|f| f.name.to_owned()).collect(),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn first_of_repeated_names_counts_and_extras_are_ignored() {
        let h = names(&[
            "extra",
            "id_number",
            "record_id",
            "pay_month",
            "division",
            "id_number",
        ]);
        let m = map_header(&h, &config(SourceKind::SocialInsurance)).unwrap();
        assert_eq!(m, vec![Some(2), Some(1), None, Some(3), Some(4), None]);
    }

    #[test]
    fn missing_required_columns_and_whole_pairs_are_errors() {
        let h = names(&["record_id", "id_number", "division"]);
        let e = map_header(&h, &config(SourceKind::SocialInsurance)).unwrap_err();
        assert_eq!(e.field, "pay_month");
        // Shopping with a buyer column and no phone column runs.
        let h = names(&[
            "order_id",
            "buyer_id_number",
            "address",
            "division",
            "delivered_at",
        ]);
        let m = map_header(&h, &config(SourceKind::Shopping)).unwrap();
        assert_eq!((m[1], m[2]), (Some(1), None));
        // Shopping needs one of buyer_id_number and phone.
        let h = names(&["order_id", "address", "division", "delivered_at"]);
        let e = map_header(&h, &config(SourceKind::Shopping)).unwrap_err();
        assert_eq!((e.field, e.header.as_str()), ("phone", "phone"));
        // A lease with a division column and no address column runs.
        let h = names(&["record_id", "tenant_id_number", "division", "start_date"]);
        let m = map_header(&h, &config(SourceKind::Lease)).unwrap();
        assert_eq!((m[3], m[4]), (None, Some(2)));
        // ... and so does one with only the address.
        let h = names(&["record_id", "tenant_id_number", "address", "start_date"]);
        let m = map_header(&h, &config(SourceKind::Lease)).unwrap();
        assert_eq!((m[3], m[4]), (Some(2), None));
        // Lacking both is a header error, named at the pair's second column.
        let h = names(&["record_id", "tenant_id_number", "start_date"]);
        let e = map_header(&h, &config(SourceKind::Lease)).unwrap_err();
        assert_eq!(e.field, "division");
    }

    #[test]
    fn telecom_may_lack_address_and_division() {
        let h = names(&[
            "record_id",
            "subscriber_id",
            "phone",
            "service",
            "start_date",
        ]);
        let m = map_header(&h, &config(SourceKind::Telecom)).unwrap();
        assert_eq!(m[4], None);
        assert_eq!(m[5], None);
    }
}
