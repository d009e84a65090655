use super::*;
use bitcoin::hashes::Hash;
use std::time::{Duration, SystemTime};

fn txid(n: u64) -> Txid {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&n.to_le_bytes());
    Txid::from_byte_array(b)
}

fn tx(n: u64, height: u32, sat_per_vb: i64) -> EstimatorTx {
    EstimatorTx {
        txid: txid(n),
        height,
        fee: sat_per_vb * 200,
        vsize: 200,
    }
}

/// Runs `blocks` blocks after `start`: each sees `per_block` transactions at
/// `rate` sat/vB enter, all mined in the next block.
fn mine_steady(est: &mut FeeEstimator, start: u32, blocks: u32, per_block: u64, rate: i64) -> u32 {
    est.process_block(start, &[]);
    let mut height = start;
    let mut next = u64::from(start) * 1000;
    for _ in 0..blocks {
        let txs: Vec<EstimatorTx> = (0..per_block)
            .map(|_| {
                next += 1;
                tx(next, height, rate)
            })
            .collect();
        for t in &txs {
            est.process_transaction(t, true);
        }
        height += 1;
        est.process_block(height, &txs);
    }
    height
}

#[test]
fn buckets_are_spaced_by_five_percent_up_to_an_infinite_one() {
    let est = FeeEstimator::new();
    assert_eq!(est.buckets[0], 100.0);
    assert!((est.buckets[1] - 105.0).abs() < 1e-9);
    assert_eq!(*est.buckets.last().unwrap(), INF_FEERATE);
    assert!(est.buckets[est.buckets.len() - 2] <= MAX_BUCKET_FEERATE);
    assert_eq!(est.bucket_of(0.0), 0);
    assert_eq!(est.bucket_of(100.0), 0);
    assert_eq!(est.bucket_of(100.5), 1);
    assert_eq!(est.bucket_of(2e7), est.buckets.len() - 1);
}

#[test]
fn horizons_cover_12_48_and_1008_blocks() {
    let est = FeeEstimator::new();
    assert_eq!(est.highest_target_tracked(Horizon::Short), 12);
    assert_eq!(est.highest_target_tracked(Horizon::Medium), 48);
    assert_eq!(est.highest_target_tracked(Horizon::Long), 1008);
}

#[test]
fn each_block_decays_the_averages_by_the_horizon_decay() {
    let mut est = FeeEstimator::new();
    let end = mine_steady(&mut est, 1, 1, 1, 10);
    let bucket = est.bucket_of(10_000.0);
    assert_eq!(est.short.tx_count[bucket], 1.0);
    est.process_block(end + 1, &[]);
    assert!((est.short.tx_count[bucket] - 0.962).abs() < 1e-12);
    assert!((est.medium.tx_count[bucket] - 0.9952).abs() < 1e-12);
    assert!((est.long.tx_count[bucket] - 0.99931).abs() < 1e-12);
    // The same block again changes nothing.
    est.process_block(end + 1, &[]);
    assert!((est.short.tx_count[bucket] - 0.962).abs() < 1e-12);
}

#[test]
fn only_transactions_entering_at_the_last_seen_height_and_valid_are_tracked() {
    let mut est = FeeEstimator::new();
    est.process_block(5, &[]);
    est.process_transaction(&tx(1, 4, 10), true);
    est.process_transaction(&tx(2, 5, 10), false);
    est.process_transaction(&tx(3, 5, 10), true);
    assert!(!est.is_tracked(&txid(1)));
    assert!(!est.is_tracked(&txid(2)));
    assert!(est.is_tracked(&txid(3)));
    assert!(est.remove_tx(&txid(3)));
    assert!(!est.remove_tx(&txid(3)));
}

#[test]
fn steady_confirmations_give_their_fee_rate() {
    let mut est = FeeEstimator::new();
    assert_eq!(est.estimate_smart_fee(2, false).0, 0);
    let end = mine_steady(&mut est, 100, 40, 20, 10);
    let (rate, calc) = est.estimate_smart_fee(1, false);
    assert_eq!(rate, 10_000);
    assert_eq!(calc.returned_target, 2);
    assert_eq!(calc.best_height, end);
    assert_ne!(calc.reason, FeeReason::None);
    // Targets beyond half the blocks seen are answered for that half.
    let (_, calc) = est.estimate_smart_fee(100, false);
    assert_eq!(calc.returned_target, 19);
    let (raw, result) = est.estimate_raw_fee(1, 0.95, Horizon::Short);
    assert_eq!(raw, 10_000);
    assert_eq!(result.scale, 1);
    assert_eq!(result.decay, 0.962);
    assert!(result.pass.start < 10_000.0 && result.pass.end >= 10_000.0);
    // Below it no range gathers enough transactions to be judged.
    assert!(result.fail.end < 10_000.0);
}

