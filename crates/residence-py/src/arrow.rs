//! The Arrow C data interface between Python and the core, through
//! polars-arrow's `ffi` (the Arrow implementation the workspace already
//! builds): record batches leave as PyCapsules (`__arrow_c_array__`, the
//! PyCapsule protocol pyarrow and Spark's `mapInArrow` speak) and arrive
//! from any object that offers `__arrow_c_array__`.
//!
//! Columns are built as Arrow `string` (32-bit offsets) and `date32`: Spark
//! rejects `large_string` and view types in `mapInArrow` results.
#![allow(unsafe_code)]

use polars_arrow::array::{
    Array, ListArray, MutableUtf8Array, PrimitiveArray, StructArray, Utf8Array,
};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi;
use polars_arrow::offset::OffsetsBuffer;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

/// A column type of the batches the module makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `int8`.
    I8,
    /// `int32`.
    I32,
    /// `int64`.
    I64,
    /// `date32` (days since 1970-01-01).
    Date,
    /// `string`.
    Str,
    /// `list<string>`.
    StrList,
    /// `bool`.
    Bool,
}

impl Kind {
    fn dtype(self) -> ArrowDataType {
        match self {
            Kind::I8 => ArrowDataType::Int8,
            Kind::I32 => ArrowDataType::Int32,
            Kind::I64 => ArrowDataType::Int64,
            Kind::Date => ArrowDataType::Date32,
            Kind::Str => ArrowDataType::Utf8,
            Kind::StrList => ArrowDataType::List(Box::new(Field::new(
                "item".into(),
                ArrowDataType::Utf8,
                true,
            ))),
            Kind::Bool => ArrowDataType::Boolean,
        }
    }
}

/// A batch's columns: each name, type and whether it may hold nulls.
pub type Schema = &'static [(&'static str, Kind, bool)];

/// One column being built.
pub enum Builder {
    /// `int8`.
    I8(Vec<Option<i8>>),
    /// `int32`.
    I32(Vec<Option<i32>>),
    /// `int64`.
    I64(Vec<Option<i64>>),
    /// `date32`.
    Date(Vec<Option<i32>>),
    /// `string`.
    Str(MutableUtf8Array<i32>),
    /// `list<string>`: offsets and values.
    StrList(Vec<i32>, MutableUtf8Array<i32>),
    /// `bool`.
    Bool(Vec<Option<bool>>),
}

impl Builder {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::I8 => Builder::I8(Vec::new()),
            Kind::I32 => Builder::I32(Vec::new()),
            Kind::I64 => Builder::I64(Vec::new()),
            Kind::Date => Builder::Date(Vec::new()),
            Kind::Str => Builder::Str(MutableUtf8Array::new()),
            Kind::StrList => Builder::StrList(vec![0], MutableUtf8Array::new()),
            Kind::Bool => Builder::Bool(Vec::new()),
        }
    }

    fn finish(self) -> Box<dyn Array> {
        match self {
            Builder::I8(v) => PrimitiveArray::<i8>::from(v).boxed(),
            Builder::I32(v) => PrimitiveArray::<i32>::from(v).boxed(),
            Builder::I64(v) => PrimitiveArray::<i64>::from(v).boxed(),
            Builder::Date(v) => PrimitiveArray::<i32>::from(v)
                .to(ArrowDataType::Date32)
                .boxed(),
            Builder::Str(m) => {
                let a: Utf8Array<i32> = m.into();
                a.boxed()
            }
            Builder::StrList(offsets, values) => {
                let values: Utf8Array<i32> = values.into();
                let offsets = OffsetsBuffer::<i32>::try_from(offsets)
                    .expect("list offsets are built monotonic");
                ListArray::<i32>::new(Kind::StrList.dtype(), offsets, values.boxed(), None).boxed()
            }
            Builder::Bool(v) => polars_arrow::array::BooleanArray::from(v).boxed(),
        }
    }
}

