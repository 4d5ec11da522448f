//! `facegate._core` classes and functions for template protection.
//!
//! Key objects are opaque handles to Rust memory: Python code can wrap, unwrap and seal with
//! them but never read their bytes (the KMS hook is the one, documented, exception).

use crate::detach::detached;
use crate::errors::{Error, Result};
use crate::gallery::PyGallery;
use facegate_core::CoreError;
use facegate_core::protect::{
    self, DataKey, MasterKey, Rotation, SealContext, SealedItem, WrappedItem, hex_id,
    open_wrapped_into_gallery,
};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The key-encryption key.
#[pyclass(frozen, name = "MasterKey", module = "facegate._core")]
pub struct PyMasterKey {
    pub(crate) inner: Arc<MasterKey>,
}

/// A subject's data key.
#[pyclass(frozen, name = "DataKey", module = "facegate._core")]
pub struct PyDataKey {
    inner: Arc<DataKey>,
}

/// A deployment's secret rotation.
#[pyclass(frozen, name = "Rotation", module = "facegate._core")]
pub struct PyRotation {
    inner: Rotation,
}

fn master(key: MasterKey) -> PyMasterKey {
    PyMasterKey {
        inner: Arc::new(key),
    }
}

#[pymethods]
impl PyMasterKey {
    #[staticmethod]
    fn generate() -> Result<Self> {
        Ok(master(MasterKey::generate()?))
    }

    /// File I/O with the GIL released: a slow or hung file system stops this call only.
    #[staticmethod]
    fn create_file(py: Python<'_>, path: PathBuf) -> Result<Self> {
        Ok(master(detached(py, || protect::create_key_file(&path))?))
    }

    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> Result<Self> {
        Ok(master(detached(py, || protect::read_key_file(&path))?))
    }

    #[staticmethod]
    fn from_env(name: &str) -> Result<Self> {
        Ok(master(protect::key_from_env(name)?))
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> Result<Self> {
        Ok(master(MasterKey::from_bytes(data)?))
    }

    #[getter]
    fn id(&self) -> String {
        hex_id(&self.inner.id())
    }

    fn wrap<'py>(
        &self,
        py: Python<'py>,
        key: &PyDataKey,
        subject: &str,
    ) -> Result<Bound<'py, PyBytes>> {
        let wrapped = self.inner.wrap(&key.inner, subject.as_bytes())?;
        Ok(PyBytes::new(py, &wrapped))
    }

    fn unwrap(&self, wrapped: &[u8], subject: &str) -> Result<PyDataKey> {
        let key = self.inner.unwrap(wrapped, subject.as_bytes())?;
        Ok(PyDataKey {
            inner: Arc::new(key),
        })
    }

    fn rewrap<'py>(
        &self,
        py: Python<'py>,
        wrapped: &[u8],
        subject: &str,
        new: &PyMasterKey,
    ) -> Result<Bound<'py, PyBytes>> {
        let moved = self.inner.rewrap(wrapped, subject.as_bytes(), &new.inner)?;
        Ok(PyBytes::new(py, &moved))
    }

    /// The KMS hook: a derivation root (rotations, audit tags) from a random key that the key
    /// service wraps, for stores whose master key never leaves the service.
    #[staticmethod]
    fn _from_data_key(key: &PyDataKey) -> Result<Self> {
        Ok(master(MasterKey::from_bytes(key.inner.secret_bytes())?))
    }

    fn tag<'py>(&self, py: Python<'py>, domain: &str, message: &[u8]) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.tag(domain, message))
    }

    fn ratchet(&self, label: &[u8]) -> Result<Self> {
        Ok(master(self.inner.ratchet(label)?))
    }

    fn write_file(&self, py: Python<'_>, path: PathBuf) -> Result<()> {
        let key = Arc::clone(&self.inner);
        detached(py, move || protect::write_key_file(&key, &path))
    }

    fn check_tag(&self, domain: &str, message: &[u8], tag: &[u8]) -> bool {
        self.inner.check_tag(domain, message, tag)
    }

    fn __repr__(&self) -> String {
        format!("MasterKey(id={})", self.id())
    }
}

#[pymethods]
impl PyDataKey {
    #[staticmethod]
    fn generate() -> Result<Self> {
        Ok(Self {
            inner: Arc::new(DataKey::generate()?),
        })
    }

    /// The KMS hook: a data key that a key service returned.
    #[staticmethod]
    fn _from_kms(data: &[u8]) -> Result<Self> {
        Ok(Self {
            inner: Arc::new(DataKey::from_bytes(data)?),
        })
    }

