//! BIP324's cipher suite: the ElligatorSwift ECDH and HKDF key schedule, the
//! forward-secure length cipher (FSChaCha20) and packet AEAD
//! (FSChaCha20-Poly1305), both rekeyed every 224 uses. ChaCha20 and Poly1305
//! come from the `chacha20-poly1305` crate, the curve from `secp256k1`.

use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
use bitcoin::secp256k1::ellswift::{ElligatorSwift, ElligatorSwiftParty};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use chacha20_poly1305::chacha20::ChaCha20;
use chacha20_poly1305::{ChaCha20Poly1305, Key, Nonce};

/// Uses of a key before the ciphers move to a new one.
const REKEY_INTERVAL: u64 = 224;
/// Size of the encrypted length prefix.
pub const LENGTH_LEN: usize = 3;
/// Size of the packet header (the ignore flag).
pub const HEADER_LEN: usize = 1;
/// Size of the Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Bytes a packet adds to its contents.
pub const EXPANSION: usize = LENGTH_LEN + HEADER_LEN + TAG_LEN;
/// Header bit of decoy packets, which the receiver drops.
const IGNORE_BIT: u8 = 0x80;

/// Our side of the key exchange before the peer's key is known.
pub struct KeyPair {
    secret: SecretKey,
    /// Our public key as sent on the wire.
    pub ellswift: ElligatorSwift,
}

impl KeyPair {
    /// A fresh random key pair.
    pub fn generate() -> KeyPair {
        let secp = Secp256k1::signing_only();
        let (secret, public): (SecretKey, PublicKey) =
            secp.generate_keypair(&mut bitcoin::secp256k1::rand::thread_rng());
        KeyPair {
            secret,
            ellswift: ElligatorSwift::from_pubkey(public),
        }
    }

    /// A key pair from known parts (test vectors).
    pub fn from_parts(secret: SecretKey, ellswift: ElligatorSwift) -> KeyPair {
        KeyPair { secret, ellswift }
    }
}

/// Everything a session derives from the key exchange.
pub struct Session {
    /// Identifies the session to both sides.
    pub id: [u8; 32],
    /// What we send after our garbage.
    pub send_terminator: [u8; 16],
    /// What ends the peer's garbage.
    pub recv_terminator: [u8; 16],
    /// Encrypts our packets.
    pub send: SendCipher,
    /// Decrypts the peer's packets.
    pub recv: RecvCipher,
}

/// HKDF-SHA256 expansion to one 32-byte block (RFC 5869 with L = 32).
fn hkdf_expand(prk: &[u8; 32], info: &[u8]) -> [u8; 32] {
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(prk);
    engine.input(info);
    engine.input(&[1]);
    hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
}

/// Derives the session from our key pair and the peer's key.
pub fn derive(ours: &KeyPair, theirs: ElligatorSwift, initiator: bool, magic: [u8; 4]) -> Session {
    let (a, b, party) = if initiator {
        (ours.ellswift, theirs, ElligatorSwiftParty::A)
    } else {
        (theirs, ours.ellswift, ElligatorSwiftParty::B)
    };
    let ecdh = ElligatorSwift::shared_secret(
        a,
        b,
        ours.secret,
        party,
        Some(b"bip324_ellswift_xonly_ecdh"),
    );
    let mut salt = b"bitcoin_v2_shared_secret".to_vec();
    salt.extend_from_slice(&magic);
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(&salt);
    engine.input(&ecdh.to_secret_bytes());
    let prk = hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array();
    let expand = |info: &str| hkdf_expand(&prk, info.as_bytes());
    let terminators = expand("garbage_terminators");
    let mut initiator_terminator = [0u8; 16];
    initiator_terminator.copy_from_slice(&terminators[..16]);
    let mut responder_terminator = [0u8; 16];
    responder_terminator.copy_from_slice(&terminators[16..]);
    let initiator_side = (expand("initiator_L"), expand("initiator_P"));
    let responder_side = (expand("responder_L"), expand("responder_P"));
    let (send_keys, recv_keys, send_terminator, recv_terminator) = if initiator {
        (
            initiator_side,
            responder_side,
            initiator_terminator,
            responder_terminator,
        )
    } else {
        (
            responder_side,
            initiator_side,
            responder_terminator,
            initiator_terminator,
        )
    };
    Session {
        id: expand("session_id"),
        send_terminator,
        recv_terminator,
        send: SendCipher {
            length: LengthCipher::new(send_keys.0),
            packet: PacketCipher::new(send_keys.1),
        },
        recv: RecvCipher {
            length: LengthCipher::new(recv_keys.0),
            packet: PacketCipher::new(recv_keys.1),
        },
    }
}

