//! Reused buffers for the detector's large arrays (pyramid levels, histograms, features,
//! responses): an image of 1280x720 needs about 80 MB of them, and fresh memory from the system
//! arrives one zeroed page fault at a time, which cost a quarter of the detection's time. Each
//! thread keeps what it freed, up to [`KEEP`] bytes of each kind, for its next image.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

/// The most bytes of buffers of one element type that one thread keeps between images.
pub const KEEP: usize = 64 << 20;

/// The most buffers of one element type that one thread keeps.
const SHELF: usize = 32;

/// What a thread keeps: free buffers, oldest first, and their bytes.
pub struct Shelf<T> {
    free: Vec<Vec<T>>,
    bytes: usize,
}

impl<T> Shelf<T> {
    const fn new() -> Self {
        Self {
            free: Vec::new(),
            bytes: 0,
        }
    }
}

/// An element type with a shelf per thread.
pub trait Item: Copy + Default + 'static {
    fn shelf() -> &'static LocalKey<RefCell<Shelf<Self>>>;
}

thread_local! {
    static BYTES: RefCell<Shelf<u8>> = const { RefCell::new(Shelf::new()) };
    static FLOATS: RefCell<Shelf<f32>> = const { RefCell::new(Shelf::new()) };
}

impl Item for u8 {
    fn shelf() -> &'static LocalKey<RefCell<Shelf<u8>>> {
        &BYTES
    }
}

impl Item for f32 {
    fn shelf() -> &'static LocalKey<RefCell<Shelf<f32>>> {
        &FLOATS
    }
}

/// A buffer (zeroed, or holding old values its user overwrites) that goes back to its thread's
/// shelf when dropped.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pooled<T: Item> {
    vec: Vec<T>,
}

impl<T: Item> Pooled<T> {
    /// `len` zeros, in the smallest kept buffer that holds them (or a new one).
    pub fn zeros(len: usize) -> Self {
        let mut vec = Self::take(len);
        vec.clear();
        vec.resize(len, T::default());
        Self { vec }
    }

    /// `len` values that the caller overwrites every one of: a kept buffer's old values stay
    /// (only what it lacks is zeroed), saving a pass over memory.
    pub fn overwritten(len: usize) -> Self {
        let mut vec = Self::take(len);
        vec.truncate(len);
        vec.resize(len, T::default());
        Self { vec }
    }

    /// The smallest kept buffer that holds `len` values, or an empty one.
    fn take(len: usize) -> Vec<T> {
        if len == 0 {
            return Vec::new();
        }
        T::shelf()
            .try_with(|shelf| {
                let mut shelf = shelf.borrow_mut();
                let best = (0..shelf.free.len())
                    .filter(|&i| shelf.free[i].capacity() >= len)
                    .min_by_key(|&i| shelf.free[i].capacity())?;
                let vec = shelf.free.remove(best);
                shelf.bytes -= vec.capacity() * size_of::<T>();
                Some(vec)
            })
            .ok()
            .flatten()
            .unwrap_or_default()
    }
}

impl<T: Item> Drop for Pooled<T> {
    fn drop(&mut self) {
        let vec = std::mem::take(&mut self.vec);
        let bytes = vec.capacity() * size_of::<T>();
        if bytes == 0 || bytes > KEEP {
            return;
        }
        // A thread being torn down has no shelf left: the buffer is simply freed.
        let _ = T::shelf().try_with(|shelf| {
            let mut shelf = shelf.borrow_mut();
            shelf.bytes += bytes;
            shelf.free.push(vec);
            while shelf.bytes > KEEP || shelf.free.len() > SHELF {
                let old = shelf.free.remove(0);
                shelf.bytes -= old.capacity() * size_of::<T>();
            }
        });
    }
}

impl<T: Item> Clone for Pooled<T> {
    fn clone(&self) -> Self {
        Self {
            vec: self.vec.clone(),
        }
    }
}

impl<T: Item> From<Vec<T>> for Pooled<T> {
    fn from(vec: Vec<T>) -> Self {
        Self { vec }
    }
}

impl<T: Item> Deref for Pooled<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.vec
    }
}

impl<T: Item> DerefMut for Pooled<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.vec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_buffer_is_reused_zeroed() {
        let mut a = Pooled::<f32>::zeros(1000);
        a[3] = 7.0;
        let at = a.as_ptr();
        drop(a);
        let b = Pooled::<f32>::zeros(900);
        assert_eq!(b.as_ptr(), at, "the kept buffer is reused");
        assert_eq!(b.len(), 900);
        assert!(b.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn an_overwritten_buffer_keeps_old_values_and_zeroes_the_rest() {
        let mut kept = Vec::with_capacity(64);
        kept.resize(10, 9u8);
        let at = kept.as_ptr();
        drop(Pooled::<u8>::from(kept));
        let b = Pooled::<u8>::overwritten(20);
        assert_eq!(b.as_ptr(), at, "the kept buffer is reused");
        assert_eq!(b.len(), 20);
        assert!(b[..10].iter().all(|&v| v == 9), "its old values stay");
        assert!(b[10..].iter().all(|&v| v == 0), "what it lacked is zero");
    }

    #[test]
    fn a_thread_keeps_at_most_its_share() {
        let big: Vec<Pooled<u8>> = (0..5).map(|_| Pooled::zeros(KEEP / 4)).collect();
        drop(big);
        let kept = u8::shelf().with(|s| s.borrow().bytes);
        assert!(kept <= KEEP, "{kept} bytes kept");
        assert!(kept >= KEEP / 2, "the newest are kept");
        drop(Pooled::<u8>::zeros(KEEP + 1));
        assert!(u8::shelf().with(|s| s.borrow().bytes) <= KEEP);
    }
}
