//! Master-key files and environment variables: the one place the key's text form is read or
//! written, so that the key never passes through a language runtime that cannot wipe it.
//!
//! A key file holds one line, `facegate-master-key-v1:` followed by 64 hex digits. It is created
//! with mode 0600 and refused when group or others can read or write it, when it is not a
//! regular file (a FIFO, a device, a directory, a socket), or when it is larger than a key
//! file can be. Reading never blocks: the file is opened non-blocking and checked through the
//! open descriptor, so a FIFO is refused at once and cannot be swapped in after the check.

use super::keys::{KEY_LEN, MasterKey};
use crate::CoreError;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

const PREFIX: &str = "facegate-master-key-v1:";

/// Largest key file read: a key line is 88 bytes; room for CRLF, spaces and a comment-free
/// editor's trailing newlines, no room for a file that is something else.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// `KeyFile` for `path`: "cannot <verb> key file <path>: <why>".
fn key_file(verb: &str, path: &Path, why: impl std::fmt::Display) -> CoreError {
    CoreError::KeyFile {
        message: format!("cannot {verb} key file {}: {why}", path.display()),
    }
}

/// Writes a new random key to `path`, which must not exist yet, with mode 0600.
pub fn create_key_file(path: &Path) -> Result<MasterKey, CoreError> {
    let key = MasterKey::generate()?;
    write_key_file(&key, path)?;
    Ok(key)
}

/// Writes `key` to `path`, which must not exist yet, with mode 0600 (for keys derived in
/// Rust, such as the erasure epochs' ratchet, which are kept in files of their own).
pub fn write_key_file(key: &MasterKey, path: &Path) -> Result<(), CoreError> {
    let text = Zeroizing::new(format!("{PREFIX}{}\n", hex::encode(key.secret_bytes())));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| key_file("create", path, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| key_file("write", path, e))
}

/// Reads the key in `path`, refusing a file that group or others may read or write, and
/// anything but a regular file of at most [`MAX_KEY_FILE_BYTES`].
pub fn read_key_file(path: &Path) -> Result<MasterKey, CoreError> {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer for ever.
    // No controlling terminal: a terminal device given as the key file must not become one.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| key_file("read", path, e))?;
    let meta = file.metadata().map_err(|e| key_file("read", path, e))?;
    if !meta.file_type().is_file() {
        return Err(key_file("read", path, "it is not a regular file"));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CoreError::InsecureKeyFile {
            path: path.display().to_string(),
            mode,
        });
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(128));
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| key_file("read", path, e))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(key_file(
            "read",
            path,
            format!("it is larger than a key file ({MAX_KEY_FILE_BYTES} bytes at most)"),
        ));
    }
    let text = std::str::from_utf8(&bytes).unwrap_or("");
    parse(text).ok_or_else(|| CoreError::KeyFile {
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
    fn a_fifo_is_refused_at_once_without_waiting_for_a_writer() {
        let path = scratch("fifo.key");
        let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `name` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let (done, finished) = std::sync::mpsc::channel();
        let reader = path.clone();
        std::thread::spawn(move || done.send(read_key_file(&reader).map(|k| k.id())));
        let refused = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO as a key file must not block")
            .unwrap_err();
        assert!(
            refused.to_string().contains("not a regular file"),
            "{refused}"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn directories_devices_and_oversized_files_are_refused() {
        for other in [std::env::temp_dir(), "/dev/null".into()] {
            let refused = read_key_file(&other).unwrap_err().to_string();
            assert!(refused.contains("not a regular file"), "{refused}");
        }
        let path = scratch("big.key");
        let made = create_key_file(&path).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(read_key_file(&path).unwrap().id(), made.id());
        text.push_str(&"\n".repeat(5000));
        std::fs::write(&path, text).unwrap();
        let refused = read_key_file(&path).unwrap_err().to_string();
        assert!(refused.contains("larger than a key file"), "{refused}");
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
