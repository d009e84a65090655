//! `input_satisfaction`: Core's `MaxSatisfactionWeight` and
//! `MaxSatisfactionElems`, with the sizes worked out by hand.

use bitcoin::bip32::Xpub;

use super::*;
use crate::sign::input_satisfaction;
use crate::spend::InputSatisfaction;

fn sat(weight: i64, elems: u32, is_segwit: bool) -> Option<InputSatisfaction> {
    Some(InputSatisfaction {
        weight,
        elems,
        is_segwit,
    })
}

#[test]
fn default_types_match_core() {
    let mut ks = default_keystore(KeyAccess::Plain);
    let script = |ks: &mut Keystore, ty| new_script(ks, ty, false, KeyAccess::Plain);
    let pkh = script(&mut ks, OutputType::Legacy);
    let sh_wpkh = script(&mut ks, OutputType::P2shSegwit);
    let wpkh = script(&mut ks, OutputType::Bech32);
    let tr = script(&mut ks, OutputType::Bech32m);

    // pkh: (push + 71-byte signature + push + 33-byte key) × 4.
    let s = input_satisfaction(&ks, &pkh, false);
    assert_eq!(s, sat(424, 2, false));
    assert_eq!(s, Some(InputSatisfaction::p2pkh(false)));
    assert_eq!(s.unwrap().input_weight(false), 588);
    // With maximal signatures, the well-known 148 vbytes of a legacy
    // transaction (149 once a segwit input adds the empty witness count).
    let max = input_satisfaction(&ks, &pkh, true);
    assert_eq!(max, sat(428, 2, false));
    assert_eq!(max.unwrap().input_weight(false), 4 * 148);
    assert_eq!(max.unwrap().input_vsize(), 149);

    // sh(wpkh): the 22-byte program pushed in the scriptSig (× 4) plus the
    // witness; Core counts the redeem script as a stack element too.
    let s = input_satisfaction(&ks, &sh_wpkh, false);
    assert_eq!(s, sat(4 * 23 + 106, 3, true));
    assert_eq!(s.unwrap().input_vsize(), 91);
    assert_eq!(
        input_satisfaction(&ks, &sh_wpkh, true)
            .unwrap()
            .input_vsize(),
        91
    );

    // wpkh: 68 vbytes.
    let s = input_satisfaction(&ks, &wpkh, false);
    assert_eq!(s, Some(InputSatisfaction::p2wpkh(false)));
    assert_eq!(s.unwrap().input_vsize(), 68);
    assert_eq!(
        input_satisfaction(&ks, &wpkh, true),
        Some(InputSatisfaction::p2wpkh(true))
    );

    // tr: a 64-byte signature plus a possible sighash byte, key path.
    let s = input_satisfaction(&ks, &tr, false);
    assert_eq!(s, sat(66, 1, true));
    assert_eq!(s.unwrap().input_vsize(), 58);
    assert_eq!(input_satisfaction(&ks, &tr, true), s);

    // Not ours: unknown.
    let foreign = ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::all_zeros());
    assert_eq!(input_satisfaction(&ks, &foreign, false), None);
}

fn xpubs() -> (Xpub, Xpub) {
    let secp = crate::keys::secp();
    (
        Xpub::from_priv(secp, &master([7; 32])),
        Xpub::from_priv(secp, &master([9; 32])),
    )
}

fn sized(desc: &str, use_max_sig: bool) -> Option<InputSatisfaction> {
    let mut ks = Keystore::default();
    let id = import(&mut ks, desc, KeyAccess::Plain);
    let spk = first_script(&ks, id);
    input_satisfaction(&ks, &spk, use_max_sig)
}