    /// The KMS hook: the key's bytes, for a key service to wrap.
    fn _to_kms<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.secret_bytes())
    }

    #[getter]
    fn id(&self) -> String {
        hex_id(&self.inner.id())
    }

    fn __repr__(&self) -> String {
        format!("DataKey(id={})", self.id())
    }
}

#[pymethods]
impl PyRotation {
    #[staticmethod]
    #[pyo3(signature = (master, deployment, epoch = 0, dim = 128))]
    fn derive(
        py: Python<'_>,
        master: &PyMasterKey,
        deployment: &str,
        epoch: u32,
        dim: usize,
    ) -> Result<Self> {
        let key = Arc::clone(&master.inner);
        let inner = detached(py, || {
            Rotation::derive(&key, deployment.as_bytes(), epoch, dim)
        })?;
        Ok(Self { inner })
    }

    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn apply<'py>(
        &self,
        py: Python<'py>,
        rows: PyReadonlyArray2<'py, f32>,
    ) -> Result<Bound<'py, PyArray2<f32>>> {
        self.turn(py, rows, false)
    }

    fn apply_inverse<'py>(
        &self,
        py: Python<'py>,
        rows: PyReadonlyArray2<'py, f32>,
    ) -> Result<Bound<'py, PyArray2<f32>>> {
        self.turn(py, rows, true)
    }

    fn __repr__(&self) -> String {
        format!("Rotation(dim={})", self.inner.dim())
    }
}

impl PyRotation {
    fn turn<'py>(
        &self,
        py: Python<'py>,
        rows: PyReadonlyArray2<'py, f32>,
        inverse: bool,
    ) -> Result<Bound<'py, PyArray2<f32>>> {
        let (values, cols) = crate::gallery::copy_matrix(&rows);
        let out = detached(py, || {
            if cols != self.inner.dim() {
                return Err(CoreError::DimensionMismatch {
                    expected: self.inner.dim(),
                    got: cols,
                });
            }
            if inverse {
                self.inner.apply_inverse(&values)
            } else {
                self.inner.apply(&values)
            }
        })?;
        let shape = (values.len() / cols.max(1), cols);
        Ok(Array2::from_shape_vec(shape, out.to_vec())
            .expect("rows × dim")
            .into_pyarray(py))
    }
}

/// Re-keys one sealed template from rotation `old` to `new`; plaintext stays in Rust.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // the seal context's three fields plus two rotations
pub fn renew_template<'py>(
    py: Python<'py>,
    sealed: &[u8],
    key: &PyDataKey,
    deployment: &str,
    subject: &str,
    template_id: u64,
    old: &PyRotation,
    new: &PyRotation,
) -> Result<Bound<'py, PyBytes>> {
    let ctx = SealContext {
        deployment: deployment.as_bytes(),
        subject: subject.as_bytes(),
        template: template_id,
    };
    let renewed = protect::renew(sealed, &key.inner, &ctx, &old.inner, &new.inner)?;
    Ok(PyBytes::new(py, &renewed))
}

/// Bytes of a sealed template of `dim` values.
#[pyfunction]
pub fn sealed_len(dim: usize) -> usize {
    protect::sealed_len(dim)
}

/// Seals one template.
#[pyfunction]
pub fn seal_template<'py>(
    py: Python<'py>,
    template: PyReadonlyArray1<'py, f32>,
    key: &PyDataKey,
    deployment: &str,
    subject: &str,
    template_id: u64,
) -> Result<Bound<'py, PyBytes>> {
    let values = Zeroizing::new(template.as_array().to_vec());
    let ctx = SealContext {
        deployment: deployment.as_bytes(),
        subject: subject.as_bytes(),
        template: template_id,
    };
    let sealed = protect::seal(&values, &key.inner, &ctx)?;
    Ok(PyBytes::new(py, &sealed))
}

/// Opens one template (for 1:1 verification; loading a gallery uses `open_into_gallery`).
#[pyfunction]
pub fn open_template<'py>(
    py: Python<'py>,
    sealed: &[u8],
    key: &PyDataKey,
    deployment: &str,
    subject: &str,
    template_id: u64,
) -> Result<Bound<'py, PyArray1<f32>>> {
    let ctx = SealContext {
        deployment: deployment.as_bytes(),
        subject: subject.as_bytes(),
        template: template_id,
    };
    let values = protect::open(sealed, &key.inner, &ctx)?;
    Ok(values.to_vec().into_pyarray(py))
}

