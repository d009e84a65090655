//! The PSBT RPCs against a running node: each method's success path and
//! errors on BIP174/BIP370 vectors, and a full flow on regtest (create,
//! update from the UTXO set and mempool, sign with a descriptor, finalize,
//! broadcast, confirm).

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::secp256k1::SecretKey;
use bitcoin::{Network, PrivateKey};
use functional::{op_true, TestNode};
use serde_json::{json, Value};

// BIP174 test vectors (creator, combiner, finalizer, extractor) and a
// BIP370 version 2 PSBT, as facts.
const CREATOR_V0: &str = "cHNidP8BAJoCAAAAAljoeiG1ba8MI76OcHBFbDNvfLqlyHV5JPVFiHuyq911AAAAAAD/////g40EJ9DsZQpoqka7CwmK6kQiwHGyyng1Kgd5WdB86h0BAAAAAP////8CcKrwCAAAAAAWABTYXCtx0AYLCcmIauuBXlCZHdoSTQDh9QUAAAAAFgAUAK6pouXw+HaliN9VRuh0LR2HAI8AAAAAAAAAAAA=";
const COMBINE_A: &str = "cHNidP8BAJoCAAAAAljoeiG1ba8MI76OcHBFbDNvfLqlyHV5JPVFiHuyq911AAAAAAD/////g40EJ9DsZQpoqka7CwmK6kQiwHGyyng1Kgd5WdB86h0BAAAAAP////8CcKrwCAAAAAAWABTYXCtx0AYLCcmIauuBXlCZHdoSTQDh9QUAAAAAFgAUAK6pouXw+HaliN9VRuh0LR2HAI8AAAAAAAEAuwIAAAABqtc5MQGL0l+ErkALaISL4J23BurCrBgpi6vucatlb4sAAAAASEcwRAIgWPb8fGoz4bMVSNSByCbAFb0wE1qtQs1neQ2rZtKtJDsCIEoc7SYExnNbY5PltBaR3XiwDwxZQvufdRhW+qk4FX26Af7///8CgPD6AgAAAAAXqRQPuUY0IWlrgsgzryQceMF9295JNIfQ8gonAQAAABepFCnKdPigj4GZlCgYXJe12FLkBj9hh2UAAAAiAgKVg785rgpgl0etGZrd1jT6YQhVnWxc05tMIYPxq5bgf0cwRAIgdAGK1BgAl7hzMjwAFXILNoTMgSOJEEjn282bVa1nnJkCIHPTabdA4+tT3O+jOCPIBwUUylWn3ZVE8VfBZ5EyYRGMAQEDBAEAAAABBEdSIQKVg785rgpgl0etGZrd1jT6YQhVnWxc05tMIYPxq5bgfyEC2rYf9JoU22p9ArDNH7t4/EsYMStbTlTa5Nui+/71NtdSriIGApWDvzmuCmCXR60Zmt3WNPphCFWdbFzTm0whg/GrluB/ENkMak8AAACAAAAAgAAAAIAiBgLath/0mhTban0CsM0fu3j8SxgxK1tOVNrk26L7/vU21xDZDGpPAAAAgAAAAIABAACAAAEBIADC6wsAAAAAF6kUt/X69A49QKWkWbHbNTXyty+pIeiHIgIDCJ3BDHrG21T5EymvYXMz2ziM6tDCMfcjN50bmQMLAtxHMEQCIGLrelVhB6fHP0WsSrWh3d9vcHX7EnWWmn84Pv/3hLyyAiAMBdu3Rw2/LwhVfdNWxzJcHtMJE+mWzThAlF2xIijaXwEBAwQBAAAAAQQiACCMI1MXN0O1ld+0oHtyuo5C43l9p06H/n2ddJfjsgKJAwEFR1IhAwidwQx6xttU+RMpr2FzM9s4jOrQwjH3IzedG5kDCwLcIQI63ZBPPW3PWd25BrDe4jUpt/+57VDl6GFRkmhgIh8Oc1KuIgYCOt2QTz1tz1nduQaw3uI1Kbf/ue1Q5ehhUZJoYCIfDnMQ2QxqTwAAAIAAAACAAwAAgCIGAwidwQx6xttU+RMpr2FzM9s4jOrQwjH3IzedG5kDCwLcENkMak8AAACAAAAAgAIAAIAAIgIDqaTDf1mW06ol26xrVwrwZQOUSSlCRgs1R1Ptnuylh3EQ2QxqTwAAAIAAAACABAAAgAAiAgJ/Y5l1fS7/VaE2rQLGhLGDi2VW5fG2s0KCqUtrUAUQlhDZDGpPAAAAgAAAAIAFAACAAA==";
const COMBINE_B: &str = "cHNidP8BAJoCAAAAAljoeiG1ba8MI76OcHBFbDNvfLqlyHV5JPVFiHuyq911AAAAAAD/////g40EJ9DsZQpoqka7CwmK6kQiwHGyyng1Kgd5WdB86h0BAAAAAP////8CcKrwCAAAAAAWABTYXCtx0AYLCcmIauuBXlCZHdoSTQDh9QUAAAAAFgAUAK6pouXw+HaliN9VRuh0LR2HAI8AAAAAAAEAuwIAAAABqtc5MQGL0l+ErkALaISL4J23BurCrBgpi6vucatlb4sAAAAASEcwRAIgWPb8fGoz4bMVSNSByCbAFb0wE1qtQs1neQ2rZtKtJDsCIEoc7SYExnNbY5PltBaR3XiwDwxZQvufdRhW+qk4FX26Af7///8CgPD6AgAAAAAXqRQPuUY0IWlrgsgzryQceMF9295JNIfQ8gonAQAAABepFCnKdPigj4GZlCgYXJe12FLkBj9hh2UAAAAiAgLath/0mhTban0CsM0fu3j8SxgxK1tOVNrk26L7/vU210cwRAIgYxqYn+c4qSrQGYYCMxLBkhT+KAKznly8GsNniAbGksMCIDnbbDh70mdxbf2z1NjaULjoXSEzJrp8faqkwM5B65IjAQEDBAEAAAABBEdSIQKVg785rgpgl0etGZrd1jT6YQhVnWxc05tMIYPxq5bgfyEC2rYf9JoU22p9ArDNH7t4/EsYMStbTlTa5Nui+/71NtdSriIGApWDvzmuCmCXR60Zmt3WNPphCFWdbFzTm0whg/GrluB/ENkMak8AAACAAAAAgAAAAIAiBgLath/0mhTban0CsM0fu3j8SxgxK1tOVNrk26L7/vU21xDZDGpPAAAAgAAAAIABAACAAAEBIADC6wsAAAAAF6kUt/X69A49QKWkWbHbNTXyty+pIeiHIgICOt2QTz1tz1nduQaw3uI1Kbf/ue1Q5ehhUZJoYCIfDnNHMEQCIGX0W6WZi1mif/4ae+0BavHx+Q1Us6qPdFCqX1aiUQO9AiB/ckcDrR7blmgLKEtW1P/LiPf7dZ6rvgiqMPKbhROD0gEBAwQBAAAAAQQiACCMI1MXN0O1ld+0oHtyuo5C43l9p06H/n2ddJfjsgKJAwEFR1IhAwidwQx6xttU+RMpr2FzM9s4jOrQwjH3IzedG5kDCwLcIQI63ZBPPW3PWd25BrDe4jUpt/+57VDl6GFRkmhgIh8Oc1KuIgYCOt2QTz1tz1nduQaw3uI1Kbf/ue1Q5ehhUZJoYCIfDnMQ2QxqTwAAAIAAAACAAwAAgCIGAwidwQx6xttU+RMpr2FzM9s4jOrQwjH3IzedG5kDCwLcENkMak8AAACAAAAAgAIAAIAAIgIDqaTDf1mW06ol26xrVwrwZQOUSSlCRgs1R1Ptnuylh3EQ2QxqTwAAAIAAAACABAAAgAAiAgJ/Y5l1fS7/VaE2rQLGhLGDi2VW5fG2s0KCqUtrUAUQlhDZDGpPAAAAgAAAAIAFAACAAA==";
const COMBINED: &str = "cHNidP8BAJoCAAAAAljoeiG1ba8MI76OcHBFbDNvfLqlyHV5JPVFiHuyq911AAAAAAD/////g40EJ9DsZQpoqka7CwmK6kQiwHGyyng1Kgd5WdB86h0BAAAAAP////8CcKrwCAAAAAAWABTYXCtx0AYLCcmIauuBXlCZHdoSTQDh9QUAAAAAFgAUAK6pouXw+HaliN9VRuh0LR2HAI8AAAAAAAEAuwIAAAABqtc5MQGL0l+ErkALaISL4J23BurCrBgpi6vucatlb4sAAAAASEcwRAIgWPb8fGoz4bMVSNSByCbAFb0wE1qtQs1neQ2rZtKtJDsCIEoc7SYExnNbY5PltBaR3XiwDwxZQvufdRhW+qk4FX26Af7///8CgPD6AgAAAAAXqRQPuUY0IWlrgsgzryQceMF9295JNIfQ8gonAQAAABepFCnKdPigj4GZlCgYXJe12FLkBj9hh2UAAAAiAgKVg785rgpgl0etGZrd1jT6YQhVnWxc05tMIYPxq5bgf0cwRAIgdAGK1BgAl7hzMjwAFXILNoTMgSOJEEjn282bVa1nnJkCIHPTabdA4+tT3O+jOCPIBwUUylWn3ZVE8VfBZ5EyYRGMASICAtq2H/SaFNtqfQKwzR+7ePxLGDErW05U2uTbovv+9TbXRzBEAiBjGpif5zipKtAZhgIzEsGSFP4oArOeXLwaw2eIBsaSwwIgOdtsOHvSZ3Ft/bPU2NpQuOhdITMmunx9qqTAzkHrkiMBAQMEAQAAAAEER1IhApWDvzmuCmCXR60Zmt3WNPphCFWdbFzTm0whg/GrluB/IQLath/0mhTban0CsM0fu3j8SxgxK1tOVNrk26L7/vU211KuIgYClYO/Oa4KYJdHrRma3dY0+mEIVZ1sXNObTCGD8auW4H8Q2QxqTwAAAIAAAACAAAAAgCIGAtq2H/SaFNtqfQKwzR+7ePxLGDErW05U2uTbovv+9TbXENkMak8AAACAAAAAgAEAAIAAAQEgAMLrCwAAAAAXqRS39fr0Dj1ApaRZsds1NfK3L6kh6IciAgMIncEMesbbVPkTKa9hczPbOIzq0MIx9yM3nRuZAwsC3EcwRAIgYut6VWEHp8c/RaxKtaHd329wdfsSdZaafzg+//eEvLICIAwF27dHDb8vCFV901bHMlwe0wkT6ZbNOECUXbEiKNpfASICAjrdkE89bc9Z3bkGsN7iNSm3/7ntUOXoYVGSaGAiHw5zRzBEAiBl9FulmYtZon/+GnvtAWrx8fkNVLOqj3RQql9WolEDvQIgf3JHA60e25ZoCyhLVtT/y4j3+3Weq74IqjDym4UTg9IBAQMEAQAAAAEEIgAgjCNTFzdDtZXftKB7crqOQuN5fadOh/59nXSX47ICiQMBBUdSIQMIncEMesbbVPkTKa9hczPbOIzq0MIx9yM3nRuZAwsC3CECOt2QTz1tz1nduQaw3uI1Kbf/ue1Q5ehhUZJoYCIfDnNSriIGAjrdkE89bc9Z3bkGsN7iNSm3/7ntUOXoYVGSaGAiHw5zENkMak8AAACAAAAAgAMAAIAiBgMIncEMesbbVPkTKa9hczPbOIzq0MIx9yM3nRuZAwsC3BDZDGpPAAAAgAAAAIACAACAACICA6mkw39ZltOqJdusa1cK8GUDlEkpQkYLNUdT7Z7spYdxENkMak8AAACAAAAAgAQAAIAAIgICf2OZdX0u/1WhNq0CxoSxg4tlVuXxtrNCgqlLa1AFEJYQ2QxqTwAAAIAAAACABQAAgAA=";
const TO_FINALIZE: &str = "cHNidP8BAJoCAAAAAljoeiG1ba8MI76OcHBFbDNvfLqlyHV5JPVFiHuyq911AAAAAAD/////g40EJ9DsZQpoqka7CwmK6kQiwHGyyng1Kgd5WdB86h0BAAAAAP////8CcKrwCAAAAAAWABTYXCtx0AYLCcmIauuBXlCZHdoSTQDh9QUAAAAAFgAUAK6pouXw+HaliN9VRuh0LR2HAI8AAAAAAAEAuwIAAAABqtc5MQGL0l+ErkALaISL4J23BurCrBgpi6vucatlb4sAAAAASEcwRAIgWPb8fGoz4bMVSNSByCbAFb0wE1qtQs1neQ2rZtKtJDsCIEoc7SYExnNbY5PltBaR3XiwDwxZQvufdRhW+qk4FX26Af7///8CgPD6AgAAAAAXqRQPuUY0IWlrgsgzryQceMF9295JNIfQ8gonAQAAABepFCnKdPigj4GZlCgYXJe12FLkBj9hh2UAAAAiAgKVg785rgpgl0etGZrd1jT6YQhVnWxc05tMIYPxq5bgf0cwRAIgdAGK1BgAl7hzMjwAFXILNoTMgSOJEEjn282bVa1nnJkCIHPTabdA4+tT3O+jOCPIBwUUylWn3ZVE8VfBZ5EyYRGMASICAtq2H/SaFNtqfQKwzR+7ePxLGDErW05U2uTbovv+9TbXSDBFAiEA9hA4swjcHahlo0hSdG8BV3KTQgjG0kRUOTzZm98iF3cCIAVuZ1pnWm0KArhbFOXikHTYolqbV2C+ooFvZhkQoAbqAQEDBAEAAAABBEdSIQKVg785rgpgl0etGZrd1jT6YQhVnWxc05tMIYPxq5bgfyEC2rYf9JoU22p9ArDNH7t4/EsYMStbTlTa5Nui+/71NtdSriIGApWDvzmuCmCXR60Zmt3WNPphCFWdbFzTm0whg/GrluB/ENkMak8AAACAAAAAgAAAAIAiBgLath/0mhTban0CsM0fu3j8SxgxK1tOVNrk26L7/vU21xDZDGpPAAAAgAAAAIABAACAAAEBIADC6wsAAAAAF6kUt/X69A49QKWkWbHbNTXyty+pIeiHIgIDCJ3BDHrG21T5EymvYXMz2ziM6tDCMfcjN50bmQMLAtxHMEQCIGLrelVhB6fHP0WsSrWh3d9vcHX7EnWWmn84Pv/3hLyyAiAMBdu3Rw2/LwhVfdNWxzJcHtMJE+mWzThAlF2xIijaXwEiAgI63ZBPPW3PWd25BrDe4jUpt/+57VDl6GFRkmhgIh8Oc0cwRAIgZfRbpZmLWaJ//hp77QFq8fH5DVSzqo90UKpfVqJRA70CIH9yRwOtHtuWaAsoS1bU/8uI9/t1nqu+CKow8puFE4PSAQEDBAEAAAABBCIAIIwjUxc3Q7WV37Sge3K6jkLjeX2nTof+fZ10l+OyAokDAQVHUiEDCJ3BDHrG21T5EymvYXMz2ziM6tDCMfcjN50bmQMLAtwhAjrdkE89bc9Z3bkGsN7iNSm3/7ntUOXoYVGSaGAiHw5zUq4iBgI63ZBPPW3PWd25BrDe4jUpt/+57VDl6GFRkmhgIh8OcxDZDGpPAAAAgAAAAIADAACAIgYDCJ3BDHrG21T5EymvYXMz2ziM6tDCMfcjN50bmQMLAtwQ2QxqTwAAAIAAAACAAgAAgAAiAgOppMN/WZbTqiXbrGtXCvBlA5RJKUJGCzVHU+2e7KWHcRDZDGpPAAAAgAAAAIAEAACAACICAn9jmXV9Lv9VoTatAsaEsYOLZVbl8bazQoKpS2tQBRCWENkMak8AAACAAAAAgAUAAIAA";
const FINALIZED: &str = "cHNidP8BAJoCAAAAAljoeiG1ba8MI76OcHBFbDNvfLqlyHV5JPVFiHuyq911AAAAAAD/////g40EJ9DsZQpoqka7CwmK6kQiwHGyyng1Kgd5WdB86h0BAAAAAP////8CcKrwCAAAAAAWABTYXCtx0AYLCcmIauuBXlCZHdoSTQDh9QUAAAAAFgAUAK6pouXw+HaliN9VRuh0LR2HAI8AAAAAAAEAuwIAAAABqtc5MQGL0l+ErkALaISL4J23BurCrBgpi6vucatlb4sAAAAASEcwRAIgWPb8fGoz4bMVSNSByCbAFb0wE1qtQs1neQ2rZtKtJDsCIEoc7SYExnNbY5PltBaR3XiwDwxZQvufdRhW+qk4FX26Af7///8CgPD6AgAAAAAXqRQPuUY0IWlrgsgzryQceMF9295JNIfQ8gonAQAAABepFCnKdPigj4GZlCgYXJe12FLkBj9hh2UAAAABB9oARzBEAiB0AYrUGACXuHMyPAAVcgs2hMyBI4kQSOfbzZtVrWecmQIgc9Npt0Dj61Pc76M4I8gHBRTKVafdlUTxV8FnkTJhEYwBSDBFAiEA9hA4swjcHahlo0hSdG8BV3KTQgjG0kRUOTzZm98iF3cCIAVuZ1pnWm0KArhbFOXikHTYolqbV2C+ooFvZhkQoAbqAUdSIQKVg785rgpgl0etGZrd1jT6YQhVnWxc05tMIYPxq5bgfyEC2rYf9JoU22p9ArDNH7t4/EsYMStbTlTa5Nui+/71NtdSrgABASAAwusLAAAAABepFLf1+vQOPUClpFmx2zU18rcvqSHohwEHIyIAIIwjUxc3Q7WV37Sge3K6jkLjeX2nTof+fZ10l+OyAokDAQjaBABHMEQCIGLrelVhB6fHP0WsSrWh3d9vcHX7EnWWmn84Pv/3hLyyAiAMBdu3Rw2/LwhVfdNWxzJcHtMJE+mWzThAlF2xIijaXwFHMEQCIGX0W6WZi1mif/4ae+0BavHx+Q1Us6qPdFCqX1aiUQO9AiB/ckcDrR7blmgLKEtW1P/LiPf7dZ6rvgiqMPKbhROD0gFHUiEDCJ3BDHrG21T5EymvYXMz2ziM6tDCMfcjN50bmQMLAtwhAjrdkE89bc9Z3bkGsN7iNSm3/7ntUOXoYVGSaGAiHw5zUq4AIgIDqaTDf1mW06ol26xrVwrwZQOUSSlCRgs1R1Ptnuylh3EQ2QxqTwAAAIAAAACABAAAgAAiAgJ/Y5l1fS7/VaE2rQLGhLGDi2VW5fG2s0KCqUtrUAUQlhDZDGpPAAAAgAAAAIAFAACAAA==";
const EXTRACTED: &str = "0200000000010258e87a21b56daf0c23be8e7070456c336f7cbaa5c8757924f545887bb2abdd7500000000da00473044022074018ad4180097b873323c0015720b3684cc8123891048e7dbcd9b55ad679c99022073d369b740e3eb53dcefa33823c8070514ca55a7dd9544f157c167913261118c01483045022100f61038b308dc1da865a34852746f015772934208c6d24454393cd99bdf2217770220056e675a675a6d0a02b85b14e5e29074d8a25a9b5760bea2816f661910a006ea01475221029583bf39ae0a609747ad199addd634fa6108559d6c5cd39b4c2183f1ab96e07f2102dab61ff49a14db6a7d02b0cd1fbb78fc4b18312b5b4e54dae4dba2fbfef536d752aeffffffff838d0427d0ec650a68aa46bb0b098aea4422c071b2ca78352a077959d07cea1d01000000232200208c2353173743b595dfb4a07b72ba8e42e3797da74e87fe7d9d7497e3b2028903ffffffff0270aaf00800000000160014d85c2b71d0060b09c9886aeb815e50991dda124d00e1f5050000000016001400aea9a2e5f0f876a588df5546e8742d1d87008f000400473044022062eb7a556107a7c73f45ac4ab5a1dddf6f7075fb1275969a7f383efff784bcb202200c05dbb7470dbf2f08557dd356c7325c1ed30913e996cd3840945db12228da5f01473044022065f45ba5998b59a27ffe1a7bed016af1f1f90d54b3aa8f7450aa5f56a25103bd02207f724703ad1edb96680b284b56d4ffcb88f7fb759eabbe08aa30f29b851383d20147522103089dc10c7ac6db54f91329af617333db388cead0c231f723379d1b99030b02dc21023add904f3d6dcf59ddb906b0dee23529b7ffb9ed50e5e86151926860221f0e7352ae00000000";
const OTHER_V0: &str = "cHNidP8BAFICAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////AUjmBSoBAAAAFgAUdo4e60z0IIZgM/gKzv8PlyB0SWkAAAAAAAEBKwDyBSoBAAAAIlEgWiws9bUs8x+DrS6Npj/wMYPs2PYJx1EK6KSOA5EKB1chFv40kGTJjW4qhT+jybEr2LMEoZwZXGDvp+4jkwRtP6IyGQB3Ky2nVgAAgAEAAIAAAACAAQAAAAAAAAABFyD+NJBkyY1uKoU/o8mxK9izBKGcGVxg76fuI5MEbT+iMgAiAgNrdyptt02HU8mKgnlY3mx4qzMSEJ830+AwRIQkLs5z2Bh3Ky2nVAAAgAEAAIAAAACAAAAAAAAAAAAA";
// A BIP373 key-path input with every MuSig2 partial signature, and the
// transaction its aggregation finalizes to.
const MUSIG2: &str = "cHNidP8BAFICAAAAAVaG3/QAFl9OBApYVfZYCTRyybz4EIsnKl0x8YH3tP+xAQAAAAD9////ARjd9QUAAAAAFgAUyRI+BujX8JZsXRzQ+TMALU63V80AAAAAAAEBKwDh9QUAAAAAIlEgC1jjN6pNOFKowpOHxCQI2M++OmE6Xjl+Cp8BpftxB9QhFgtY4zeqTThSqMKTh8QkCNjPvjphOl45fgqfAaX7cQfUBQAmgN1uIRY0a5lZM1cQfJ00Weneuo0+r0TmY2yFx/hT65C6UujNAAUAWAsIhyEWT6/WX4FpGG/Cv9siM8d+Yw0QvigKJMcWXAmidhF3XCwFAMMkmoIhFvkwigGSWMMQSTRPhfidUim1MchFg2+ZsIYB8RO84Db5BQB91lWSIhoDC1jjN6pNOFKowpOHxCQI2M++OmE6Xjl+Cp8BpftxB9RjAjRrmVkzVxB8nTRZ6d66jT6vROZjbIXH+FPrkLpS6M0AAk+v1l+BaRhvwr/bIjPHfmMNEL4oCiTHFlwJonYRd1wsAvkwigGSWMMQSTRPhfidUim1MchFg2+ZsIYB8RO84Db5QxsCNGuZWTNXEHydNFnp3rqNPq9E5mNshcf4U+uQulLozQADC1jjN6pNOFKowpOHxCQI2M++OmE6Xjl+Cp8BpftxB9RCAlKbGdeHnMwEyRVIf18TQbxoWLC8dOUDbGQ9N7U6Q3G1A7f4r+MmP8s+8kVP4W86Z1nFYAx45je436DYPoVSiCBWQxsCT6/WX4FpGG/Cv9siM8d+Yw0QvigKJMcWXAmidhF3XCwDC1jjN6pNOFKowpOHxCQI2M++OmE6Xjl+Cp8BpftxB9RCA6gdlzSZ50+C0rWrE/Hmnp4Rpf20D1Rm72cubkzroL55A0mVk3ZxUDlO7OOE0FHEW2FcUtvhyOs2ENezRLQ7fa1tQxsC+TCKAZJYwxBJNE+F+J1SKbUxyEWDb5mwhgHxE7zgNvkDC1jjN6pNOFKowpOHxCQI2M++OmE6Xjl+Cp8BpftxB9RCAzlJ2/8xudUCUdiCHmbMXJe346/X2Vv9x3UA/aiUfzrgAj8g5PC/C3bw1AzTq/5843PWaFu9d7X6KOf0n7Qp0YmwQxwCNGuZWTNXEHydNFnp3rqNPq9E5mNshcf4U+uQulLozQADC1jjN6pNOFKowpOHxCQI2M++OmE6Xjl+Cp8BpftxB9QgDlfKTKDeGjEW0/1rrxnThXLkfo/wJOfvw5USdR5U7TFDHAJPr9ZfgWkYb8K/2yIzx35jDRC+KAokxxZcCaJ2EXdcLAMLWOM3qk04UqjCk4fEJAjYz746YTpeOX4KnwGl+3EH1CByVAecqxZrDVC1QoP8y0rqFfd2dHpdKlPX2gYjk0DbzEMcAvkwigGSWMMQSTRPhfidUim1MchFg2+ZsIYB8RO84Db5AwtY4zeqTThSqMKTh8QkCNjPvjphOl45fgqfAaX7cQfUIAEkXohh5irFv8AAhBj9BXzmsDwXsda1xpgEE8XE41iXAAA=";
const MUSIG2_EXTRACTED: &str = "020000000001015686dff400165f4e040a5855f658093472c9bcf8108b272a5d31f181f7b4ffb10100000000fdffffff0118ddf50500000000160014c9123e06e8d7f0966c5d1cd0f933002d4eb757cd0140858b95f1e70ec273e812991c39b5ee612a7941e9fb48045bdc84929571cf2a9e81d03071addab00427494073c4e223ec6f8c311c1c58c80a33732c5e7679219400000000";
const V2: &str = "cHNidP8BAgQCAAAAAQQBAQEFAQIB+wQCAAAAAAEOIAsK2SFBnByHGXNdctxzn56p4GONH+TB7vD5lECEgV/IAQ8EAAAAAAABAwgACK8vAAAAAAEEFgAUxDD2TEdW2jENvRoIVXLvKZkmJywAAQMIi73rCwAAAAABBBYAFE3Rk6yWSlasG54cyoRU/i9HT4UTAA==";

