use super::*;
use crate::matching::testutil::{l2sq_f64, uniform};
use crate::matching::{Isa, MatrixRef};

fn gallery(dim: usize, n: usize, quantized: bool, isa: Isa) -> Gallery {
    let mut g = Gallery::new(dim, Metric::Euclidean, quantized)
        .unwrap()
        .with_isa(isa)
        .unwrap();
    let mut rows = uniform(n * dim, 11);
    // Duplicated rows under different ids: exact ties that must come back ordered by id.
    for dup in 0..n / 10 {
        let (src, dst) = (dup * dim, (n - 1 - dup) * dim);
        rows.copy_within(src..src + dim, dst);
    }
    let ids: Vec<u64> = (0..n as u64).map(|i| (i * 7919) % 100_003).collect();
    g.add(&ids, MatrixRef::new(&rows, dim).unwrap()).unwrap();
    g
}

/// Brute force in f64: the k nearest `(distance, id)` pairs.
fn reference(g: &Gallery, q: &[f32], k: usize) -> Vec<(f64, u64)> {
    let mut all: Vec<(f64, u64)> = (0..g.len())
        .map(|i| (l2sq_f64(q, g.vectors.row(i)).sqrt(), g.ids[i]))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(k);
    all
}

fn check_against_reference(g: &Gallery, queries: &[f32], got: &Neighbors) {
    for (qi, q) in queries.chunks_exact(g.dim).enumerate() {
        let want = reference(g, q, got.k);
        for (slot, (d, id)) in want.iter().enumerate() {
            assert_eq!(got.ids[qi * got.k + slot], *id, "query {qi} slot {slot}");
            assert!((f64::from(got.distances[qi * got.k + slot]) - d).abs() < 1e-5);
        }
    }
}

#[test]
fn scan_equals_brute_force_on_every_path() {
    for isa in Isa::supported() {
        let g = gallery(128, 3000, false, isa);
        let queries = uniform(5 * 128, 99);
        let got = g
            .search(MatrixRef::new(&queries, 128).unwrap(), &SearchParams::k(10))
            .unwrap();
        check_against_reference(&g, &queries, &got);
    }
}

#[test]
fn product_strategy_returns_exactly_what_the_scan_returns() {
    // 5003 rows leave tails at every tiling level; 200 queries split into several query tasks.
    for isa in Isa::supported() {
        let g = gallery(128, 5003, false, isa);
        for m in [PRODUCT_MIN_QUERIES + 3, 200] {
            let queries = uniform(m * 128, 5);
            let q = MatrixRef::new(&queries, 128).unwrap();
            let batch = g.search(q, &SearchParams::k(4)).unwrap();
            for (qi, q) in queries.chunks_exact(128).enumerate() {
                let one = g
                    .search(MatrixRef::new(q, 128).unwrap(), &SearchParams::k(4))
                    .unwrap();
                assert_eq!(one.ids, batch.ids[qi * 4..qi * 4 + 4]);
                assert_eq!(one.distances, batch.distances[qi * 4..qi * 4 + 4]);
            }
            check_against_reference(&g, &queries, &batch);
        }
    }
}

#[test]
fn batched_queries_find_twins_split_across_tasks_by_id() {
    // Rows 0..n/10 are duplicated at the gallery's end, in another task: a task that has found
    // the twin at distance 0 publishes 0 as the query's bound, and the other must still offer
    // its twin, which then wins or loses on id alone.
    for isa in Isa::supported() {
        let g = gallery(128, 9000, false, isa);
        let m = PRODUCT_MIN_QUERIES + 5;
        let queries: Vec<f32> = (0..m).flat_map(|i| g.vectors.row(i).to_vec()).collect();
        for k in [1, 2] {
            let got = g
                .search(MatrixRef::new(&queries, 128).unwrap(), &SearchParams::k(k))
                .unwrap();
            for qi in 0..m {
                let mut twins = [g.ids[qi], g.ids[9000 - 1 - qi]];
                twins.sort();
                assert_eq!(got.ids[qi * k..qi * k + k], twins[..k], "query {qi}, k {k}");
                assert_eq!(got.distances[qi * k..qi * k + k], [0.0, 0.0][..k]);
            }
        }
    }
}

