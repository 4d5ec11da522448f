//! Row-major storage of fixed-width vectors that leaves no copy of a removed row in memory.
//!
//! A template deleted from the gallery must not linger in RAM (R13). A plain `Vec` leaks old
//! contents twice: `truncate` leaves the bytes in spare capacity, and growth frees the old buffer
//! unwiped. Here growth copies into a new buffer and wipes the old one, removal wipes the vacated
//! row, and drop wipes everything.

use zeroize::{DefaultIsZeroes, Zeroize};

/// Contiguous `len × dim` values.
pub struct Rows<T: DefaultIsZeroes> {
    dim: usize,
    data: Vec<T>,
}

impl<T: DefaultIsZeroes> Rows<T> {
    /// Empty storage for rows of `dim` values.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            data: Vec::new(),
        }
    }

    /// Values per row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// All rows, row-major.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Bytes of storage held, spare capacity included.
    pub fn capacity_bytes(&self) -> usize {
        self.data.capacity() * std::mem::size_of::<T>()
    }

    /// Appends whole rows (`values.len()` a multiple of `dim`).
    pub fn extend(&mut self, values: &[T]) {
        debug_assert_eq!(values.len() % self.dim.max(1), 0);
        let needed = self.data.len() + values.len();
        if needed > self.data.capacity() {
            let mut grown = Vec::with_capacity(needed.max(self.data.capacity() * 2));
            grown.extend_from_slice(&self.data);
            self.data.zeroize();
            self.data = grown;
        }
        self.data.extend_from_slice(values);
    }

    /// Appends whole rows, adopting `values` without a copy when there are no rows yet.
    pub fn extend_owned(&mut self, mut values: zeroize::Zeroizing<Vec<T>>) {
        if self.data.is_empty() {
            self.data.zeroize();
            self.data = std::mem::take(&mut *values);
        } else {
            self.extend(&values);
        }
    }

    /// Moves the last row into row `i` and wipes the last row's old place.
    pub fn swap_remove(&mut self, i: usize) {
        let last = self.len() - 1;
        if i != last {
            self.data
                .copy_within(last * self.dim..(last + 1) * self.dim, i * self.dim);
        }
        self.data[last * self.dim..].zeroize();
        self.data.truncate(last * self.dim);
    }

    /// Wipes and removes every row, keeping nothing in spare capacity.
    pub fn clear(&mut self) {
        self.data.zeroize();
    }
}

impl<T: DefaultIsZeroes> Drop for Rows<T> {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_remove_moves_last_row_and_wipes_its_old_place() {
        let mut rows = Rows::new(2);
        rows.extend(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
        rows.swap_remove(0);
        assert_eq!(rows.as_slice(), &[5.0, 6.0, 3.0, 4.0]);
        // The spare capacity behind the live rows holds zeros, not the moved row.
        let spare = unsafe_spare(&rows);
        assert!(spare.iter().all(|&x| x == 0.0), "{spare:?}");
    }

    #[test]
    fn growth_keeps_rows_in_order() {
        let mut rows = Rows::new(1);
        for i in 0..1000 {
            rows.extend(&[i as f32]);
        }
        assert_eq!(rows.len(), 1000);
        assert_eq!(rows.row(999), &[999.0]);
    }

    /// Reads the spare capacity, which a test may do because `Rows` only ever holds
    /// initialised (zeroed) memory there after a removal.
    fn unsafe_spare(rows: &Rows<f32>) -> Vec<f32> {
        let len = rows.data.len();
        let cap = rows.data.capacity();
        // SAFETY: `zeroize` on the vacated range wrote zeros to exactly the bytes between the new
        // length and the old length; those are initialised f32 values inside the allocation.
        (len..cap.min(len + 2))
            .map(|i| unsafe { *rows.data.as_ptr().add(i) })
            .collect()
    }
}
