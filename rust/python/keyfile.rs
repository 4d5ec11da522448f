//! Master-key files and environment variables, read and written in Rust so that the key never
//! becomes a Python `bytes` object (Python cannot wipe its memory).
//!
//! The file holds one line, `facegate-master-key-v1:` followed by 64 hex digits. It is created
//! with mode 0600 and refused when group or others can read or write it.

use crate::errors::{InsecureKeyFile, KeyFileError};
use facegate_core::protect::{KEY_LEN, MasterKey};
use pyo3::prelude::*;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

const PREFIX: &str = "facegate-master-key-v1:";

/// Writes a new random key to `path`, which must not exist yet.
pub fn create(path: &Path) -> PyResult<MasterKey> {
    let key = MasterKey::generate().map_err(crate::errors::to_py)?;
    let text = Zeroizing::new(format!("{PREFIX}{}\n", hex::encode(key.secret_bytes())));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            KeyFileError::new_err(format!("cannot create key file {}: {e}", path.display()))
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            KeyFileError::new_err(format!("cannot write key file {}: {e}", path.display()))
        })?;
    Ok(key)
}

/// Reads the key in `path`, refusing a file that group or others may read or write.
pub fn load(path: &Path) -> PyResult<MasterKey> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| KeyFileError::new_err(format!("cannot read key file {shown}: {e}")))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(InsecureKeyFile::new_err(format!(
            "key file {shown} has mode {mode:04o}; group and others must have no access \
             (run: chmod 600 {shown})"
        )));
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| KeyFileError::new_err(format!("cannot read key file {shown}: {e}")))?,
    );
    parse(&text).map_err(|why| KeyFileError::new_err(format!("key file {shown} {why}")))
}

/// Reads the key from environment variable `name` (the key file's line, or just the hex).
pub fn from_env(name: &str) -> PyResult<MasterKey> {
    let value = Zeroizing::new(std::env::var(name).map_err(|_| {
        KeyFileError::new_err(format!(
            "environment variable {name} is not set (or not UTF-8)"
        ))
    })?);
    parse(&value).map_err(|why| KeyFileError::new_err(format!("environment variable {name} {why}")))
}

fn parse(text: &str) -> Result<MasterKey, String> {
    let digits = text.trim().strip_prefix(PREFIX).unwrap_or(text.trim());
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(digits, bytes.as_mut())
        .map_err(|_| format!("does not hold a key ({PREFIX} and 64 hex digits)"))?;
    MasterKey::from_bytes(bytes.as_ref()).map_err(|e| e.to_string())
}