#[test]
fn multisig_and_miniscript() {
    let (a, b) = xpubs();
    // wsh(multi(2,A,B)): dummy + 2 × (push + 71) = 145 of satisfaction,
    // then the 71-byte script with its length.
    let multi = format!("multi(2,{a}/0/*,{b}/0/*)");
    assert_eq!(
        sized(&format!("wsh({multi})"), false),
        sat(1 + 71 + 145, 4, true)
    );
    assert_eq!(
        sized(&format!("wsh({multi})"), true),
        sat(1 + 71 + 147, 4, true)
    );
    // sh(wsh(...)): plus the pushed 34-byte program.
    assert_eq!(
        sized(&format!("sh(wsh({multi}))"), false),
        sat(4 * 35 + 217, 5, true)
    );
    // sh(multi): everything in the scriptSig.
    assert_eq!(
        sized(&format!("sh({multi})"), false),
        sat(4 * (1 + 71) + 4 * 145, 4, false)
    );
    let sorted = format!("wsh(sortedmulti(2,{a}/0/*,{b}/0/*))");
    assert_eq!(sized(&sorted, false), sat(217, 4, true));

    // Miniscript sizes signatures at 72 bytes whatever use_max_sig says:
    // two signatures (2 × 73) and the 70-byte script.
    let and_v = format!("wsh(and_v(v:pk({a}/0/*),pk({b}/0/*)))");
    assert_eq!(sized(&and_v, false), sat(1 + 70 + 146, 3, true));
    assert_eq!(sized(&and_v, true), sat(1 + 70 + 146, 3, true));
    // or_d: the larger branch is the empty dissatisfaction of pk(A) and a
    // signature for B (1 + 73); the script is 77 bytes.
    let or_d = format!("wsh(or_d(pk({a}/0/*),and_v(v:pk({b}/0/*),older(144))))");
    assert_eq!(sized(&or_d, false), sat(1 + 77 + 74, 3, true));
    // A pkh() inside wsh is Core's PKHDescriptor, sized like one.
    let wsh_pkh = format!("wsh(pkh({a}/0/*))");
    assert_eq!(sized(&wsh_pkh, false), sat(1 + 25 + 106, 3, true));

    // tr() with a script tree: still the key path (Core's FIXME).
    let tr_tree = format!("tr({a}/0/*,pk({b}/0/*))");
    assert_eq!(sized(&tr_tree, false), sat(66, 1, true));
}

#[test]
fn combo_raw_and_addr() {
    let wif = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N";
    let mut ks = Keystore::default();
    let id = import(&mut ks, &format!("combo({wif})"), KeyAccess::Plain);
    let scripts = ks.spkms[&id].derive_scripts(0..1).unwrap()[0].1.clone();
    assert_eq!(scripts.len(), 4);
    let sizes: Vec<_> = scripts
        .iter()
        .map(|s| input_satisfaction(&ks, s, false))
        .collect();
    assert_eq!(
        sizes,
        vec![
            // pk(): a signature alone.
            sat(4 * 72, 1, false),
            sat(424, 2, false),
            sat(106, 2, true),
            sat(4 * 23 + 106, 3, true),
        ]
    );

    // raw() of a P2PK script: Core infers pk() from the script alone.
    let p2pk = scripts[0].clone();
    let mut raw = Keystore::default();
    let hex: String = p2pk.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    import(&mut raw, &format!("raw({hex})"), KeyAccess::Plain);
    assert_eq!(
        input_satisfaction(&raw, &p2pk, false),
        sat(4 * 72, 1, false)
    );
    // addr() of a key hash: the key is unknown, so it cannot be sized.
    let mut addr = Keystore::default();
    let a = bitcoin::Address::from_script(&scripts[2], Network::Regtest).unwrap();
    import(&mut addr, &format!("addr({a})"), KeyAccess::Plain);
    assert!(addr.is_mine(&scripts[2]));
    assert_eq!(input_satisfaction(&addr, &scripts[2], false), None);
}

#[test]
fn coin_selection_keeps_wrapped_segwit_apart_from_legacy() {
    use crate::coinselection::OutputType as CoinType;
    let mut ks = default_keystore(KeyAccess::Plain);
    let script = |ks: &mut Keystore, ty| new_script(ks, ty, false, KeyAccess::Plain);
    let pkh = script(&mut ks, OutputType::Legacy);
    let sh_wpkh = script(&mut ks, OutputType::P2shSegwit);
    let wpkh = script(&mut ks, OutputType::Bech32);
    let tr = script(&mut ks, OutputType::Bech32m);
    let of = |s: &bitcoin::ScriptBuf| crate::sign::coin_output_type(&ks, s);
    assert_eq!(of(&pkh), CoinType::Legacy);
    // The redeem script decides, as Core's AvailableCoins asks its solver.
    assert_eq!(of(&sh_wpkh), CoinType::P2shSegwit);
    assert_eq!(of(&wpkh), CoinType::Bech32);
    assert_eq!(of(&tr), CoinType::Bech32m);
    // A P2SH output the wallet cannot solve stays legacy.
    let foreign = bitcoin::ScriptBuf::new_p2sh(&bitcoin::ScriptHash::all_zeros());
    assert_eq!(of(&foreign), CoinType::Legacy);
}