/// A batch being built, column by column, against a fixed [`Schema`].
pub struct BatchBuilder {
    schema: Vec<(&'static str, Kind, bool)>,
    columns: Vec<Builder>,
    len: usize,
}

impl BatchBuilder {
    /// An empty batch of `schema`.
    pub fn new(schema: &[(&'static str, Kind, bool)]) -> Self {
        BatchBuilder {
            schema: schema.to_vec(),
            columns: schema.iter().map(|&(_, k, _)| Builder::new(k)).collect(),
            len: 0,
        }
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Column `c` (its index in the schema), to push this row's value onto.
    pub fn col(&mut self, c: usize) -> &mut Builder {
        &mut self.columns[c]
    }

    /// Ends a row: every column must have had its value pushed.
    pub fn end_row(&mut self) {
        self.len += 1;
    }

    /// The finished batch; the builder starts again empty.
    pub fn take(&mut self) -> Batch {
        let schema = &self.schema;
        let columns = std::mem::replace(
            &mut self.columns,
            schema.iter().map(|&(_, k, _)| Builder::new(k)).collect(),
        );
        let len = std::mem::take(&mut self.len);
        Batch {
            fields: fields(schema),
            columns: columns.into_iter().map(Builder::finish).collect(),
            len,
        }
    }
}

impl Builder {
    /// Pushes an `int8` value.
    pub fn i8(&mut self, v: Option<i8>) {
        match self {
            Builder::I8(c) => c.push(v),
            _ => unreachable!("column type is int8"),
        }
    }

    /// Pushes an `int32` value.
    pub fn i32(&mut self, v: Option<i32>) {
        match self {
            Builder::I32(c) => c.push(v),
            _ => unreachable!("column type is int32"),
        }
    }

    /// Pushes an `int64` value.
    pub fn i64(&mut self, v: Option<i64>) {
        match self {
            Builder::I64(c) => c.push(v),
            _ => unreachable!("column type is int64"),
        }
    }

    /// Pushes a `date32` value.
    pub fn date(&mut self, v: Option<i32>) {
        match self {
            Builder::Date(c) => c.push(v),
            _ => unreachable!("column type is date32"),
        }
    }

    /// Pushes a `string` value.
    pub fn str(&mut self, v: Option<&str>) {
        match self {
            Builder::Str(c) => c.push(v),
            _ => unreachable!("column type is string"),
        }
    }

    /// Pushes a `list<string>` value (never null).
    pub fn str_list<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) {
        match self {
            Builder::StrList(offsets, values) => {
                for s in items {
                    values.push(Some(s));
                }
                offsets.push(i32::try_from(values.len()).expect("list values fit i32"));
            }
            _ => unreachable!("column type is list<string>"),
        }
    }

    /// Pushes a `bool` value.
    pub fn bool(&mut self, v: Option<bool>) {
        match self {
            Builder::Bool(c) => c.push(v),
            _ => unreachable!("column type is bool"),
        }
    }
}

/// A record batch made in Rust. `pyarrow.record_batch(batch)` imports it
/// through the PyCapsule protocol, without a copy.
#[pyclass(module = "residence_py", frozen)]
pub struct Batch {
    fields: Vec<Field>,
    columns: Vec<Box<dyn Array>>,
    len: usize,
}

#[pymethods]
impl Batch {
    /// The Arrow PyCapsule protocol: (schema capsule, array capsule) of a
    /// struct array whose fields are the batch's columns. A requested
    /// schema is not honoured: the batch has the one the module documents.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        drop(requested_schema);
        let dtype = ArrowDataType::Struct(self.fields.clone());
        let array = StructArray::new(dtype.clone(), self.len, self.columns.clone(), None);
        let schema = ffi::export_field_to_c(&Field::new("".into(), dtype, false));
        let array = ffi::export_array_to_c(array.boxed());
        // A capsule the consumer never imports drops its struct, which calls
        // the struct's release; an imported one has release cleared.
        let schema = PyCapsule::new_with_value(py, schema, c"arrow_schema")?;
        let array = PyCapsule::new_with_value(py, array, c"arrow_array")?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }

    /// Rows.
    fn __len__(&self) -> usize {
        self.len
    }

    /// Rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.len
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.to_string()).collect()
    }
}

/// A schema the module's batches have, offered to Python through the
/// PyCapsule protocol: `pyarrow.schema(schema)` imports it, so a caller
/// derives its own declarations (Spark's DDL) from it.
#[pyclass(module = "residence_py", frozen)]
pub struct ArrowSchema {
    fields: Vec<Field>,
}

impl ArrowSchema {
    /// The schema of batches built against `schema`.
    pub fn of(schema: Schema) -> Self {
        ArrowSchema {
            fields: fields(schema),
        }
    }
}

#[pymethods]
impl ArrowSchema {
    /// The Arrow PyCapsule protocol for a schema: a struct of the columns.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let dtype = ArrowDataType::Struct(self.fields.clone());
        let schema = ffi::export_field_to_c(&Field::new("".into(), dtype, false));
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }

    /// The column names, in order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.to_string()).collect()
    }
}

