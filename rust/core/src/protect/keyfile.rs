//! Master-key files and environment variables: the one place the key's text form is read or
//! written, so that the key never passes through a language runtime that cannot wipe it.
//!
//! A key file holds one line, `facegate-master-key-v1:` followed by 64 hex digits. It is created
//! with mode 0600 and refused when group or others can read or write it.

use super::keys::{KEY_LEN, MasterKey};
use crate::CoreError;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

const PREFIX: &str = "facegate-master-key-v1:";

/// `KeyFile` for `path`: "cannot <verb> key file <path>: <why>".
fn key_file(verb: &str, path: &Path, why: impl std::fmt::Display) -> CoreError {
    CoreError::KeyFile {
        message: format!("cannot {verb} key file {}: {why}", path.display()),
    }
}

/// Writes a new random key to `path`, which must not exist yet, with mode 0600.
pub fn create_key_file(path: &Path) -> Result<MasterKey, CoreError> {
    let key = MasterKey::generate()?;
    let text = Zeroizing::new(format!("{PREFIX}{}\n", hex::encode(key.secret_bytes())));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| key_file("create", path, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| key_file("write", path, e))?;
    Ok(key)
}

/// Reads the key in `path`, refusing a file that group or others may read or write.
pub fn read_key_file(path: &Path) -> Result<MasterKey, CoreError> {
    let meta = std::fs::metadata(path).map_err(|e| key_file("read", path, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CoreError::InsecureKeyFile {
            path: path.display().to_string(),
            mode,
        });
    }
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| key_file("read", path, e))?);
    parse(&text).ok_or_else(|| CoreError::KeyFile {
        message: format!(
            "key file {} does not hold a key ({PREFIX} and 64 hex digits)",
            path.display()
        ),
    })
}

/// Reads the key from environment variable `name` (the key file's line, or just the hex).
pub fn key_from_env(name: &str) -> Result<MasterKey, CoreError> {
    let value = Zeroizing::new(std::env::var(name).map_err(|_| CoreError::KeyFile {
        message: format!("environment variable {name} is not set (or not UTF-8)"),
    })?);
    parse(&value).ok_or_else(|| CoreError::KeyFile {
        message: format!(
            "environment variable {name} does not hold a key ({PREFIX} and 64 hex digits)"
        ),
    })
}

fn parse(text: &str) -> Option<MasterKey> {
    let digits = text.trim().strip_prefix(PREFIX).unwrap_or(text.trim());
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(digits, bytes.as_mut()).ok()?;
    MasterKey::from_bytes(bytes.as_ref()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("facegate-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn a_created_file_reads_back_as_the_same_key_and_is_private() {
        let path = scratch("made.key");
        let made = create_key_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_key_file(&path).unwrap().id(), made.id());
        assert!(matches!(
            create_key_file(&path),
            Err(CoreError::KeyFile { .. })
        ));
    }

    #[test]
    fn a_file_others_can_read_is_refused_with_its_mode() {
        let path = scratch("open.key");
        create_key_file(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = read_key_file(&path).unwrap_err();
        assert!(matches!(
            refused,
            CoreError::InsecureKeyFile { mode: 0o644, .. }
        ));
        assert!(refused.to_string().contains("chmod 600"));
    }

    #[test]
    fn text_that_is_not_a_key_is_refused_without_echoing_it() {
        let path = scratch("junk.key");
        std::fs::write(&path, "facegate-master-key-v1:secretsecret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let refused = read_key_file(&path).unwrap_err().to_string();
        assert!(
            refused.contains("does not hold a key") && !refused.contains("secretsecret"),
            "{refused}"
        );
    }
}