/// FSChaCha20: one keystream per key, three bytes per length; after 224
/// lengths the next 32 keystream bytes become the key.
struct LengthCipher {
    key: [u8; 32],
    /// Lengths encrypted so far.
    chunks: u64,
    /// Keystream bytes used under the current key.
    offset: u32,
}

impl LengthCipher {
    fn new(key: [u8; 32]) -> LengthCipher {
        LengthCipher {
            key,
            chunks: 0,
            offset: 0,
        }
    }

    fn crypt(&mut self, bytes: &mut [u8; LENGTH_LEN]) {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&(self.chunks / REKEY_INTERVAL).to_le_bytes());
        let mut stream = ChaCha20::new(Key::new(self.key), Nonce::new(nonce), 0);
        stream.seek(self.offset);
        stream.apply_keystream(bytes);
        self.offset += LENGTH_LEN as u32;
        self.chunks += 1;
        if self.chunks.is_multiple_of(REKEY_INTERVAL) {
            let mut next = [0u8; 32];
            stream.seek(self.offset);
            stream.apply_keystream(&mut next);
            self.key = next;
            self.offset = 0;
        }
    }
}

/// FSChaCha20-Poly1305: the nonce counts packets; after 224 packets the key
/// is replaced by an encryption of zeros under a reserved nonce.
struct PacketCipher {
    key: [u8; 32],
    packets: u64,
}

impl PacketCipher {
    fn new(key: [u8; 32]) -> PacketCipher {
        PacketCipher { key, packets: 0 }
    }

    fn nonce(&self, first: u32) -> Nonce {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&first.to_le_bytes());
        nonce[4..].copy_from_slice(&(self.packets / REKEY_INTERVAL).to_le_bytes());
        Nonce::new(nonce)
    }

    fn aead(&self) -> ChaCha20Poly1305 {
        // The remainder is below 224, so it fits.
        let index = (self.packets % REKEY_INTERVAL) as u32;
        ChaCha20Poly1305::new(Key::new(self.key), self.nonce(index))
    }

    fn advance(&mut self) {
        if (self.packets + 1).is_multiple_of(REKEY_INTERVAL) {
            let mut next = [0u8; 32];
            ChaCha20Poly1305::new(Key::new(self.key), self.nonce(u32::MAX))
                .encrypt(&mut next, Some(&[]));
            self.key = next;
        }
        self.packets += 1;
    }
}

/// Encrypts packets for the peer.
pub struct SendCipher {
    length: LengthCipher,
    packet: PacketCipher,
}

impl SendCipher {
    /// One packet: encrypted length, then header and contents with their tag.
    /// `aad` is our garbage for the first packet, else empty.
    pub fn encrypt(&mut self, contents: &[u8], aad: &[u8], ignore: bool) -> Vec<u8> {
        let mut len = [0u8; LENGTH_LEN];
        // Contents are at most a few MB, far below 2^24.
        len.copy_from_slice(&(contents.len() as u32).to_le_bytes()[..LENGTH_LEN]);
        self.length.crypt(&mut len);
        let mut out = Vec::with_capacity(contents.len() + EXPANSION);
        out.extend_from_slice(&len);
        out.push(if ignore { IGNORE_BIT } else { 0 });
        out.extend_from_slice(contents);
        let tag = self
            .packet
            .aead()
            .encrypt(&mut out[LENGTH_LEN..], Some(aad));
        self.packet.advance();
        out.extend_from_slice(&tag);
        out
    }
}

/// A decrypted packet.
#[derive(Debug, PartialEq, Eq)]
pub struct Packet {
    /// A decoy, to be dropped.
    pub ignore: bool,
    /// The contents.
    pub contents: Vec<u8>,
}

/// Decrypts the peer's packets.
pub struct RecvCipher {
    length: LengthCipher,
    packet: PacketCipher,
}

