//! `facegate._core` classes and functions for template protection.
//!
//! Key objects are opaque handles to Rust memory: Python code can wrap, unwrap and seal with
//! them but never read their bytes (the KMS hook is the one, documented, exception).

use crate::errors::{InvalidArgument, to_py};
use crate::gallery::PyGallery;
use crate::keyfile;
use facegate_core::protect::{
    self, DataKey, MasterKey, Rotation, SealContext, SealedItem, WrappedItem,
    open_wrapped_into_gallery,
};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

use facegate_core::protect::WRAPPED_KEY_LEN as WRAPPED_LEN;

fn hex_id(id: [u8; 8]) -> String {
    hex::encode(id)
}

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
    fn generate() -> PyResult<Self> {
        Ok(master(MasterKey::generate().map_err(to_py)?))
    }

    #[staticmethod]
    fn create_file(path: PathBuf) -> PyResult<Self> {
        Ok(master(keyfile::create(&path)?))
    }

    #[staticmethod]
    fn from_file(path: PathBuf) -> PyResult<Self> {
        Ok(master(keyfile::load(&path)?))
    }

    #[staticmethod]
    fn from_env(name: &str) -> PyResult<Self> {
        Ok(master(keyfile::from_env(name)?))
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        Ok(master(MasterKey::from_bytes(data).map_err(to_py)?))
    }

    #[getter]
    fn id(&self) -> String {
        hex_id(self.inner.id())
    }

    fn wrap<'py>(
        &self,
        py: Python<'py>,
        key: &PyDataKey,
        subject: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let wrapped = self
            .inner
            .wrap(&key.inner, subject.as_bytes())
            .map_err(to_py)?;
        Ok(PyBytes::new(py, &wrapped))
    }

    fn unwrap(&self, wrapped: &[u8], subject: &str) -> PyResult<PyDataKey> {
        let key = self
            .inner
            .unwrap(wrapped, subject.as_bytes())
            .map_err(to_py)?;
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
    ) -> PyResult<Bound<'py, PyBytes>> {
        let moved = self
            .inner
            .rewrap(wrapped, subject.as_bytes(), &new.inner)
            .map_err(to_py)?;
        Ok(PyBytes::new(py, &moved))
    }

    fn __repr__(&self) -> String {
        format!("MasterKey(id={})", self.id())
    }
}

#[pymethods]
impl PyDataKey {
    #[staticmethod]
    fn generate() -> PyResult<Self> {
        Ok(Self {
            inner: Arc::new(DataKey::generate().map_err(to_py)?),
        })
    }

    /// The KMS hook: a data key that a key service returned.
    #[staticmethod]
    fn _from_kms(data: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: Arc::new(DataKey::from_bytes(data).map_err(to_py)?),
        })
    }

    /// The KMS hook: the key's bytes, for a key service to wrap.
    fn _to_kms<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.secret_bytes())
    }

    #[getter]
    fn id(&self) -> String {
        hex_id(self.inner.id())
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
    ) -> PyResult<Self> {
        let key = Arc::clone(&master.inner);
        let inner = py
            .detach(|| Rotation::derive(&key, deployment.as_bytes(), epoch, dim))
            .map_err(to_py)?;
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
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        self.turn(py, rows, false)
    }

    fn apply_inverse<'py>(
        &self,
        py: Python<'py>,
        rows: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
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
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (values, cols) = crate::gallery::copy_matrix(&rows);
        let out = py
            .detach(|| {
                if cols != self.inner.dim() {
                    return Err(facegate_core::CoreError::DimensionMismatch {
                        expected: self.inner.dim(),
                        got: cols,
                    });
                }
                if inverse {
                    self.inner.apply_inverse(&values)
                } else {
                    self.inner.apply(&values)
                }
            })
            .map_err(to_py)?;
        let shape = (values.len() / cols.max(1), cols);
        Ok(Array2::from_shape_vec(shape, out.to_vec())
            .expect("rows × dim")
            .into_pyarray(py))
    }
}

