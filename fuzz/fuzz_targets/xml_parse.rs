//! Fuzzes the bounded XML parser (`fedgate_xml::Document::parse`), the first thing every
//! untrusted message goes through, and reads every element's text the way validation does.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run xml_parse -- -max_total_time=60`.
#![no_main]

use fedgate_xml::{Document, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let limits = Limits::default();
    let Ok(document) = Document::parse(&text, &limits) else {
        return;
    };
    let root = document.root_element();
    for element in std::iter::once(root).chain(root.descendants()) {
        let _ = element.text();
        let _ = element.attribute("ID");
        // Cheap invariant: an element's byte range lies inside the input.
        assert!(element.range().end <= text.len());
        if let Some(id) = element.attribute("ID") {
            // The ID index names exactly the element carrying that ID (IDs are unique).
            let found = document.element_by_id(id);
            assert_eq!(found, Some(element));
        }
    }
});
