//! The core's one error type. The binding maps each variant to one Python exception class
//! (`facegate.errors`), so a variant is a promise about what the caller did wrong.
//!
//! Messages name positions, ids and sizes, never vector values: a template is biometric data and
//! must not reach logs or exception text.

use std::fmt;

/// Largest magnitude a vector component may have. Squared differences of values this large still
/// sum to a finite f32 over thousands of dimensions, so no distance can overflow to infinity.
pub const MAX_ABS_VALUE: f32 = 1e15;

/// Everything a core call can refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A vector or batch whose width is not the gallery's dimension.
    DimensionMismatch { expected: usize, got: usize },
    /// Row `row` of a batch holds NaN, an infinity or a value beyond [`MAX_ABS_VALUE`].
    OutOfRange { row: usize },
    /// Row `row` has zero length and so no direction for the cosine metric.
    ZeroNorm { row: usize },
    /// `id` is not in the gallery.
    UnknownId { id: u64 },
    /// `id` is already in the gallery.
    DuplicateId { id: u64 },
    /// `id` appears more than once in one batch.
    RepeatedId { id: u64 },
    /// The id reserved as the "no result" sentinel was passed as a real id.
    ReservedId,
    /// `ids` and `vectors` disagree on how many rows there are.
    LengthMismatch { ids: usize, rows: usize },
    /// A parameter outside its documented range.
    InvalidArgument(String),
    /// Sealed bytes whose authentication tag does not verify: altered, truncated, moved to
    /// another row or deployment, or sealed under another key of the same id.
    Tampered { what: &'static str },
    /// Sealed bytes made under a different key than the one given.
    WrongKey { what: &'static str },
    /// Sealed bytes of a format version this build cannot read.
    UnsupportedVersion { what: &'static str, version: u8 },
    /// Bytes too short or of the wrong kind to be what they claim.
    Malformed { what: &'static str },
    /// `template` failed to open while loading a batch; nothing was loaded.
    BatchItem {
        template: u64,
        cause: Box<CoreError>,
    },
    /// The operating system's random number generator failed.
    Entropy,
    /// A dlib model file (the face-recognition network, the face detector, a shape predictor)
    /// is not the file this build reads: truncated, altered, extended or another model. `offset` is the byte where reading stopped; `what` says what
    /// was expected there (never the bytes found).
    ModelFormat { offset: u64, what: String },
    /// A dlib model file could not be read at all.
    ModelIo { kind: std::io::ErrorKind },
    /// A master key could not be read or written: `message` says which file or variable and
    /// why (never the key).
    KeyFile { message: String },
    /// A key file that group or others may access (`mode` is its permission bits).
    InsecureKeyFile { path: String, mode: u32 },
    /// A forked process could not start the worker threads of its own pool (`message` is the
    /// operating system's reason).
    Threads { message: String },
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DimensionMismatch { expected, got } => {
                write!(
                    f,
                    "expected vectors of dimension {expected}, got dimension {got}"
                )
            }
            Self::OutOfRange { row } => write!(
                f,
                "row {row} contains NaN, an infinity or a value beyond +/-{MAX_ABS_VALUE:e}"
            ),
            Self::ZeroNorm { row } => {
                write!(
                    f,
                    "row {row} is the zero vector, which has no cosine distance"
                )
            }
            Self::UnknownId { id } => write!(f, "id {id} is not in the gallery"),
            Self::DuplicateId { id } => write!(f, "id {id} is already present"),
            Self::RepeatedId { id } => write!(f, "id {id} appears more than once in the batch"),
            Self::ReservedId => write!(
                f,
                "id 18446744073709551615 (2**64 - 1) is reserved as the no-result sentinel"
            ),
            Self::LengthMismatch { ids, rows } => {
                write!(f, "{ids} ids were given for {rows} vectors")
            }
            Self::InvalidArgument(what) => f.write_str(what),
            Self::Tampered { what } => write!(
                f,
                "{what} failed authentication: it was altered, truncated or moved to another \
                 record; it cannot be opened (report it as an integrity incident)"
            ),
            Self::WrongKey { what } => write!(
                f,
                "{what} was sealed under a different key; load the key it was made with"
            ),
            Self::UnsupportedVersion { what, version } => write!(
                f,
                "{what} has format version {version}, which this facegate cannot read; upgrade"
            ),
            Self::Malformed { what } => write!(f, "{what} is malformed (wrong length or kind)"),
            Self::BatchItem { template, cause } => {
                write!(f, "template {template}: {cause}; nothing was loaded")
            }
            Self::Entropy => f.write_str("the operating system's random number generator failed"),
            Self::ModelFormat { offset, what } => write!(
                f,
                "a dlib model file is not the expected file: at byte {offset} expected \
                 {what}; reinstall dlib-bin and face_recognition_models"
            ),
            Self::ModelIo { kind } => write!(
                f,
                "a dlib model file could not be read ({kind}); reinstall dlib-bin and \
                 face_recognition_models"
            ),
            Self::KeyFile { message } => f.write_str(message),
            Self::InsecureKeyFile { path, mode } => write!(
                f,
                "key file {path} has mode {mode:04o}; group and others must have no access \
                 (run: chmod 600 {path})"
            ),
            Self::Threads { message } => write!(
                f,
                "could not start worker threads in this process ({message}); the system's \
                 limit on threads or memory may be reached"
            ),
        }
    }
}

impl std::error::Error for CoreError {}