/// Borrows the bytes of each object and the text of each string, so the GIL can be released
/// without copying: `bytes` and `str` are immutable and `rows` keeps them alive for the call.
/// What the bytes hold (their lengths included) is the core's to judge.
struct Rows<'a> {
    sealed: Vec<&'a [u8]>,
    subjects: Vec<&'a str>,
}

impl Rows<'_> {
    /// The seal context of row `i`: the template id is the row's gallery id.
    fn context<'s>(&'s self, i: usize, id: u64, deployment: &'s str) -> SealContext<'s> {
        SealContext {
            deployment: deployment.as_bytes(),
            subject: self.subjects[i].as_bytes(),
            template: id,
        }
    }
}

/// `LengthMismatch` unless every column has as many rows as there are ids.
fn same_length(ids: usize, columns: &[usize]) -> Result<()> {
    match columns.iter().find(|&&rows| rows != ids) {
        Some(&rows) => Err(CoreError::LengthMismatch { ids, rows }.into()),
        None => Ok(()),
    }
}

fn borrow_rows<'a, 'py>(
    ids: &PyReadonlyArray1<'_, u64>,
    sealed: &'a [Bound<'py, PyBytes>],
    subjects: &'a [Bound<'py, PyString>],
) -> Result<(Vec<u64>, Rows<'a>)> {
    let ids = ids.as_array().to_vec();
    same_length(ids.len(), &[sealed.len(), subjects.len()])?;
    let sealed: Vec<&[u8]> = sealed.iter().map(|b| b.as_bytes()).collect();
    let subjects = subjects
        .iter()
        .map(|s| s.to_str())
        .collect::<PyResult<Vec<&str>>>()?;
    Ok((ids, Rows { sealed, subjects }))
}

/// Unwraps each row's data key with `master`, opens each sealed template and adds them all to
/// `gallery`, in parallel with the GIL released; all or nothing.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // mirrors the store's columns one to one
pub fn open_into_gallery(
    py: Python<'_>,
    gallery: &PyGallery,
    master: &PyMasterKey,
    ids: PyReadonlyArray1<'_, u64>,
    sealed: Vec<Bound<'_, PyBytes>>,
    wrapped: Vec<Bound<'_, PyBytes>>,
    subjects: Vec<Bound<'_, PyString>>,
    deployment: &str,
) -> Result<()> {
    let (ids, rows) = borrow_rows(&ids, &sealed, &subjects)?;
    let wrapped: Vec<&[u8]> = wrapped.iter().map(|b| b.as_bytes()).collect();
    same_length(ids.len(), &[wrapped.len()])?;
    let key = Arc::clone(&master.inner);
    detached(py, || {
        let items: Vec<WrappedItem<'_>> = (0..ids.len())
            .map(|i| WrappedItem {
                id: ids[i],
                sealed: rows.sealed[i],
                wrapped_key: wrapped[i],
                context: rows.context(i, ids[i], deployment),
            })
            .collect();
        let mut target = gallery.write()?;
        Ok::<_, Error>(open_wrapped_into_gallery(&mut target, &key, &items)?)
    })
}

/// Like `open_into_gallery` for data keys already unwrapped (the KMS path, where a key service
/// unwraps them): `keys[i]` opens row i.
#[pyfunction]
pub fn open_keys_into_gallery(
    py: Python<'_>,
    gallery: &PyGallery,
    keys: Vec<PyRef<'_, PyDataKey>>,
    ids: PyReadonlyArray1<'_, u64>,
    sealed: Vec<Bound<'_, PyBytes>>,
    subjects: Vec<Bound<'_, PyString>>,
    deployment: &str,
) -> Result<()> {
    let (ids, rows) = borrow_rows(&ids, &sealed, &subjects)?;
    same_length(ids.len(), &[keys.len()])?;
    let keys: Vec<Arc<DataKey>> = keys.iter().map(|k| Arc::clone(&k.inner)).collect();
    detached(py, || {
        let items: Vec<SealedItem<'_>> = (0..ids.len())
            .map(|i| SealedItem {
                id: ids[i],
                sealed: rows.sealed[i],
                key: &keys[i],
                context: rows.context(i, ids[i], deployment),
            })
            .collect();
        let mut target = gallery.write()?;
        Ok::<_, Error>(protect::open_into_gallery(&mut target, &items)?)
    })
}