#[test]
fn queries_equal_to_stored_rows_find_themselves_and_their_duplicates_by_id() {
    let g = gallery(64, 500, false, Isa::best());
    // Row 0 is duplicated at row 499; both are at distance 0 and must come back by ascending id.
    let q = g.vectors.row(0).to_vec();
    let got = g
        .search(MatrixRef::new(&q, 64).unwrap(), &SearchParams::k(2))
        .unwrap();
    let mut twins = [g.ids[0], g.ids[499]];
    twins.sort();
    assert_eq!(got.ids, twins);
    assert_eq!(got.distances, [0.0, 0.0]);
}

#[test]
fn compressed_search_finds_the_exact_nearest_on_clustered_data() {
    let (dim, n) = (128, 20_000);
    let centres = uniform(n * dim, 3)
        .iter()
        .map(|x| x * 0.2)
        .collect::<Vec<_>>();
    let mut g = Gallery::new(dim, Metric::Euclidean, true).unwrap();
    let ids: Vec<u64> = (0..n as u64).collect();
    g.add(&ids, MatrixRef::new(&centres, dim).unwrap()).unwrap();
    let noise = uniform(200 * dim, 4);
    let probes: Vec<f32> = (0..200)
        .flat_map(|p| (0..dim).map(move |j| (p, j)))
        .map(|(p, j)| centres[p * 97 * dim + j] + noise[p * dim + j] * 0.07)
        .collect();
    let q = MatrixRef::new(&probes, dim).unwrap();
    let fast = g.search(q, &SearchParams::k(1)).unwrap();
    let exact = g
        .search(
            q,
            &SearchParams {
                exact: true,
                ..SearchParams::k(1)
            },
        )
        .unwrap();
    assert_eq!(fast, exact);
}

#[test]
fn max_distance_is_inclusive_and_pads_with_sentinels() {
    let mut g = Gallery::new(2, Metric::Euclidean, false).unwrap();
    g.add(
        &[1, 2, 3],
        MatrixRef::new(&[0.0, 0.0, 3.0, 4.0, 6.0, 8.0], 2).unwrap(),
    )
    .unwrap();
    let params = SearchParams {
        max_distance: Some(5.0),
        ..SearchParams::k(3)
    };
    let got = g
        .search(MatrixRef::new(&[0.0, 0.0], 2).unwrap(), &params)
        .unwrap();
    assert_eq!(got.ids, [1, 2, NO_ID]);
    assert_eq!(got.distances, [0.0, 5.0, f32::INFINITY]);
}

#[test]
fn k_beyond_the_gallery_is_clamped_to_its_size_but_keeps_one_column() {
    let mut g = Gallery::new(2, Metric::Euclidean, true).unwrap();
    let empty = g
        .search(
            MatrixRef::new(&[0.0; 4], 2).unwrap(),
            &SearchParams::k(usize::MAX),
        )
        .unwrap();
    assert_eq!((empty.k, empty.ids), (1, vec![NO_ID, NO_ID]));
    g.add(
        &[1, 2, 3],
        MatrixRef::new(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 2).unwrap(),
    )
    .unwrap();
    for exact in [false, true] {
        let params = SearchParams {
            exact,
            rerank: Some(usize::MAX),
            ..SearchParams::k(1 << 20)
        };
        // Sixteen queries take the matrix-product path, one the scans.
        for m in [1, 16] {
            let got = g
                .search(MatrixRef::new(&vec![0.0; 2 * m], 2).unwrap(), &params)
                .unwrap();
            assert_eq!(got.k, 3);
            assert_eq!(&got.ids[..3], [1, 2, 3]);
            assert_eq!(got.ids.len(), 3 * m);
        }
    }
    let none = g
        .search(MatrixRef::new(&[0.0; 2], 2).unwrap(), &SearchParams::k(0))
        .unwrap();
    assert_eq!((none.k, none.ids.len()), (0, 0));
}