impl RecvCipher {
    /// The contents length of the next packet; call exactly once per packet.
    pub fn decrypt_length(&mut self, mut len: [u8; LENGTH_LEN]) -> usize {
        self.length.crypt(&mut len);
        usize::from(len[0]) | usize::from(len[1]) << 8 | usize::from(len[2]) << 16
    }

    /// Decrypts header, contents and tag (`rest`, everything after the length).
    /// `None` when authentication fails.
    pub fn decrypt(&mut self, rest: &[u8], aad: &[u8]) -> Option<Packet> {
        if rest.len() < HEADER_LEN + TAG_LEN {
            return None;
        }
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut tag_bytes = [0u8; TAG_LEN];
        tag_bytes.copy_from_slice(tag);
        let mut plain = body.to_vec();
        self.packet
            .aead()
            .decrypt(&mut plain, tag_bytes, Some(aad))
            .ok()?;
        self.packet.advance();
        let ignore = plain[0] & IGNORE_BIT != 0;
        plain.remove(0);
        Some(Packet {
            ignore,
            contents: plain,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAINNET: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];

    fn bytes<const N: usize>(s: &str) -> [u8; N] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    struct Vector {
        idx: u32,
        priv_ours: &'static str,
        ellswift_ours: &'static str,
        ellswift_theirs: &'static str,
        initiating: bool,
        contents: &'static str,
        ignore: bool,
        send_terminator: &'static str,
        recv_terminator: &'static str,
        session_id: &'static str,
        ciphertext: &'static str,
        ends_with: &'static str,
    }

    /// Test vectors from BIP324 (`packet_encoding_test_vectors.csv`).
    const VECTORS: &[Vector] = &[
        Vector {
            idx: 1,
            priv_ours: "61062ea5071d800bbfd59e2e8b53d47d194b095ae5a4df04936b49772ef0d4d7",
            ellswift_ours: "ec0adff257bbfe500c188c80b4fdd640f6b45a482bbc15fc7cef5931deff0aa186f6eb9bba7b85dc4dcc28b28722de1e3d9108b985e2967045668f66098e475b",
            ellswift_theirs: "a4a94dfce69b4a2a0a099313d10f9f7e7d649d60501c9e1d274c300e0d89aafaffffffffffffffffffffffffffffffffffffffffffffffffffffffff8faf88d5",
            initiating: true,
            contents: "8e",
            ignore: false,
            send_terminator: "faef555dfcdb936425d84aba524758f3",
            recv_terminator: "02cb8ff24307a6e27de3b4e7ea3fa65b",
            session_id: "ce72dffb015da62b0d0f5474cab8bc72605225b0cee3f62312ec680ec5f41ba5",
            ciphertext: "7530d2a18720162ac09c25329a60d75adf36eda3c3",
            ends_with: "",
        },
        Vector {
            idx: 999,
            priv_ours: "6f312890ec83bbb26798abaadd574684a53e74ccef7953b790fcc29409080246",
            ellswift_ours: "a8785af31c029efc82fa9fc677d7118031358d7c6a25b5779a9b900e5ccd94aac97eb36a3c5dbcdb2ca5843cc4c2fe0aaa46d10eb3d233a81c3dde476da00eef",
            ellswift_theirs: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f0000000000000000000000000000000000000000000000000000000000000000",
            initiating: false,
            contents: "3eb1d4e98035cfd8eeb29bac969ed3824a",
            ignore: false,
            send_terminator: "44737108aec5f8b6c1c277b31bbce9c1",
            recv_terminator: "ca29b3a35237f8212bd13ed187a1da2e",
            session_id: "b0490e26111cb2d55bbff2ace00f7f644f64006539abb4e7513f05107bb10608",
            ciphertext: "d78adbcba0eebfb15cfbd8142c84dc729d233d0dc11b1d851e46a114122b8d5b96b7d59317",
            ends_with: "",
        },
        Vector {
            idx: 223,
            priv_ours: "c0f15820459f64d98e5c48681d13340572c574533dd9f7161b85fcc8224fdf30",
            ellswift_ours: "682871104d694baca8b9c7990ae6288f49e1ff4feb21dd5cffad67db7752fdfb6c3608d6996c54be04b35feef037da09ee4d9dca2363b343bc2d4f6d0ea609da",
            ellswift_theirs: "56bd0c06f10352c3a1a9f4b4c92f6fa2b26df124b57878353c1fc691c51abea77c8817daeeb9fa546b77c8daf79d89b22b0e1b87574ece42371f00237aa9d83a",
            initiating: false,
            contents: "7e0e78eb6990b059e6cf0ded66ea93ef82e72aa2f18ac24f2fc6ebab561ae557420729da103f64cecfa20527e15f9fb669a49bbbf274ef0389b3e43c8c44e5f60bf2ac38e2b55e7ec4273dba15ba41d21f8f5b3ee1688b3c29951218caf847a97fb50d75a86515d445699497d968164bf740012679b8962de573be941c62b7ef",
            ignore: true,
            send_terminator: "8461c1dc173be7e6a2316d09710ebd8d",
            recv_terminator: "dfa2d33623fe80e2347999e6de0f96fd",
            session_id: "279a96e6ce08e5074608fcad77d6a78f90c8b618a4520575435b1a37b1c56df9",
            ciphertext: "",
            ends_with: "5afbd61f6e989833df2f12ff70c98f1a20ebe84acba2a05429cc6a57238dba87cdc432474f378889b2d0e95ade9f892eb1a1f6b03b73f903682476537f653f738f7a9f1cc9856ed75f3d69122bdeb00af48e66a64872f639a67fc109ee5ca124d0ee183da3c2b8f2da828850b50976b491f1add78d7f01e07565570621266852",
        },
    ];

    fn keys(v: &Vector) -> KeyPair {
        KeyPair::from_parts(
            SecretKey::from_slice(&bytes::<32>(v.priv_ours)).unwrap(),
            ElligatorSwift::from_array(bytes(v.ellswift_ours)),
        )
    }

    #[test]
    fn packets_match_the_bip324_vectors() {
        for v in VECTORS {
            let theirs = ElligatorSwift::from_array(bytes(v.ellswift_theirs));
            let mut s = derive(&keys(v), theirs, v.initiating, MAINNET);
            assert_eq!(hex::encode(s.id), v.session_id, "vector {}", v.idx);
            assert_eq!(hex::encode(s.send_terminator), v.send_terminator);
            assert_eq!(hex::encode(s.recv_terminator), v.recv_terminator);
            for _ in 0..v.idx {
                s.send.encrypt(&[], &[], true);
            }
            let contents = hex::decode(v.contents).unwrap();
            let out = hex::encode(s.send.encrypt(&contents, &[], v.ignore));
            if v.ciphertext.is_empty() {
                assert!(out.ends_with(v.ends_with), "vector {}", v.idx);
            } else {
                assert_eq!(out, v.ciphertext, "vector {}", v.idx);
            }
        }
    }

    #[test]
    fn packets_round_trip_across_rekeys_and_detect_tampering() {
        let (a, b) = (KeyPair::generate(), KeyPair::generate());
        let mut sa = derive(&a, b.ellswift, true, MAINNET);
        let mut sb = derive(&b, a.ellswift, false, MAINNET);
        assert_eq!(sa.id, sb.id);
        assert_eq!(sa.send_terminator, sb.recv_terminator);
        for i in 0..500u32 {
            let contents = i.to_le_bytes().repeat(i as usize % 7);
            let aad: &[u8] = if i == 0 { b"garbage" } else { &[] };
            let packet = sa.send.encrypt(&contents, aad, i % 5 == 0);
            let mut len = [0u8; LENGTH_LEN];
            len.copy_from_slice(&packet[..LENGTH_LEN]);
            assert_eq!(sb.recv.decrypt_length(len), contents.len());
            let got = sb.recv.decrypt(&packet[LENGTH_LEN..], aad).unwrap();
            assert_eq!(got.contents, contents);
            assert_eq!(got.ignore, i % 5 == 0);
        }
        let mut packet = sb.send.encrypt(b"ping", &[], false);
        packet[5] ^= 1;
        let mut len = [0u8; LENGTH_LEN];
        len.copy_from_slice(&packet[..LENGTH_LEN]);
        assert_eq!(sa.recv.decrypt_length(len), 4);
        assert_eq!(sa.recv.decrypt(&packet[LENGTH_LEN..], &[]), None);
        assert_eq!(sa.recv.decrypt(&[0; 3], &[]), None, "shorter than a tag");
    }
}