/// Bytes of a sealed template of `dim` values.
#[pyfunction]
pub fn sealed_len(dim: usize) -> usize {
    protect::sealed_len(dim)
}

/// Bytes of a wrapped data key.
#[pyfunction]
pub fn wrapped_len() -> usize {
    WRAPPED_LEN
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
) -> PyResult<Bound<'py, PyBytes>> {
    let values = Zeroizing::new(template.as_array().to_vec());
    let ctx = SealContext {
        deployment: deployment.as_bytes(),
        subject: subject.as_bytes(),
        template: template_id,
    };
    let sealed = protect::seal(&values, &key.inner, &ctx).map_err(to_py)?;
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
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let ctx = SealContext {
        deployment: deployment.as_bytes(),
        subject: subject.as_bytes(),
        template: template_id,
    };
    let values = protect::open(sealed, &key.inner, &ctx).map_err(to_py)?;
    Ok(values.to_vec().into_pyarray(py))
}

/// Unwraps each row's data key with `master`, opens each sealed template and adds them all to
/// `gallery`, in parallel with the GIL released; all or nothing. `sealed` and `wrapped` are the
/// rows' fixed-length records concatenated.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // mirrors the store's columns one to one
pub fn open_into_gallery(
    py: Python<'_>,
    gallery: &PyGallery,
    master: &PyMasterKey,
    ids: PyReadonlyArray1<'_, u64>,
    sealed: &[u8],
    wrapped: &[u8],
    subjects: Vec<String>,
    deployment: &str,
) -> PyResult<()> {
    let ids = ids.as_array().to_vec();
    let n = ids.len();
    let dim = gallery.read()?.dim();
    let record = protect::sealed_len(dim);
    if sealed.len() != n * record || wrapped.len() != n * WRAPPED_LEN || subjects.len() != n {
        return Err(InvalidArgument::new_err(format!(
            "{n} ids need {n} sealed templates of {record} bytes, {n} wrapped keys of \
             {WRAPPED_LEN} bytes and {n} subjects; got {} bytes, {} bytes and {} subjects",
            sealed.len(),
            wrapped.len(),
            subjects.len()
        )));
    }
    let (sealed, wrapped) = (sealed.to_vec(), wrapped.to_vec());
    let key = Arc::clone(&master.inner);
    py.detach(|| {
        let items: Vec<WrappedItem<'_>> = (0..n)
            .map(|i| WrappedItem {
                id: ids[i],
                sealed: &sealed[i * record..(i + 1) * record],
                wrapped_key: &wrapped[i * WRAPPED_LEN..(i + 1) * WRAPPED_LEN],
                context: SealContext {
                    deployment: deployment.as_bytes(),
                    subject: subjects[i].as_bytes(),
                    template: ids[i],
                },
            })
            .collect();
        let mut target = gallery.write()?;
        open_wrapped_into_gallery(&mut target, &key, &items).map_err(to_py)
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
    sealed: &[u8],
    subjects: Vec<String>,
    deployment: &str,
) -> PyResult<()> {
    let ids = ids.as_array().to_vec();
    let n = ids.len();
    let dim = gallery.read()?.dim();
    let record = protect::sealed_len(dim);
    if sealed.len() != n * record || keys.len() != n || subjects.len() != n {
        return Err(InvalidArgument::new_err(format!(
            "{n} ids need {n} sealed templates of {record} bytes, {n} keys and {n} subjects"
        )));
    }
    let keys: Vec<Arc<DataKey>> = keys.iter().map(|k| Arc::clone(&k.inner)).collect();
    let sealed = sealed.to_vec();
    py.detach(|| {
        let items: Vec<SealedItem<'_>> = (0..n)
            .map(|i| SealedItem {
                id: ids[i],
                sealed: &sealed[i * record..(i + 1) * record],
                key: &keys[i],
                context: SealContext {
                    deployment: deployment.as_bytes(),
                    subject: subjects[i].as_bytes(),
                    template: ids[i],
                },
            })
            .collect();
        let mut target = gallery.write()?;
        protect::open_into_gallery(&mut target, &items).map_err(to_py)
    })
}
