//! bitcoin-qt's transaction CSV export: Confirmed, Date, Type, Label,
//! Address, Amount, ID; every field quoted, quotes doubled, amounts in
//! the display unit without thousands separators.

use super::records::TxRecord;
use super::WalletInfo;

/// One CSV field.
fn field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The CSV of `rows` of `wallet`, with amounts formatted by `amount`
/// and the amount column headed `amount_title`.
pub fn csv(
    wallet: &WalletInfo,
    rows: &[&TxRecord],
    amount_title: &str,
    amount: impl Fn(i64) -> String,
) -> String {
    let mut out = [
        "Confirmed",
        "Date",
        "Type",
        "Label",
        "Address",
        amount_title,
        "ID",
    ]
    .map(field)
    .join(",");
    out.push('\n');
    for r in rows {
        let label = wallet.labels.get(&r.address).cloned().unwrap_or_default();
        let line = [
            if r.status.is_confirmed() {
                "true".to_string()
            } else {
                "false".to_string()
            },
            // ISO date and time, as bitcoin-qt's export writes it.
            crate::views::format_time(r.time).replace(' ', "T"),
            r.kind.label().to_string(),
            label,
            r.address.clone(),
            amount(r.amount),
            r.txid.to_string(),
        ]
        .map(|f| field(&f))
        .join(",");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wallets::records::{RecordKind, RowStatus, Status};
    use bitcoin::hashes::Hash;

    #[test]
    fn fields_are_quoted_with_quotes_doubled() {
        let mut w = WalletInfo::default();
        w.labels.insert("bcrt1qx".into(), "say \"hi\"".into());
        let r = TxRecord {
            txid: bitcoin::Txid::all_zeros(),
            vout: 0,
            time: 0,
            kind: RecordKind::RecvWithAddress,
            address: "bcrt1qx".into(),
            amount: 150_000_000,
            status: RowStatus {
                status: Status::Confirmed,
                depth: 7,
                ..Default::default()
            },
        };
        let text = csv(&w, &[&r], "Amount (BTC)", |a| format!("{}", a));
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("\"Confirmed\",\"Date\",\"Type\",\"Label\",\"Address\",\"Amount (BTC)\",\"ID\"")
        );
        assert_eq!(
            lines.next().map(|l| l.split(',').take(6).collect::<Vec<_>>().join(",")),
            Some("\"true\",\"1970-01-01T00:00:00\",\"Received with\",\"say \"\"hi\"\"\",\"bcrt1qx\",\"150000000\"".to_string())
        );
    }
}
