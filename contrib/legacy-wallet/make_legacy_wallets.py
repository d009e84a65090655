#!/usr/bin/env python3
"""Writes small legacy (Berkeley DB) regtest wallets like the ones Bitcoin
Core up to v28 made, for the migratewallet tests.

The records are built here (key/keymeta/hdchain/ckey/mkey/cscript/watchs/
name/purpose/tx/...), written in db_dump's text format and turned into a
btree file by `db5.3_load` (Debian package db5.3-util), which is then
flushed with `db5.3_load -r lsn` as a cleanly closed wallet would be.

Usage: make_legacy_wallets.py OUTDIR   (writes hd.dat, encrypted.dat,
scripts.dat and orphan-tx.dat)

Everything is deterministic except the BDB file ids, so the expected
values the tests check (addresses, txids) never change. Needs python3's
`cryptography` package for secp256k1 and AES.
"""

import hashlib
import hmac
import os
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
CREATE_TIME = 1700000000
PASSPHRASE = b"migrate-pass"


def sha256(b):
    return hashlib.sha256(b).digest()


def sha256d(b):
    return sha256(sha256(b))


def hash160(b):
    return hashlib.new("ripemd160", sha256(b)).digest()


def pubkey(secret, compressed=True):
    k = ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256K1())
    fmt = PublicFormat.CompressedPoint if compressed else PublicFormat.UncompressedPoint
    return k.public_key().public_bytes(Encoding.X962, fmt)


def compact(n):
    if n < 253:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def vec(b):
    return compact(len(b)) + b


def string(s):
    return vec(s.encode())


def der(secret, pub):
    """Core's CPrivKey (ec_seckey_export_der) for a compressed key."""
    out = bytes([0x30, 0x81, 0xD3, 0x02, 0x01, 0x01, 0x04, 0x20]) + secret
    out += bytes([0xA0, 0x81, 0x85, 0x30, 0x81, 0x82, 0x02, 0x01, 0x01])
    out += bytes([0x30, 0x2C, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01, 0x02, 0x21, 0x00])
    out += P.to_bytes(32, "big")
    out += bytes([0x30, 0x06, 0x04, 0x01, 0x00, 0x04, 0x01, 0x07])
    out += bytes([0x04, 0x21, 0x02]) + GX.to_bytes(32, "big")
    out += bytes([0x02, 0x21, 0x00]) + N.to_bytes(32, "big") + bytes([0x02, 0x01, 0x01])
    out += bytes([0xA1, 0x24, 0x03, 0x22, 0x00]) + pub
    assert len(out) == 214
    return out


def bip32_master(seed):
    i = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    return i[:32], i[32:]


