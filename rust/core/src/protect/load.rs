//! Loading sealed templates straight into a gallery.
//!
//! On open, every template is decrypted in parallel into one buffer that is wiped on drop and
//! added to the gallery in one call: plaintext never becomes a Python object, and a single
//! template that fails to open stops the whole batch before anything is added.

use super::keys::DataKey;
use super::seal::{SealContext, open_into};
use crate::CoreError;
use crate::matching::{Gallery, MatrixRef};
use rayon::prelude::*;
use zeroize::Zeroizing;

/// One sealed template to load: its gallery id, bytes, data key and context.
pub struct SealedItem<'a> {
    pub id: u64,
    pub sealed: &'a [u8],
    pub key: &'a DataKey,
    pub context: SealContext<'a>,
}

/// Opens every item and adds it to `gallery` under its id, all or nothing. The error of the
/// first item (in input order) that fails names its template id.
pub fn open_into_gallery(gallery: &mut Gallery, items: &[SealedItem<'_>]) -> Result<(), CoreError> {
    let dim = gallery.dim();
    let mut values = Zeroizing::new(vec![0.0f32; items.len() * dim]);
    let failure = values
        .par_chunks_exact_mut(dim)
        .zip(items)
        .enumerate()
        .filter_map(|(at, (out, item))| {
            open_into(item.sealed, item.key, &item.context, out)
                .err()
                .map(|e| (at, item.id, e))
        })
        .min_by_key(|(at, _, _)| *at);
    if let Some((_, template, cause)) = failure {
        return Err(CoreError::BatchItem {
            template,
            cause: Box::new(cause),
        });
    }
    let ids: Vec<u64> = items.iter().map(|item| item.id).collect();
    gallery.add(&ids, MatrixRef::new(&values, dim)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::{Metric, SearchParams};
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
    }
}
