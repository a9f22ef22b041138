//! Bad input gets an error or a `false`, never a panic: arbitrary text through every address
//! parser and every BlockList method.

use net_core::{BlockList, Family, SocketAddress, is_ip};
use proptest::prelude::*;

/// Text biased towards address-like characters, plus anything at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9a-fA-F:.%/\\[\\]@ x-]{0,48}", "[0-9.]{0,20}/[0-9-]{0,4}", any::<String>(),]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    #[test]
    fn address_parsers_never_panic(s in text()) {
        let v = is_ip(&s);
        prop_assert!(v == 0 || v == 4 || v == 6);
        if let Some(a) = SocketAddress::parse(&s) {
            // What parse accepts survives a round trip through its own Display.
            prop_assert_eq!(SocketAddress::parse(&a.to_string()).map(|b| b.ip()), Some(a.ip()));
        }
        let _ = SocketAddress::new(&s, 0, Family::Ipv6, 0);
    }

    #[test]
    fn block_list_never_panics(ops in proptest::collection::vec((0u8..10, text(), text(), 0u8..=255), 0..30)) {
        let mut list = BlockList::new();
        for (op, a, b, prefix) in ops {
            let family = if a.contains(':') { Family::Ipv6 } else { Family::Ipv4 };
            let _ = match op {
                0 => list.add_address(&a, family),
                1 => list.add_range(&a, &b, family),
                2 => list.add_subnet(&a, prefix, family),
                3 => list.add_cidr(&a),
                4 => list.remove_address(&a, family),
                5 => list.remove_range(&a, &b, family),
                6 => list.remove_cidr(&a),
                7 => list.add_rules(&[a.as_str(), b.as_str()]),
                8 => list.from_json(&a),
                _ => Ok(()),
            };
            let _ = list.check(&b, family);
            prop_assert_eq!(list.rules().len(), list.size());
        }
        let mut copy = BlockList::new();
        copy.from_json(&list.to_json()).unwrap();
        prop_assert_eq!(copy.size(), list.size());
    }
}