fn creator_inputs() -> Value {
    json!([
        {"txid": "75ddabb27b8845f5247975c8a5ba7c6f336c4570708ebe230caf6db5217ae858", "vout": 0},
        {"txid": "1dea7cd05979072a3578cab271c02244ea8a090bbb46aa680a65ecd027048d83", "vout": 1}
    ])
}

fn creator_outputs() -> Value {
    json!([
        {"bcrt1qmpwzkuwsqc9snjvgdt4czhjsnywa5yjdqpxskv": 1.4999},
        {"bcrt1qqzh2ngh97ru8dfvgma25d6r595wcwqy0cee4cc": 1}
    ])
}

fn assert_err(node: &TestNode, method: &str, params: Value, code: i64, message: &str) {
    let e = node.rpc_err(method, params);
    assert_eq!((e.code, e.message.as_str()), (code, message), "{method}");
}

#[test]
fn psbt_methods_on_vectors() {
    let mut node = TestNode::new();
    node.start(&[]);

    // Creator: both versions, named arguments, and the version check.
    let v0 = node.rpc(
        "createpsbt",
        json!({"inputs": creator_inputs(), "outputs": creator_outputs(), "replaceable": false, "psbt_version": 0}),
    );
    assert_eq!(v0, CREATOR_V0);
    let v2 = node.rpc(
        "createpsbt",
        json!([creator_inputs(), creator_outputs(), 0, false]),
    );
    let decoded = node.rpc("decodepsbt", json!([v2]));
    assert_eq!(decoded["psbt_version"], 2);
    assert_eq!(decoded["input_count"], 2);
    assert_eq!(decoded["fallback_locktime"], 0);
    assert!(decoded.get("tx").is_none());
    assert_eq!(decoded["inputs"][1]["previous_vout"], 1);
    assert_eq!(decoded["outputs"][1]["amount"].to_string(), "1.00000000");
    let bad_version = json!({"inputs": [], "outputs": [], "psbt_version": 1});
    assert_err(
        &node,
        "createpsbt",
        bad_version,
        -8,
        "The PSBT version can only be 2 or 0",
    );

    // converttopsbt gives the same PSBT as createpsbt for the same transaction.
    let raw = node.rpc(
        "createrawtransaction",
        json!([creator_inputs(), creator_outputs(), 0, false]),
    );
    assert_eq!(
        node.rpc(
            "converttopsbt",
            json!({"hexstring": raw, "psbt_version": 0})
        ),
        CREATOR_V0
    );
    assert_eq!(node.rpc("converttopsbt", json!([raw])), v2);
    let signed = EXTRACTED;
    assert_err(
        &node,
        "converttopsbt",
        json!([signed]),
        -22,
        "Inputs must not have scriptSigs and scriptWitnesses",
    );
    assert_err(
        &node,
        "converttopsbt",
        json!(["zz"]),
        -22,
        "TX decode failed",
    );
    assert!(node.rpc("converttopsbt", json!([signed, true])).is_string());

    // Decoding: v0 with the unsigned tx, v2 without; Core's reasons on failure.
    let d = node.rpc("decodepsbt", json!([COMBINED]));
    assert_eq!(d["tx"]["vin"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        d["inputs"][0]["partial_signatures"]
            .as_object()
            .map(|m| m.len()),
        Some(2)
    );
    assert_eq!(d["fee"].to_string(), "0.00010000");
    let d2 = node.rpc("decodepsbt", json!([V2]));
    assert_eq!(
        (d2["psbt_version"].clone(), d2["tx_version"].clone()),
        (json!(2), json!(2))
    );
    assert_err(
        &node,
        "decodepsbt",
        json!(["cHNidP8"]),
        -22,
        "TX decode failed invalid base64",
    );
    assert_err(
        &node,
        "decodepsbt",
        json!(["cHNidP8="]),
        -22,
        "TX decode failed Separator is missing at the end of the global map: iostream error",
    );
    assert_err(
        &node,
        "decodepsbt",
        json!(["AgAAAAEmgXE3Ht/yhek3re6ks3t4AAwFZsuzrWRkFxPKQhcb9gAAAAA="]),
        -22,
        "TX decode failed Invalid PSBT magic bytes: iostream error",
    );

    // Combiner.
    assert_eq!(
        node.rpc("combinepsbt", json!([[COMBINE_A, COMBINE_B]])),
        COMBINED
    );
    assert_err(
        &node,
        "combinepsbt",
        json!([[]]),
        -8,
        "Parameter 'txs' cannot be empty",
    );
    assert_err(
        &node,
        "combinepsbt",
        json!([[COMBINE_A, v2]]),
        -8,
        "PSBTs not compatible (different transactions)",
    );

    // Finalizer and extractor.
    let fin = node.rpc("finalizepsbt", json!([TO_FINALIZE, false]));
    assert_eq!(
        (fin["psbt"].as_str(), fin["complete"].as_bool()),
        (Some(FINALIZED), Some(true))
    );
    let ext = node.rpc("finalizepsbt", json!([FINALIZED]));
    assert_eq!(ext["hex"], EXTRACTED);
    let musig = node.rpc("finalizepsbt", json!([MUSIG2]));
    assert_eq!(musig["hex"], MUSIG2_EXTRACTED);
    let partial = node.rpc("finalizepsbt", json!([COMBINE_A]));
    assert_eq!(partial["complete"], false);
    assert!(partial.get("hex").is_none());

    // Joiner: inputs of both, in some order; only distinct v0 PSBTs.
    let joined = node.rpc("joinpsbts", json!([[CREATOR_V0, OTHER_V0]]));
    let j = node.rpc("decodepsbt", json!([joined]));
    assert_eq!(j["inputs"].as_array().map(Vec::len), Some(2 + 1));
    assert_eq!(j["outputs"].as_array().map(Vec::len), Some(2 + 1));
    assert_err(
        &node,
        "joinpsbts",
        json!([[CREATOR_V0]]),
        -8,
        "At least two PSBTs are required to join PSBTs.",
    );
    assert_err(
        &node,
        "joinpsbts",
        json!([[CREATOR_V0, v2]]),
        -8,
        "joinpsbts only operates on version 0 PSBTs",
    );
    assert_err(
        &node,
        "joinpsbts",
        json!([[CREATOR_V0, CREATOR_V0]]),
        -8,
        "Input 75ddabb27b8845f5247975c8a5ba7c6f336c4570708ebe230caf6db5217ae858:0 exists in multiple PSBTs",
    );

    // Analyzer: nothing known yet, partly signed, ready to extract.
    let a = node.rpc("analyzepsbt", json!([v2]));
    assert_eq!(
        (a["next"].as_str(), a["inputs"][0]["has_utxo"].as_bool()),
        (Some("updater"), Some(false))
    );
    assert!(a.get("fee").is_none());
    let a = node.rpc("analyzepsbt", json!([COMBINE_A]));
    assert_eq!(a["next"], "signer");
    assert!(a["inputs"][1]["missing"]["signatures"].is_array());
    let a = node.rpc("analyzepsbt", json!([FINALIZED]));
    assert_eq!(a["next"], "extractor");
    assert_eq!(a["inputs"][0]["is_final"], true);
    assert!(a["estimated_vsize"].as_u64().is_some_and(|v| v > 0));
    assert_err(
        &node,
        "analyzepsbt",
        json!(["x"]),
        -22,
        "TX decode failed invalid base64",
    );

    // Updater/signer parameter errors.
    assert_err(
        &node,
        "descriptorprocesspsbt",
        json!([v2, [], "FOO"]),
        -8,
        "'FOO' is not a valid sighash parameter.",
    );
    assert_err(
        &node,
        "utxoupdatepsbt",
        json!([v2, [{"range": 5}]]),
        -8,
        "Descriptor needs to be provided in scan object",
    );
    node.stop();
}

fn wif(byte: u8) -> (String, SecretKey) {
    let sk = SecretKey::from_slice(&[byte; 32]).expect("valid key");
    (PrivateKey::new(sk, Network::Regtest).to_wif(), sk)
}

/// The address of descriptor `desc` (given with private keys).
fn address_of(node: &TestNode, desc: &str) -> String {
    let info = node.rpc("getdescriptorinfo", json!([desc]));
    let public = info["descriptor"].as_str().expect("descriptor").to_string();
    node.rpc("deriveaddresses", json!([public]))[0]
        .as_str()
        .expect("address")
        .to_string()
}

fn coinbase_txid(node: &TestNode, hash: &str) -> String {
    node.rpc("getblock", json!([hash, 1]))["tx"][0]
        .as_str()
        .expect("txid")
        .to_string()
}

#[test]
fn create_update_sign_finalize_broadcast() {
    let mut node = TestNode::new();
    node.start(&[]);
    let (wpkh_key, _) = wif(0x21);
    let (tr_key, _) = wif(0x22);
    let wpkh = format!("wpkh({wpkh_key})");
    let tr = format!("tr({tr_key})");
    let to_wpkh = node.generate_to_address(1, &address_of(&node, &wpkh));
    let to_tr = node.generate_to_address(1, &address_of(&node, &tr));
    op_true::generate(&node, 100);
    let dest = op_true::address();

    // A P2WPKH input needs its public key (from the descriptor) before it can
    // be signed; a taproot one only lacks a signature the analyzer cannot name.
    for (desc, block, version, next) in [
        (&wpkh, &to_wpkh[0], 2, "signer"),
        (&tr, &to_tr[0], 0, "updater"),
    ] {
        let txid = coinbase_txid(&node, block);
        let psbt = node.rpc(
            "createpsbt",
            json!({"inputs": [{"txid": txid, "vout": 0}], "outputs": [{dest.clone(): 49.9999}], "psbt_version": version}),
        );
        // The UTXO set supplies the spent output of a segwit input.
        let updated = node.rpc("utxoupdatepsbt", json!([psbt]));
        let decoded = node.rpc("decodepsbt", json!([updated]));
        assert_eq!(
            decoded["inputs"][0]["witness_utxo"]["amount"].to_string(),
            "50.00000000",
            "{desc}"
        );
        assert_eq!(decoded["fee"].to_string(), "0.00010000");
        let public = node.rpc("getdescriptorinfo", json!([desc]))["descriptor"].clone();
        let updated = node.rpc("utxoupdatepsbt", json!([updated, [public]]));
        let analysis = node.rpc("analyzepsbt", json!([updated]));
        assert_eq!(analysis["next"], next, "{desc}: {analysis}");

        // Signing with the private descriptor completes it.
        let processed = node.rpc("descriptorprocesspsbt", json!([updated, [desc]]));
        assert_eq!(processed["complete"], true, "{desc}: {processed}");
        let finalized = node.rpc("finalizepsbt", json!([processed["psbt"]]));
        assert_eq!(finalized["hex"], processed["hex"]);
        assert_eq!(
            node.rpc("analyzepsbt", json!([processed["psbt"]]))["next"],
            "extractor"
        );

        let sent = node.rpc("sendrawtransaction", json!([finalized["hex"]]));
        // A mempool parent is supplied whole.
        let child = node.rpc(
            "createpsbt",
            json!([[{"txid": sent, "vout": 0}], [{dest.clone(): 49.999}]]),
        );
        let child = node.rpc(
            "decodepsbt",
            json!([node.rpc("utxoupdatepsbt", json!([child]))]),
        );
        assert_eq!(child["inputs"][0]["non_witness_utxo"]["txid"], sent);

        let hash = op_true::generate(&node, 1);
        let block = node.rpc("getblock", json!([hash[0], 1]));
        assert!(
            block["tx"].as_array().is_some_and(|t| t.contains(&sent)),
            "{desc}"
        );
    }

    // Without the key, signing is incomplete and the missing signature named.
    let txid = coinbase_txid(&node, &op_true::generate(&node, 1)[0]);
    let psbt = node.rpc(
        "createpsbt",
        json!([[{"txid": txid, "vout": 0}], [{dest: 1}]]),
    );
    let processed = node.rpc(
        "descriptorprocesspsbt",
        json!([psbt, [wpkh], "ALL", true, false]),
    );
    assert_eq!(processed["complete"], false);
    assert!(processed.get("hex").is_none());
    node.stop();
}
