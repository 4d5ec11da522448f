//! Loading sealed templates straight into a gallery.
//!
//! On open, every template is decrypted in parallel into one buffer that is wiped on drop and
//! added to the gallery in one call: plaintext never becomes a Python object, and a single
//! template that fails to open stops the whole batch before anything is added.

use super::keys::{DataKey, MasterKey};
use super::seal::{SealContext, open_into};
use crate::CoreError;
use crate::matching::Gallery;
use rayon::prelude::*;
use zeroize::Zeroizing;

/// One sealed template to load: its gallery id, bytes, data key and context.
pub struct SealedItem<'a> {
    pub id: u64,
    pub sealed: &'a [u8],
    pub key: &'a DataKey,
    pub context: SealContext<'a>,
}

/// One sealed template whose data key is still wrapped: the store's rows as they are on disk.
pub struct WrappedItem<'a> {
    pub id: u64,
    pub sealed: &'a [u8],
    pub wrapped_key: &'a [u8],
    pub context: SealContext<'a>,
}

/// Opens every item and adds it to `gallery` under its id, all or nothing. The error of the
/// first item (in input order) that fails names its template id.
pub fn open_into_gallery(gallery: &mut Gallery, items: &[SealedItem<'_>]) -> Result<(), CoreError> {
    let ids: Vec<u64> = items.iter().map(|item| item.id).collect();
    load(gallery, &ids, |at, out| {
        let item = &items[at];
        open_into(item.sealed, item.key, &item.context, out)
    })
}

/// Like [`open_into_gallery`], unwrapping each item's data key with `master` first, so that
/// data keys, like templates, exist only inside Rust on the load path.
pub fn open_wrapped_into_gallery(
    gallery: &mut Gallery,
    master: &MasterKey,
    items: &[WrappedItem<'_>],
) -> Result<(), CoreError> {
    let ids: Vec<u64> = items.iter().map(|item| item.id).collect();
    load(gallery, &ids, |at, out| {
        let item = &items[at];
        let key = master.unwrap(item.wrapped_key, item.context.subject)?;
        open_into(item.sealed, &key, &item.context, out)
    })
}

/// Decrypts item `at` into its row with `open_one`, in parallel, then adds all rows at once.
fn load(
    gallery: &mut Gallery,
    ids: &[u64],
    open_one: impl Fn(usize, &mut [f32]) -> Result<(), CoreError> + Sync,
) -> Result<(), CoreError> {
    let dim = gallery.dim();
    let mut values = Zeroizing::new(vec![0.0f32; ids.len() * dim]);
    let failure = values
        .par_chunks_exact_mut(dim)
        .enumerate()
        .filter_map(|(at, out)| open_one(at, out).err().map(|e| (at, e)))
        .min_by_key(|(at, _)| *at);
    if let Some((at, cause)) = failure {
        return Err(CoreError::BatchItem {
            template: ids[at],
            cause: Box::new(cause),
        });
    }
    gallery.add_owned(ids, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::{MatrixRef, Metric, SearchParams};
    use crate::protect::seal;

    #[test]
    fn loads_everything_or_nothing() {
        let keys: Vec<DataKey> = (0..3).map(|_| DataKey::generate().unwrap()).collect();
        let subjects = [b"a".as_slice(), b"b", b"c"];
        let rows: Vec<[f32; 4]> = vec![
            [0.1, 0.2, 0.3, 0.4],
            [0.5, 0.5, 0.5, 0.5],
            [0.0, 0.0, 0.1, 0.0],
        ];
        let sealed: Vec<Vec<u8>> = (0..3)
            .map(|i| {
                let ctx = SealContext {
                    deployment: b"d",
                    subject: subjects[i],
                    template: i as u64,
                };
                seal(&rows[i], &keys[i], &ctx).unwrap()
            })
            .collect();
        let items: Vec<SealedItem<'_>> = (0..3)
            .map(|i| SealedItem {
                id: i as u64,
                sealed: &sealed[i],
                key: &keys[i],
                context: SealContext {
                    deployment: b"d",
                    subject: subjects[i],
                    template: i as u64,
                },
            })
            .collect();
        let mut gallery = Gallery::new(4, Metric::Euclidean, false).unwrap();
        open_into_gallery(&mut gallery, &items).unwrap();
        let found = gallery
            .search(MatrixRef::new(&rows[1], 4).unwrap(), &SearchParams::k(1))
            .unwrap();
        assert_eq!(found.ids, [1]);

        // Item 1 opened with item 2's key: the batch fails naming template 1, nothing is added.
        let mut bad = Gallery::new(4, Metric::Euclidean, false).unwrap();
        let broken: Vec<SealedItem<'_>> = items
            .iter()
            .enumerate()
            .map(|(i, it)| SealedItem {
                key: if i == 1 { &keys[2] } else { it.key },
                ..*it
            })
            .collect();
        let err = open_into_gallery(&mut bad, &broken).unwrap_err();
        assert!(
            matches!(err, CoreError::BatchItem { template: 1, .. }),
            "{err}"
        );
        assert!(bad.is_empty());

        // The same rows through wrapped keys, as a store keeps them.
        let master = MasterKey::generate().unwrap();
        let wrapped: Vec<Vec<u8>> = (0..3)
            .map(|i| master.wrap(&keys[i], subjects[i]).unwrap())
            .collect();
        let on_disk: Vec<WrappedItem<'_>> = items
            .iter()
            .zip(&wrapped)
            .map(|(it, w)| WrappedItem {
                id: it.id,
                sealed: it.sealed,
                wrapped_key: w,
                context: it.context,
            })
            .collect();
        let mut again = Gallery::new(4, Metric::Euclidean, false).unwrap();
        open_wrapped_into_gallery(&mut again, &master, &on_disk).unwrap();
        assert_eq!(again.len(), 3);
        let stranger = MasterKey::generate().unwrap();
        let mut none = Gallery::new(4, Metric::Euclidean, false).unwrap();
        let err = open_wrapped_into_gallery(&mut none, &stranger, &on_disk).unwrap_err();
        assert!(
            matches!(err, CoreError::BatchItem { template: 0, .. }),
            "{err}"
        );
        assert!(none.is_empty());
    }
}
