//! The one conversion from core errors to Python exceptions.
//!
//! The exception classes are defined in Python (`facegate/errors.py`) and imported here, so Rust
//! and Python raise from one documented hierarchy. Binding functions return [`Result`], so `?`
//! converts a [`CoreError`] (or a `PyErr`) in this one place.

use facegate_core::CoreError;
use pyo3::PyErr;

pyo3::import_exception!(facegate.errors, InvalidArgument);
pyo3::import_exception!(facegate.errors, InvalidTemplate);
pyo3::import_exception!(facegate.errors, DuplicateId);
pyo3::import_exception!(facegate.errors, UnknownId);
pyo3::import_exception!(facegate.errors, InternalError);
pyo3::import_exception!(facegate.errors, TamperedData);
pyo3::import_exception!(facegate.errors, WrongKey);
pyo3::import_exception!(facegate.errors, UnsupportedFormat);
pyo3::import_exception!(facegate.errors, MalformedData);
pyo3::import_exception!(facegate.errors, KeyFileError);
pyo3::import_exception!(facegate.errors, InsecureKeyFile);
pyo3::import_exception!(facegate.errors, DetectorUnavailable);

/// An error on its way to Python: a core refusal, or an exception Python already raised.
pub struct Error(PyErr);

/// What every binding function returns.
pub type Result<T> = std::result::Result<T, Error>;

impl From<CoreError> for Error {
    /// Maps each core refusal to its exception class; the message never holds vector values.
    fn from(err: CoreError) -> Self {
        let msg = err.to_string();
        // A batch failure is raised as its cause's class, with the template id in the message.
        let kind = match err {
            CoreError::BatchItem { cause, .. } => *cause,
            other => other,
        };
        Self(match kind {
            CoreError::DimensionMismatch { .. }
            | CoreError::OutOfRange { .. }
            | CoreError::ZeroNorm { .. } => InvalidTemplate::new_err(msg),
            CoreError::DuplicateId { .. } | CoreError::RepeatedId { .. } => {
                DuplicateId::new_err(msg)
            }
            CoreError::UnknownId { .. } => UnknownId::new_err(msg),
            CoreError::ReservedId
            | CoreError::LengthMismatch { .. }
            | CoreError::InvalidArgument(_) => InvalidArgument::new_err(msg),
            CoreError::Tampered { .. } => TamperedData::new_err(msg),
            CoreError::WrongKey { .. } => WrongKey::new_err(msg),
            CoreError::UnsupportedVersion { .. } => UnsupportedFormat::new_err(msg),
            CoreError::Malformed { .. } => MalformedData::new_err(msg),
            CoreError::BatchItem { .. } | CoreError::Entropy | CoreError::Threads { .. } => {
                InternalError::new_err(msg)
            }
            // A damaged or unreadable model leaves the encoder unavailable: the message says to
            // reinstall the package that ships it.
            CoreError::ModelFormat { .. } | CoreError::ModelIo { .. } => {
                DetectorUnavailable::new_err(msg)
            }
            CoreError::KeyFile { .. } => KeyFileError::new_err(msg),
            CoreError::InsecureKeyFile { .. } => InsecureKeyFile::new_err(msg),
        })
    }
}

impl From<PyErr> for Error {
    fn from(err: PyErr) -> Self {
        Self(err)
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> Self {
        err.0
    }
}

/// A lock poisoned by a panic in another thread: the gallery may be half-updated.
pub fn poisoned() -> Error {
    Error(InternalError::new_err(
        "the gallery is unusable after an internal error in another thread; rebuild it",
    ))
}