fn fields(schema: &[(&'static str, Kind, bool)]) -> Vec<Field> {
    schema
        .iter()
        .map(|&(name, kind, nullable)| Field::new(name.into(), kind.dtype(), nullable))
        .collect()
}

/// A batch received from Python, as polars-arrow arrays by column name.
pub struct Imported {
    fields: Vec<Field>,
    columns: Vec<Box<dyn Array>>,
    len: usize,
}

/// Imports any object that offers `__arrow_c_array__` (a pyarrow
/// `RecordBatch`, a [`Batch`]) as a struct array of columns.
pub fn import(obj: &Bound<'_, PyAny>) -> PyResult<Imported> {
    let pair = obj.call_method0("__arrow_c_array__")?;
    let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) = pair.extract()?;
    let schema_ptr = schema
        .pointer_checked(Some(c"arrow_schema"))?
        .cast::<ffi::ArrowSchema>();
    let array_ptr = array
        .pointer_checked(Some(c"arrow_array"))?
        .cast::<ffi::ArrowArray>();
    fn fail(e: impl std::fmt::Display) -> PyErr {
        PyValueError::new_err(e.to_string())
    }
    // SAFETY: the capsule named `arrow_schema` holds a valid ArrowSchema
    // (the PyCapsule protocol); it is only read, and its owner releases it.
    let field = unsafe { ffi::import_field_from_c(schema_ptr.as_ref()) }.map_err(fail)?;
    // SAFETY: the capsule named `arrow_array` holds a valid ArrowArray of
    // that schema. It is moved out, leaving a released (empty) struct, as
    // the C data interface asks of a consumer; the import then owns it.
    let array = unsafe {
        let moved = std::ptr::replace(array_ptr.as_ptr(), ffi::ArrowArray::empty());
        ffi::import_array_from_c(moved, field.dtype().clone())
    }
    .map_err(fail)?;
    let Some(structs) = array.as_any().downcast_ref::<StructArray>() else {
        return Err(PyTypeError::new_err(
            "expected a record batch (an Arrow struct array)",
        ));
    };
    let ArrowDataType::Struct(fields) = structs.dtype() else {
        return Err(PyTypeError::new_err("expected a record batch"));
    };
    Ok(Imported {
        fields: fields.clone(),
        columns: structs.values().to_vec(),
        len: structs.len(),
    })
}

/// A text column of an imported batch, `string` or `large_string`.
pub enum TextColumn<'a> {
    /// 32-bit offsets.
    Small(&'a Utf8Array<i32>),
    /// 64-bit offsets.
    Large(&'a Utf8Array<i64>),
}

impl TextColumn<'_> {
    /// Row `i`'s text, `None` when null.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self {
            TextColumn::Small(a) => a.get(i),
            TextColumn::Large(a) => a.get(i),
        }
    }
}

impl Imported {
    /// Rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn column(&self, name: &str) -> PyResult<&dyn Array> {
        self.fields
            .iter()
            .position(|f| f.name.as_str() == name)
            .map(|i| self.columns[i].as_ref())
            .ok_or_else(|| PyValueError::new_err(format!("the batch has no column {name:?}")))
    }

    /// True when the batch has a column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name.as_str() == name)
    }

    /// A `string` or `large_string` column.
    pub fn text(&self, name: &str) -> PyResult<TextColumn<'_>> {
        let c = self.column(name)?;
        if let Some(a) = c.as_any().downcast_ref::<Utf8Array<i32>>() {
            return Ok(TextColumn::Small(a));
        }
        if let Some(a) = c.as_any().downcast_ref::<Utf8Array<i64>>() {
            return Ok(TextColumn::Large(a));
        }
        Err(PyTypeError::new_err(format!(
            "column {name:?} is {:?}, not string",
            c.dtype()
        )))
    }

    /// A primitive column of `T` (`date32` is `i32`).
    pub fn primitive<T: polars_arrow::types::NativeType>(
        &self,
        name: &str,
    ) -> PyResult<&PrimitiveArray<T>> {
        let c = self.column(name)?;
        c.as_any()
            .downcast_ref::<PrimitiveArray<T>>()
            .ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "column {name:?} is {:?}, not {}",
                    c.dtype(),
                    std::any::type_name::<T>()
                ))
            })
    }
}
