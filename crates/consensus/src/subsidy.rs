//! Block subsidy (Core's `GetBlockSubsidy`).

use crate::params::Params;
use crate::tx_check::COIN;

/// The new coins a block at `height` may create: 50 BTC halved every
/// `subsidy_halving_interval` blocks, zero after 64 halvings.
pub fn get_block_subsidy(height: u32, params: &Params) -> i64 {
    let interval = params.subsidy_halving_interval.max(1);
    let halvings = height / interval;
    if halvings >= 64 {
        return 0;
    }
    (50 * COIN) >> halvings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halvings() {
        let p = Params::main();
        assert_eq!(get_block_subsidy(0, &p), 50 * COIN);
        assert_eq!(get_block_subsidy(209_999, &p), 50 * COIN);
        assert_eq!(get_block_subsidy(210_000, &p), 25 * COIN);
        assert_eq!(get_block_subsidy(840_000, &p), 312_500_000);
        assert_eq!(get_block_subsidy(210_000 * 33, &p), 0);
        assert_eq!(get_block_subsidy(210_000 * 32, &p), 1);
        assert_eq!(get_block_subsidy(210_000 * 64, &p), 0);
        assert_eq!(get_block_subsidy(u32::MAX, &p), 0);
        let r = Params::regtest();
        assert_eq!(get_block_subsidy(149, &r), 50 * COIN);
        assert_eq!(get_block_subsidy(150, &r), 25 * COIN);
        // Total supply stays below 21 million BTC.
        let mut total: i64 = 0;
        let mut h = 0u32;
        while h < 210_000 * 64 {
            total += get_block_subsidy(h, &p) * 210_000;
            h += 210_000;
        }
        assert_eq!(total, 2_099_999_997_690_000);
    }
}