#[test]
fn transactions_that_leave_unmined_push_the_estimate_up() {
    let mut est = FeeEstimator::new();
    let mut height = mine_steady(&mut est, 100, 30, 20, 50);
    let mut n = 1_000_000;
    // Every block, cheap transactions enter and are replaced two blocks later
    // while the dear ones keep confirming.
    for _ in 0..30 {
        let cheap: Vec<EstimatorTx> = (0..20)
            .map(|_| {
                n += 1;
                tx(n, height, 2)
            })
            .collect();
        let dear: Vec<EstimatorTx> = (0..20)
            .map(|_| {
                n += 1;
                tx(n, height, 50)
            })
            .collect();
        for t in cheap.iter().chain(&dear) {
            est.process_transaction(t, true);
        }
        est.process_block(height + 1, &dear);
        est.process_block(height + 2, &[]);
        for t in &cheap {
            assert!(est.remove_tx(&t.txid));
        }
        height += 2;
    }
    assert_eq!(est.estimate_smart_fee(2, false).0, 50_000);
    assert_eq!(est.estimate_smart_fee(2, true).0, 50_000);
}

#[test]
fn conservative_remembers_the_longer_horizons() {
    let mut est = FeeEstimator::new();
    let height = mine_steady(&mut est, 100, 12, 24, 500);
    let height = mine_steady(&mut est, height, 4, 24, 100);
    let economical = est.estimate_smart_fee(1, false).0;
    let conservative = est.estimate_smart_fee(1, true).0;
    assert_eq!(economical, 100_000);
    assert_eq!(conservative, 500_000);
    assert!(height > 100);
}

#[test]
fn file_round_trip_keeps_every_estimate() {
    let mut est = FeeEstimator::new();
    mine_steady(&mut est, 100, 60, 15, 7);
    let bytes = est.serialize();
    assert_eq!(&bytes[..4], &309_900i32.to_le_bytes());
    assert_eq!(&bytes[4..8], &160u32.to_le_bytes());
    let mut back = FeeEstimator::new();
    back.deserialize(&bytes).expect("own file reads");
    assert_eq!(back.serialize(), bytes);
    for target in 1..=30 {
        for conservative in [false, true] {
            assert_eq!(
                back.estimate_smart_fee(target, conservative),
                est.estimate_smart_fee(target, conservative),
                "target {target}"
            );
        }
    }
    for horizon in Horizon::ALL {
        assert_eq!(
            back.estimate_raw_fee(5, 0.9, horizon),
            est.estimate_raw_fee(5, 0.9, horizon)
        );
    }
}

#[test]
fn corrupt_files_are_refused_and_leave_the_estimates_alone() {
    let mut est = FeeEstimator::new();
    mine_steady(&mut est, 100, 60, 15, 7);
    let good = est.serialize();
    let before = est.clone();

    for cut in [0, 3, 10, 100, good.len() - 1] {
        assert!(est.deserialize(&good[..cut]).is_err(), "cut at {cut}");
        assert_eq!(est, before);
    }
    // The medium horizon's decay sits after the buckets: make it 1.
    let mut bad_decay = good.clone();
    let buckets = est.buckets.len();
    let decay_at = 16 + if buckets < 0xfd { 1 } else { 3 } + buckets * 8;
    bad_decay[decay_at..decay_at + 8].copy_from_slice(&1.0f64.to_bits().to_le_bytes());
    let err = est.deserialize(&bad_decay).unwrap_err();
    assert!(err.contains("Decay must be between 0 and 1"), "{err}");
    // A newer version is refused.
    let mut newer = good.clone();
    newer[..4].copy_from_slice(&400_000i32.to_le_bytes());
    assert_eq!(
        est.deserialize(&newer).unwrap_err(),
        "File version (400000) too high to be read."
    );
    // A huge length prefix does not allocate or panic.
    let mut huge = good[..16].to_vec();
    huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert!(est.deserialize(&huge).is_err());
    assert_eq!(est, before);
}

#[test]
fn files_load_unless_corrupt_or_stale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(FEE_ESTIMATES_FILENAME);
    let mut est = FeeEstimator::new();
    mine_steady(&mut est, 100, 60, 15, 7);

    assert_eq!(load_file(&path, false), FeeEstimator::new());
    write_file(&est, &path);
    let loaded = load_file(&path, false);
    assert_eq!(loaded.best_seen_height(), 160);
    assert_eq!(
        loaded.estimate_smart_fee(2, false),
        est.estimate_smart_fee(2, false)
    );

    let old = SystemTime::now() - Duration::from_secs(MAX_FILE_AGE_SECS + 3600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(old))
        .expect("backdate");
    assert_eq!(load_file(&path, false).best_seen_height(), 0);
    assert_eq!(load_file(&path, true).best_seen_height(), 160);

    std::fs::write(&path, b"not an estimates file").expect("write");
    assert_eq!(load_file(&path, true), FeeEstimator::new());
}