#[test]
fn results_too_large_to_allocate_are_refused_not_aborted() {
    let err = Neighbors::reserve(usize::MAX / 2, 3).unwrap_err();
    assert!(matches!(err, CoreError::InvalidArgument(_)), "{err}");
    let err = Neighbors::reserve(1 << 40, 1 << 20).unwrap_err();
    assert!(err.to_string().contains("ask for fewer"), "{err}");
}

#[test]
fn removed_rows_are_never_returned_and_the_rest_stay_findable() {
    let mut g = gallery(16, 100, true, Isa::best());
    let victims: Vec<u64> = g.ids()[..50].to_vec();
    let survivors: Vec<u64> = g.ids()[50..].to_vec();
    let survivor_rows: Vec<f32> = (50..100).flat_map(|i| g.vectors.row(i).to_vec()).collect();
    g.remove(&victims).unwrap();
    assert_eq!(g.len(), 50);
    let got = g
        .search(
            MatrixRef::new(&survivor_rows, 16).unwrap(),
            &SearchParams::k(100),
        )
        .unwrap();
    // k = 100 is clamped to the 50 rows left.
    assert_eq!(got.k, 50);
    for (qi, id) in survivors.iter().enumerate() {
        let row = &got.ids[qi * 50..][..50];
        assert!(row.contains(id));
        assert!(row.iter().all(|x| !victims.contains(x)));
    }
}

#[test]
fn failed_add_and_remove_change_nothing() {
    let mut g = Gallery::new(2, Metric::Euclidean, true).unwrap();
    g.add(&[1], MatrixRef::new(&[0.5, 0.5], 2).unwrap())
        .unwrap();
    let bad = [
        g.add(&[2, 1], MatrixRef::new(&[0.0; 4], 2).unwrap()),
        g.add(&[2, 2], MatrixRef::new(&[0.0; 4], 2).unwrap()),
        g.add(
            &[2, 3],
            MatrixRef::new(&[0.0, 0.0, f32::NAN, 0.0], 2).unwrap(),
        ),
        g.add(&[NO_ID], MatrixRef::new(&[0.0; 2], 2).unwrap()),
        g.add(&[2], MatrixRef::new(&[0.0; 3], 3).unwrap()),
        g.add(&[2, 3], MatrixRef::new(&[0.0; 2], 2).unwrap()),
        g.remove(&[1, 9]),
        g.remove(&[1, 1]),
    ];
    assert!(bad.iter().all(Result::is_err));
    // A repeat within one call is not "already present": the message says which it is.
    assert_eq!(bad[1], Err(CoreError::RepeatedId { id: 2 }));
    assert_eq!(bad[7], Err(CoreError::RepeatedId { id: 1 }));
    assert_eq!(bad[0], Err(CoreError::DuplicateId { id: 1 }));
    assert_eq!(g.ids(), &[1]);
    assert_eq!(g.vectors.as_slice(), &[0.5, 0.5]);
}

#[test]
fn cosine_distance_is_one_minus_cosine() {
    let mut g = Gallery::new(2, Metric::Cosine, false).unwrap();
    g.add(&[1, 2], MatrixRef::new(&[1.0, 0.0, 0.0, 5.0], 2).unwrap())
        .unwrap();
    let got = g
        .search(MatrixRef::new(&[3.0, 3.0], 2).unwrap(), &SearchParams::k(2))
        .unwrap();
    let want = 1.0 - std::f32::consts::FRAC_1_SQRT_2;
    assert_eq!(got.ids, [1, 2]);
    assert!(got.distances.iter().all(|d| (d - want).abs() < 1e-6));
    assert!(
        g.add(&[3], MatrixRef::new(&[0.0, 0.0], 2).unwrap())
            .is_err()
    );
}