def bip32_hardened(key, chain, index):
    data = b"\x00" + key + struct.pack(">I", index | 0x80000000)
    i = hmac.new(chain, data, hashlib.sha512).digest()
    k = (int.from_bytes(i[:32], "big") + int.from_bytes(key, "big")) % N
    return k.to_bytes(32, "big"), i[32:]


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def segwit_address(hrp, prog):
    acc, bits, data = 0, 0, [0]
    for b in prog:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    hrpx = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = bech32_polymod(hrpx + data + [0] * 6) ^ 1
    data += [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data)


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(payload):
    b = payload + sha256d(payload)[:4]
    n = int.from_bytes(b, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = B58[r] + s
    return "1" * (len(b) - len(b.lstrip(b"\x00"))) + s


def p2pkh(h):
    return b"\x76\xa9\x14" + h + b"\x88\xac"


def p2wpkh(h):
    return b"\x00\x14" + h


def keymeta(path="", seed_id=bytes(20), origin=None):
    out = struct.pack("<iq", 12, CREATE_TIME) + string(path) + seed_id
    fp, steps = origin if origin else (bytes(4), [])
    out += fp + compact(len(steps)) + b"".join(struct.pack("<I", s) for s in steps)
    out += b"\x01" if origin else b"\x00"
    return out


def tx_record(outputs, prev):
    """A CWalletTx (unconfirmed) with one input and `outputs`."""
    tx = struct.pack("<i", 2) + compact(1) + prev + struct.pack("<I", 0) + vec(b"") + struct.pack("<I", 0xFFFFFFFF)
    tx += compact(len(outputs)) + b"".join(struct.pack("<q", v) + vec(s) for v, s in outputs)
    tx += struct.pack("<I", 0)
    txid = sha256d(tx)
    value = tx + bytes(32) + compact(0) + struct.pack("<i", 0) + compact(0)
    value += compact(2) + string("fromaccount") + string("") + string("n") + string("0")
    value += compact(0) + struct.pack("<I", 0) + struct.pack("<I", CREATE_TIME) + b"\x00\x00"
    return txid, value


class Crypto:
    def __init__(self):
        self.master = sha256(b"migrate-master-key")
        self.salt = sha256(b"salt")[:8]
        self.iterations = 25000

    def aes(self, key, iv, plain):
        p = padding.PKCS7(128).padder()
        data = p.update(plain) + p.finalize()
        e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        return e.update(data) + e.finalize()

    def mkey(self):
        d = hashlib.sha512(PASSPHRASE + self.salt).digest()
        for _ in range(self.iterations - 1):
            d = hashlib.sha512(d).digest()
        crypted = self.aes(d[:32], d[32:48], self.master)
        return vec(crypted) + vec(self.salt) + struct.pack("<II", 0, self.iterations) + vec(b"")

    def ckey(self, secret, pub):
        crypted = self.aes(self.master, sha256d(pub)[:16], secret)
        return vec(crypted) + sha256d(crypted)


def wallet_records(encrypted):
    crypto = Crypto() if encrypted else None
    recs = []

    def add_key(secret, meta):
        pub = pubkey(secret)
        if crypto:
            recs.append((string("ckey") + vec(pub), crypto.ckey(secret, pub)))
        else:
            d = der(secret, pub)
            recs.append((string("key") + vec(pub), vec(d) + sha256d(vec(pub) + vec(d))))
        recs.append((string("keymeta") + vec(pub), meta))
        return pub

    seed = sha256(b"migrate-seed" + (b"-enc" if encrypted else b""))
    seed_pub = pubkey(seed)
    seed_id = hash160(seed_pub)
    add_key(seed, keymeta("s", seed_id))
    mkey, mchain = bip32_master(seed)
    fp = hash160(pubkey(mkey))[:4]
    acct, achain = bip32_hardened(mkey, mchain, 0)
    derived = {}
    for branch, count in ((0, 3), (1, 2)):
        bkey, bchain = bip32_hardened(acct, achain, branch)
        for i in range(count):
            k, _ = bip32_hardened(bkey, bchain, i)
            path = [0x80000000, 0x80000000 | branch, 0x80000000 | i]
            derived[(branch, i)] = add_key(k, keymeta(f"m/0'/{branch}'/{i}'", seed_id, (fp, path)))
    recs.append((string("hdchain"), struct.pack("<iI", 2, 3) + seed_id + struct.pack("<I", 2)))
    loose = add_key(sha256(b"migrate-loose"), keymeta())
    for n, (branch, i) in enumerate(((0, 1), (0, 2), (1, 1))):
        pool = struct.pack("<iq", 280000, CREATE_TIME) + vec(derived[(branch, i)]) + bytes([branch, 0])
        recs.append((string("pool") + struct.pack("<q", n + 1), pool))
    recs.append((string("defaultkey"), vec(derived[(0, 0)])))

    # A watched script whose key the wallet does not have.
    foreign = hash160(pubkey(sha256(b"migrate-foreign")))
    watched = p2pkh(foreign)
    recs.append((string("watchs") + vec(watched), b"1"))
    recs.append((string("watchmeta") + vec(watched), keymeta()))

    hd_addr = segwit_address("bcrt", hash160(derived[(0, 0)]))
    watched_addr = base58check(b"\x6f" + foreign)
    payee_addr = segwit_address("bcrt", hash160(pubkey(sha256(b"migrate-payee"))))
    for addr, label, purpose in ((hd_addr, "hd-receive", "receive"), (watched_addr, "watched", "receive"), (payee_addr, "payee", "send")):
        recs.append((string("name") + string(addr), string(label)))
        recs.append((string("purpose") + string(addr), string(purpose)))

    txid1, tx1 = tx_record([(100000000, p2wpkh(hash160(derived[(0, 0)])))], sha256(b"prev1"))
    txid2, tx2 = tx_record([(50000000, watched)], sha256(b"prev2"))
    recs.append((string("tx") + txid1, tx1))
    recs.append((string("tx") + txid2, tx2))
    locator = struct.pack("<i", 70016) + compact(0)
    recs.append((string("bestblock"), locator))
    recs.append((string("bestblock_nomerkle"), locator))
    recs.append((string("orderposnext"), struct.pack("<q", 2)))
    recs.append((string("version"), struct.pack("<i", 280000)))
    recs.append((string("minversion"), struct.pack("<i", 159900)))
    recs.append((string("flags"), struct.pack("<Q", 2)))
    if crypto:
        recs.append((string("mkey") + struct.pack("<I", 1), crypto.mkey()))
    info = {
        "hd_address": hd_addr,
        "watched_address": watched_addr,
        "payee_address": payee_addr,
        "loose_pubkey": loose.hex(),
        "txid_hd": txid1[::-1].hex(),
        "txid_watched": txid2[::-1].hex(),
    }
    return recs, info


def scripts_wallet_records():
    """A wallet without HD chain: one key and a 2-of-2 multisig redeem
    script with a foreign key, stored but not watched (solvable only)."""
    secret = sha256(b"migrate-scripts-key")
    pub = pubkey(secret)
    d = der(secret, pub)
    foreign = pubkey(sha256(b"migrate-scripts-foreign"))
    multisig = b"\x52" + vec(pub) + vec(foreign) + b"\x52\xae"
    recs = [
        (string("key") + vec(pub), vec(d) + sha256d(vec(pub) + vec(d))),
        (string("keymeta") + vec(pub), keymeta()),
        (string("cscript") + hash160(multisig), vec(multisig)),
        (string("version"), struct.pack("<i", 169900)),
        (string("bestblock"), struct.pack("<i", 70016) + compact(0)),
    ]
    info = {"pubkey": pub.hex(), "foreign": foreign.hex(), "p2sh": base58check(b"\xc4" + hash160(multisig))}
    return recs, info


def write_bdb(records, path):
    lines = ["VERSION=3", "format=bytevalue", "database=main", "type=btree", "db_pagesize=4096", "HEADER=END"]
    for k, v in sorted(records):
        lines.append(" " + k.hex())
        lines.append(" " + v.hex())
    lines.append("DATA=END")
    with tempfile.TemporaryDirectory() as d:
        dump = os.path.join(d, "dump.txt")
        with open(dump, "w") as f:
            f.write("\n".join(lines) + "\n")
        if os.path.exists(path):
            os.remove(path)
        subprocess.run(["db5.3_load", "-f", dump, path], check=True)
        subprocess.run(["db5.3_load", "-r", "lsn", path], check=True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, encrypted in (("hd.dat", False), ("encrypted.dat", True)):
        recs, info = wallet_records(encrypted)
        write_bdb(recs, os.path.join(out, name))
        print(name, info)
    recs, info = scripts_wallet_records()
    write_bdb(recs, os.path.join(out, "scripts.dat"))
    print("scripts.dat", info)
    # The same with a transaction that pays none of its scripts: migration
    # cannot place it and must roll back.
    txid, tx = tx_record([(1000, p2pkh(hash160(b"nobody")))], sha256(b"prev3"))
    recs.append((string("tx") + txid, tx))
    write_bdb(recs, os.path.join(out, "orphan-tx.dat"))
    print("orphan-tx.dat", {"txid": txid[::-1].hex()})


if __name__ == "__main__":
    main()
